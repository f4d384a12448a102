"""What the learning meetings show in the overview (`bot/flows/overview.py`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam
from sqlmodel import and_, col, or_, select

from bot.flows.context import Context
from bot.flows.meeting.states import COMING, Status
from bot.flows.overview import Item
from bot.flows.overview_reads import MEETINGS_AHEAD
from bot.storage.models import MeetingAction, MeetingCase, MeetingOccurrence, MeetingSeries, Person

# The meetings ahead the person facilitates or brings a case to (their case, or none), and
# the actions they own: columns, built once, their parameters bound at each use.
_OCCURRENCES = (
    select(  # type: ignore[call-overload,misc]  # sqlmodel types select() for up to four columns
        MeetingOccurrence.id,
        MeetingOccurrence.facilitator_id,
        MeetingOccurrence.status,
        MeetingOccurrence.starts_at,
        MeetingOccurrence.started_at,
        MeetingCase.id,
        MeetingCase.title,
    )
    .join(MeetingSeries, col(MeetingOccurrence.series_id) == col(MeetingSeries.id))
    .outerjoin(
        MeetingCase,
        and_(
            col(MeetingCase.occurrence_id) == col(MeetingOccurrence.id),
            col(MeetingCase.person_id) == bindparam("person"),
        ),
    )
    .where(
        or_(MeetingOccurrence.facilitator_id == bindparam("person"), col(MeetingCase.id).is_not(None)),
        col(MeetingOccurrence.status).in_(sorted(COMING)),
        MeetingSeries.status == "active",
        col(MeetingOccurrence.starts_at) >= bindparam("since"),
    )
    .order_by(col(MeetingOccurrence.starts_at))
    .limit(MEETINGS_AHEAD)
)
_ACTIONS = (
    select(MeetingAction.id, MeetingAction.text, MeetingAction.created_at)
    .where(MeetingAction.owner_id == bindparam("person"), MeetingAction.status == "open")
    .order_by(col(MeetingAction.created_at))
    .limit(MEETINGS_AHEAD)
)


class MeetingOverview:
    """Systematiske læringsmøder (PRODUCT.md §2.4): the meetings the person facilitates or
    brings the case to, and the actions they own."""

    async def overview(self, ctx: Context, person: Person) -> list[Item]:
        items: list[Item] = []
        occurrences = (
            await ctx.db.exec(_OCCURRENCES, params={"person": person.id, "since": ctx.now - timedelta(days=1)})
        ).all()
        for occ_id, facilitator_id, status, starts_at, started_at, case_id, case_title in occurrences:
            roles = [ctx.t(person, "overview.meeting.facilitator")] if facilitator_id == person.id else []
            if case_id is not None:
                roles.append(ctx.t(person, "overview.meeting.case"))
            title = (
                ctx.t(person, "overview.meeting.title_case", case=case_title)
                if case_id is not None and case_title
                else ctx.t(person, "overview.meeting.title")
            )
            if status == Status.RUNNING:
                items.append(
                    Item(
                        group="you",
                        flow="meeting",
                        key=f"meeting:{occ_id}",
                        title=title,
                        step=ctx.t(person, "overview.meeting.running", roles=", ".join(roles)),
                        at=started_at or starts_at,
                    )
                )
            elif starts_at >= ctx.now:
                items.append(
                    Item(
                        group="coming",
                        flow="meeting",
                        key=f"meeting:{occ_id}",
                        title=title,
                        step=", ".join(roles),
                        at=starts_at,
                    )
                )
        for action_id, text, created_at in (await ctx.db.exec(_ACTIONS, params={"person": person.id})).all():
            items.append(
                Item(
                    group="you",
                    flow="meeting",
                    key=f"meeting-action:{action_id}",
                    title=ctx.t(person, "overview.meeting.action_title", text=text),
                    step=ctx.t(person, "overview.meeting.action"),
                    at=created_at,
                )
            )
        return items
