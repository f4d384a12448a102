"""Lær af en kollega (PRODUCT.md §2.3)."""

from __future__ import annotations

from bot.flows.conversations import Conversations
from bot.flows.parts import Flow
from bot.flows.peer import copy, personal_data
from bot.flows.peer.lifecycle import PeerFlow
from bot.flows.peer.overview import PeerOverview


def build(conversations: Conversations, built: dict[str, Flow]) -> PeerFlow:
    return PeerFlow(conversations, overview=PeerOverview(), copy=copy.copy, personal_data=personal_data.POLICIES)
