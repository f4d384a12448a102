"""Systematiske læringsmøder (PRODUCT.md §2.4)."""

from __future__ import annotations

from bot.flows.conversations import Conversations
from bot.flows.meeting import personal_data
from bot.flows.meeting.lifecycle import MeetingFlow
from bot.flows.meeting.overview import MeetingOverview
from bot.flows.parts import Flow


def build(conversations: Conversations, built: dict[str, Flow]) -> MeetingFlow:
    return MeetingFlow(overview=MeetingOverview(), personal_data=personal_data.POLICIES)
