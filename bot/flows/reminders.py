"""Nudges: one after 2 silent working days; after 5 the starter hears of it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import and_, col, or_, select

from bot.core.messages import paragraph
from bot.flows.context import Context
from bot.flows.conversations import Conversations, session_contract
from bot.flows.parts import Quiet
from bot.storage.models import DialogSession

NUDGE_AFTER, STALLED_AFTER = 2, 5


class Nudges(Quiet):
    """Whoever leaves a question unanswered is reminded; the starter hears of a stall."""

    def __init__(self, conversations: Conversations) -> None:
        self.conversations = conversations

    async def due(self, ctx: Context) -> None:
        await nudge_silent(ctx, self.conversations)

    async def next_due(self, ctx: Context) -> datetime | None:
        return await next_nudge(ctx)


async def nudge_silent(ctx: Context, conversations: Conversations) -> None:
    # Two working days are at least two calendar days, five at least five: a cheap first cut.
    # A session already nudged comes back only when it may have stalled, so the ones waiting
    # for that never fill the batch ahead of the ones still to be nudged.
    result = await ctx.db.exec(
        select(DialogSession)
        .where(
            DialogSession.status == "active",
            col(DialogSession.stalled_reported_at).is_(None),
            or_(
                and_(
                    col(DialogSession.nudged_at).is_(None),
                    col(DialogSession.last_activity_at) <= ctx.now - timedelta(days=NUDGE_AFTER),
                ),
                col(DialogSession.last_activity_at) <= ctx.now - timedelta(days=STALLED_AFTER),
            ),
        )
        .order_by(col(DialogSession.last_activity_at))
        .limit(500)
    )
    for session in result.all():
        person = await ctx.person(session.person_id)
        tz = ctx.tz(person)
        since = session.last_activity_at
        stamp = int(since.timestamp())
        title = await conversations.flows[session.flow].title(ctx, session)
        if session.nudged_at is None and ctx.now >= ctx.workdays.add_working_days(since, NUDGE_AFTER, tz):
            ctx.post(
                person,
                paragraph(ctx.t(person, "dialog.nudge", name=person.display_name, title=title)),
                dedupe=f"nudge:{session.id}:{stamp}",
            )
            session.nudged_at = ctx.now
        if ctx.now >= ctx.workdays.add_working_days(since, STALLED_AFTER, tz):
            contract = await session_contract(ctx, session)
            if contract is not None and contract.starter_id != person.id:
                starter = await ctx.person(contract.starter_id)
                ctx.post(
                    starter,
                    paragraph(ctx.t(starter, "dialog.stalled", name=person.display_name, title=title)),
                    dedupe=f"stalled:{session.id}:{stamp}",
                )
            session.stalled_reported_at = ctx.now
        ctx.db.add(session)
        if ctx.spent():
            break  # the clock's round has used its share: the rest in the next round


async def next_nudge(ctx: Context) -> datetime | None:
    """When the next nudge or stalled-notice falls due, if any."""
    result = await ctx.db.exec(
        select(DialogSession).where(DialogSession.status == "active", col(DialogSession.stalled_reported_at).is_(None))
    )
    times = []
    for session in result.all():
        person = await ctx.person(session.person_id)
        after = STALLED_AFTER if session.nudged_at else NUDGE_AFTER
        times.append(ctx.workdays.add_working_days(session.last_activity_at, after, ctx.tz(person)))
    return min(times, default=None)
