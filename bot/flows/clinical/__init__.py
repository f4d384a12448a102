"""Læringskontrakt i klinisk praksis (PRODUCT.md §2.2)."""

from __future__ import annotations

from bot.flows.clinical import copy, personal_data
from bot.flows.clinical.lifecycle import ClinicalFlow
from bot.flows.clinical.overview import ClinicalOverview
from bot.flows.conversations import Conversations
from bot.flows.parts import Flow


def build(conversations: Conversations, built: dict[str, Flow]) -> ClinicalFlow:
    return ClinicalFlow(
        conversations, overview=ClinicalOverview(), copy=copy.copy_for, personal_data=personal_data.POLICIES
    )
