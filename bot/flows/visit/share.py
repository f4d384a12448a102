"""Del på læringsmøde: a visit's three learning points go on the next meeting of a series,
or to a later staff meeting (personalemøde).

The agent picks the series among those the bot knows on the agent's platform, each named
by its channel; the points become a `MeetingTopic` of that series' next planned meeting,
which the meeting shows on its reminder (updated in place if it is out already) and on
its agenda. One topic per visit (a unique constraint), so a second press shares nothing twice.

The seed's points "evt. kan præsenteres på et senere personalemøde": the bot runs no staff
meetings and a visit names no leader, so **Personalemøde** gives both of the visit the
three points laid out to present, and the visit counts as shared: one destination a visit.
"""

from __future__ import annotations

from sqlmodel import col, select

from bot.core.events import ActionIn
from bot.core.i18n import format_day, format_moment
from bot.core.ids import record_id
from bot.core.messages import Button, Buttons, Heading, Message, Paragraph, paragraph, with_buttons
from bot.flows.context import Context
from bot.flows.meeting.lifecycle import MeetingFlow
from bot.flows.meeting.states import Status as MeetingStatus
from bot.flows.visit.states import Status
from bot.storage.models import Contract, MeetingOccurrence, MeetingSeries, MeetingTopic, Person, Visit

FLOW, COLLEAGUE = "visit", "colleague"


def share_ref(contract: Contract) -> str:
    """The post with the live Del på læringsmøde button (a new one each time it is offered again)."""
    return f"visit:{contract.id}:share:{contract.round}"


class VisitSharing:
    def __init__(self, meetings: MeetingFlow) -> None:
        self.meetings = meetings

    # ---- Del på læringsmøde -------------------------------------------
    async def _refused(self, ctx: Context, action: ActionIn, contract: Contract, visit: Visit, agent: Person) -> bool:
        """The points go somewhere once, and only from a finished visit: otherwise the agent is
        told what became of them (True)."""
        if contract.status != Status.DONE:
            ctx.respond(
                agent,
                action.response_url,
                paragraph(
                    ctx.t(agent, "visit.already_decided", status=ctx.t(agent, f"visit.status.{contract.status}"))
                ),
            )
            return True
        if visit.shared_occurrence_id is not None or visit.staff_meeting_at is not None:
            await self._already_shared(ctx, action, visit, agent)
            return True
        return False

    async def offer(self, ctx: Context, action: ActionIn, contract: Contract, visit: Visit, agent: Person) -> None:
        if await self._refused(ctx, action, contract, visit, agent):
            return
        series = (
            await ctx.db.exec(
                select(MeetingSeries)
                .where(MeetingSeries.platform == agent.platform, MeetingSeries.status == "active")
                .order_by(col(MeetingSeries.id))
                .limit(20)
            )
        ).all()
        if not series:
            # The button is offered again in a new post: a second press of one Slack button reads as a retry.
            await ctx.close_buttons(ctx.t(agent, "visit.no_series_note"), ref=share_ref(contract))
            contract.round += 1
            ctx.db.add(contract)
            text = ctx.t(agent, "visit.no_series")
            ctx.post(
                agent,
                with_buttons(
                    text,
                    Button(
                        label=ctx.t(agent, "visit.share"),
                        action="visit:share",
                        value=str(contract.id),
                        style="primary",
                    ),
                    self._staff_button(ctx, agent, contract),
                ),
                ref=share_ref(contract),
            )
            return
        buttons = []
        for one in series:
            coming = [o for o in await self.meetings.ensure_ahead(ctx, one) if o.status == MeetingStatus.PLANNED]
            buttons.append(
                Button(
                    label=self.series_label(ctx, agent, one, coming[0] if coming else None),
                    action="visit:share_to",
                    value=f"{contract.id}:{one.id}",
                )
            )
        buttons.append(self._staff_button(ctx, agent, contract))
        text = ctx.t(agent, "visit.pick_series")
        ctx.post(agent, Message(text=text, blocks=[Paragraph(text=text), Buttons(buttons=buttons)]))

    @staticmethod
    def series_label(ctx: Context, agent: Person, series: MeetingSeries, next_one: MeetingOccurrence | None) -> str:
        """ "#sygeplejen · tirsdag kl. 09:00 · næste gang 16. marts 2027": the channel tells two
        series of the same weekday and time apart; a series whose channel name the bot has not
        heard yet shows its schedule alone."""
        values = {
            "weekday": ctx.t(agent, f"meeting.weekday_names.{series.weekday}"),
            "time": f"{series.hour:02d}:{series.minute:02d}",
            "date": ctx.day(agent, next_one.starts_at) if next_one is not None else "–",
        }
        if series.channel_name:
            label = ctx.t(agent, "visit.series_button", channel=series.channel_name[:30], **values)
        else:
            label = ctx.t(agent, "visit.series_button_unnamed", **values)
        return label[:75]

    @staticmethod
    def when(ctx: Context, person: Person, series: MeetingSeries, occ: MeetingOccurrence) -> str:
        """The meeting's date and time in the reader's language, and its channel when known."""
        moment = format_moment(occ.starts_at, ctx.language(person), series.timezone)
        if not series.channel_name:
            return moment
        return ctx.t(person, "visit.meeting_in_channel", date=moment, channel=series.channel_name)

    @staticmethod
    def _staff_button(ctx: Context, agent: Person, contract: Contract) -> Button:
        return Button(label=ctx.t(agent, "visit.staff_meeting"), action="visit:staff", value=str(contract.id))

    async def _already_shared(self, ctx: Context, action: ActionIn, visit: Visit, agent: Person) -> None:
        if visit.staff_meeting_at is not None:
            return ctx.respond(agent, action.response_url, paragraph(ctx.t(agent, "visit.already_staff")))
        found = await self.meetings.locked(ctx, str(visit.shared_occurrence_id))
        when = self.when(ctx, agent, found[1], found[0]) if found else ""
        ctx.respond(agent, action.response_url, paragraph(ctx.t(agent, "visit.already_shared", date=when)))

    async def share(
        self,
        ctx: Context,
        action: ActionIn,
        contract: Contract,
        visit: Visit,
        who: dict[str, Person],
        agent: Person,
        series_id: str,
    ) -> None:
        if await self._refused(ctx, action, contract, visit, agent):
            return
        series = await ctx.db.get(MeetingSeries, found) if (found := record_id(series_id)) else None
        if series is None or series.status != "active" or series.platform != agent.platform:
            return ctx.respond(agent, action.response_url, paragraph(ctx.t(agent, "visit.series_gone")))
        coming = [o for o in await self.meetings.ensure_ahead(ctx, series) if o.status == MeetingStatus.PLANNED]
        locked = await self.meetings.locked(ctx, str(coming[0].id)) if coming else None
        if locked is None:
            return ctx.respond(agent, action.response_url, paragraph(ctx.t(agent, "visit.series_gone")))
        occ = locked[0]
        colleague = who[COLLEAGUE]
        assert occ.id is not None and contract.id is not None and agent.id is not None  # all in the database
        ctx.db.add(
            MeetingTopic(
                occurrence_id=occ.id,
                kind=FLOW,
                source_id=contract.id,
                lines=list(visit.points),
                values={
                    "agent": agent.display_name,
                    "colleague": colleague.display_name,
                    "date": format_day(visit.morning_at, series.language, series.timezone),
                },
                created_by_id=agent.id,
                created_at=ctx.now,
            )
        )
        visit.shared_occurrence_id, visit.shared_at = occ.id, ctx.now
        ctx.db.add(visit)
        await ctx.db.flush()
        if occ.reminded_at is not None:  # the reminder is out already: it shows the points from now on
            await self.meetings.show_case(ctx, series, occ)
        when = self.when(ctx, agent, series, occ)
        await ctx.close_buttons(ctx.t(agent, "visit.shared_note", date=when), ref=share_ref(contract))
        await ctx.close_buttons(ctx.t(agent, "visit.shared_note", date=when), where=action.message)
        ctx.audit("visit.shared", agent, contract.id, series=series.id, occurrence=occ.id)
        ctx.post(agent, paragraph(ctx.t(agent, "visit.shared_agent", date=when)))
        ctx.post(
            colleague,
            paragraph(
                ctx.t(
                    colleague,
                    "visit.shared_colleague",
                    name=agent,
                    date=self.when(ctx, colleague, series, occ),
                )
            ),
        )

    # ---- Personalemøde --------------------------------------------------
    async def to_staff_meeting(
        self, ctx: Context, action: ActionIn, contract: Contract, visit: Visit, who: dict[str, Person], agent: Person
    ) -> None:
        """The points go to a later staff meeting: both get them laid out to present there."""
        if await self._refused(ctx, action, contract, visit, agent):
            return
        visit.staff_meeting_at = ctx.now
        ctx.db.add(visit)
        note = ctx.t(agent, "visit.staff_note")
        await ctx.close_buttons(note, ref=share_ref(contract))
        await ctx.close_buttons(note, where=action.message)
        ctx.audit("visit.staff_meeting", agent, contract.id)
        colleague = who[COLLEAGUE]
        for viewer, key in ((agent, "visit.staff_agent"), (colleague, "visit.staff_colleague")):
            other = colleague if viewer is agent else agent
            text = ctx.t(viewer, key, name=other)
            points = "\n".join(f"{n}. {point}" for n, point in enumerate(visit.points, 1))
            title = ctx.t(
                viewer,
                "visit.meeting_topic",
                agent=agent,
                colleague=colleague,
                date=ctx.day(viewer, visit.morning_at),
            )
            ctx.post(
                viewer,
                Message(text=text, blocks=[Paragraph(text=text), Heading(text=title), Paragraph(text=points)]),
                ref=f"visit:{contract.id}:staff:{viewer.id}",
            )
