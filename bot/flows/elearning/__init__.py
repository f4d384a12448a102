"""Læringskontrakt med medarbejderen (PRODUCT.md §2.1)."""

from __future__ import annotations

from bot.flows.conversations import Conversations
from bot.flows.elearning import personal_data
from bot.flows.elearning.copy import elearning_copy
from bot.flows.elearning.lifecycle import ElearningFlow
from bot.flows.elearning.overview import ElearningOverview
from bot.flows.parts import Flow


def build(conversations: Conversations, built: dict[str, Flow]) -> ElearningFlow:
    return ElearningFlow(
        conversations, overview=ElearningOverview(), copy=elearning_copy, personal_data=personal_data.POLICIES
    )
