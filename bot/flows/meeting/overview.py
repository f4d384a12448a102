"""What the learning meetings show in the overview (`bot/flows/overview.py`)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import and_, col, or_, select

from bot.flows.context import Context
from bot.flows.meeting.states import COMING, Status
from bot.flows.overview import Item
from bot.flows.overview_reads import MEETINGS_AHEAD
from bot.storage.models import MeetingAction, MeetingCase, MeetingOccurrence, MeetingSeries, Person


class MeetingOverview:
    """Systematiske læringsmøder (PRODUCT.md §2.4): the meetings the person facilitates or
    brings the case to, and the actions they own."""

    async def overview(self, ctx: Context, person: Person) -> list[Item]:
        items: list[Item] = []
        # The person's own case at each meeting (one of the meeting's cases, or none).
        occurrences = (
            await ctx.db.exec(
                select(MeetingOccurrence, MeetingCase)
                .join(MeetingSeries, col(MeetingOccurrence.series_id) == col(MeetingSeries.id))
                .outerjoin(
                    MeetingCase,
                    and_(
                        col(MeetingCase.occurrence_id) == col(MeetingOccurrence.id),
                        col(MeetingCase.person_id) == person.id,
                    ),
                )
                .where(
                    or_(MeetingOccurrence.facilitator_id == person.id, col(MeetingCase.id).is_not(None)),
                    col(MeetingOccurrence.status).in_(sorted(COMING)),
                    MeetingSeries.status == "active",
                    col(MeetingOccurrence.starts_at) >= ctx.now - timedelta(days=1),
                )
                .order_by(col(MeetingOccurrence.starts_at))
                .limit(MEETINGS_AHEAD)
            )
        ).all()
        for occ, case in occurrences:
            roles = [ctx.t(person, "overview.meeting.facilitator")] if occ.facilitator_id == person.id else []
            if case is not None:
                roles.append(ctx.t(person, "overview.meeting.case"))
            title = (
                ctx.t(person, "overview.meeting.title_case", case=case.title)
                if case is not None and case.title
                else ctx.t(person, "overview.meeting.title")
            )
            if occ.status == Status.RUNNING:
                items.append(
                    Item(
                        group="you",
                        flow="meeting",
                        key=f"meeting:{occ.id}",
                        title=title,
                        step=ctx.t(person, "overview.meeting.running", roles=", ".join(roles)),
                        at=occ.started_at or occ.starts_at,
                    )
                )
            elif occ.starts_at >= ctx.now:
                items.append(
                    Item(
                        group="coming",
                        flow="meeting",
                        key=f"meeting:{occ.id}",
                        title=title,
                        step=", ".join(roles),
                        at=occ.starts_at,
                    )
                )
        actions = (
            await ctx.db.exec(
                select(MeetingAction)
                .where(MeetingAction.owner_id == person.id, MeetingAction.status == "open")
                .order_by(col(MeetingAction.created_at))
                .limit(MEETINGS_AHEAD)
            )
        ).all()
        for action in actions:
            items.append(
                Item(
                    group="you",
                    flow="meeting",
                    key=f"meeting-action:{action.id}",
                    title=ctx.t(person, "overview.meeting.action_title", text=action.text),
                    step=ctx.t(person, "overview.meeting.action"),
                    at=action.created_at,
                )
            )
        return items
