"""Læringsbesøg (PRODUCT.md §2.5)."""

from __future__ import annotations

from bot.flows.conversations import Conversations
from bot.flows.meeting.lifecycle import MeetingFlow
from bot.flows.parts import Flow
from bot.flows.visit import personal_data
from bot.flows.visit.lifecycle import VisitFlow
from bot.flows.visit.overview import VisitOverview


def build(conversations: Conversations, built: dict[str, Flow]) -> VisitFlow:
    meetings = built["meeting"]  # learning points are brought to the team's next meeting
    assert isinstance(meetings, MeetingFlow)
    return VisitFlow(conversations, meetings, overview=VisitOverview(), personal_data=personal_data.POLICIES)
