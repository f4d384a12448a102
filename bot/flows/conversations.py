"""Dialog sessions: one question at a time, in the person's direct message.

A person answers one session at a time; later ones wait their turn. The
engine decides what comes next; this module saves its state after every reply
and turns what it says into messages. What a finished session means for a
contract is the flow's business (`Flow.on_sent`, `Flow.on_cancelled`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlmodel import col, select

from bot.core import engine
from bot.core.dates import every_days, parse_date
from bot.core.dialogs import Dialog
from bot.core.engine import Ask, Cancelled, ChooseEdit, ConfirmCancel, Paused, Refused, Sent, Summary
from bot.core.messages import (
    Block,
    Button,
    Buttons,
    Heading,
    Message,
    Note,
    Paragraph,
    Picker,
    Quote,
    with_buttons,
)
from bot.core.text import neutralise_broadcasts
from bot.flows.context import Context
from bot.storage.models import Contract, DialogSession, Person

OPEN = ("queued", "active")


class Flow(Protocol):
    """What a flow tells conversations about its sessions."""

    async def placeholders(self, ctx: Context, session: DialogSession) -> dict[str, str]: ...
    async def title(self, ctx: Context, session: DialogSession) -> str: ...
    async def on_sent(
        self, ctx: Context, session: DialogSession, person: Person, answers: dict[str, str | None]
    ) -> None: ...
    async def on_cancelled(self, ctx: Context, session: DialogSession, person: Person) -> None: ...


# Read at every answer; built once, its parameter bound at each use (bench/e2e.py: building
# and keying a statement costs more than running it).
_CURRENT_SESSION = (
    select(DialogSession)
    .where(DialogSession.person_id == bindparam("person"), DialogSession.status == "active")
    .order_by(col(DialogSession.id))
    .limit(1)
)


class Conversations:
    def __init__(self, flows: dict[str, Flow]) -> None:
        self.flows = flows

    def script(self, ctx: Context, session: DialogSession) -> engine.Script:
        dialog = ctx.texts.dialogs[session.flow]
        left_out = set(session.state.get("left_out") or ())
        keys = [k for k in dialog.script(session.phase, session.role) if k not in left_out]
        return engine.Script(
            keys=tuple(keys),
            optional=frozenset(k for k in keys if dialog.questions[k].optional),
            max_length=min(dialog.questions[k].max_length for k in keys),
            summary=dialog.phases[session.phase].summary,
            checks=answer_checks(dialog, keys, ctx.now.astimezone(ZoneInfo(ctx.settings.bot_timezone)).date()),
            people=frozenset(k for k in keys if dialog.questions[k].kind == "person"),
        )

    async def current_session(self, ctx: Context, person: Person) -> DialogSession | None:
        return (await ctx.db.exec(_CURRENT_SESSION, params={"person": person.id})).first()

    async def open_sessions(
        self, ctx: Context, person: Person, flow: str, *, contract_id: int | None = None, phase: str | None = None
    ) -> list[DialogSession]:
        """The person's sessions of a flow that are answering or waiting, oldest first;
        only those about `contract_id`, or in `phase`, when given."""
        query = select(DialogSession).where(
            DialogSession.person_id == person.id, DialogSession.flow == flow, col(DialogSession.status).in_(OPEN)
        )
        if phase is not None:
            query = query.where(DialogSession.phase == phase)
        sessions = (await ctx.db.exec(query.order_by(col(DialogSession.id)))).all()
        return [s for s in sessions if contract_id is None or contract_id in s.contract_ids]

    async def open(
        self,
        ctx: Context,
        person: Person,
        *,
        flow: str,
        phase: str,
        role: str,
        contract_ids: list[int],
        intro: Message | None = None,
        answers: dict[str, str | None] | None = None,
        people: dict[str, str] | None = None,
        left_out: tuple[str, ...] = (),
        about: str | None = None,
    ) -> DialogSession:
        """Start a session for `person`, or queue it behind the one they are in; `left_out`:
        questions of the phase it does not ask; `about`: what in the contract it is about
        (`State.about`)."""
        assert person.id is not None  # a person the bot has met is in the database
        session = DialogSession(
            person_id=person.id,
            flow=flow,
            phase=phase,
            role=role,
            contract_ids=contract_ids,
            last_activity_at=ctx.now,
            created_at=ctx.now,
            state={"left_out": list(left_out), "about": about},
        )
        busy = await self.current_session(ctx, person)
        state, says = engine.start(self.script(ctx, session), answers, people)
        state.left_out, state.about = list(left_out), about
        session.state = state.model_dump()
        session.status = "queued" if busy else "active"
        ctx.db.add(session)
        await ctx.db.flush()
        if intro is not None:
            if busy:
                intro = Message(text=intro.text, blocks=[*intro.blocks, Note(text=ctx.t(person, "dialog.queued"))])
            ctx.post(person, intro)
        if not busy:
            await self._say(ctx, session, person, says)
        return session

    async def reply(
        self, ctx: Context, person: Person, reply: engine.Reply, session: DialogSession | None = None
    ) -> bool:
        """Feed a reply to the person's current session. False when there is none."""
        session = session or await self.current_session(ctx, person)
        if session is None:
            return False
        script = self.script(ctx, session)
        state, says = engine.step(script, engine.State.model_validate(session.state), reply)
        session.state = state.model_dump()
        session.last_activity_at = ctx.now
        session.nudged_at = None
        session.stalled_reported_at = None
        if state.mode in ("sent", "cancelled"):
            session.status = "done" if state.mode == "sent" else "cancelled"
        ctx.db.add(session)
        await self._say(ctx, session, person, says)
        if session.status in ("done", "cancelled"):
            await self.activate_next(ctx, person)
        return True

    async def end(self, ctx: Context, session: DialogSession) -> None:
        """End a session from outside (the contract was cancelled by someone else)."""
        was_active = session.status == "active"
        session.status = "cancelled"
        ctx.db.add(session)
        if was_active:
            await self.activate_next(ctx, await ctx.person(session.person_id))

    async def activate_next(self, ctx: Context, person: Person) -> None:
        result = await ctx.db.exec(
            select(DialogSession)
            .where(DialogSession.person_id == person.id, DialogSession.status == "queued")
            .order_by(col(DialogSession.id))
        )
        waiting = result.first()
        if waiting is None:
            return
        waiting.status = "active"
        waiting.last_activity_at = ctx.now
        ctx.db.add(waiting)
        await self._say(
            ctx,
            waiting,
            person,
            [engine.current(self.script(ctx, waiting), engine.State.model_validate(waiting.state))],
        )

    async def _say(self, ctx: Context, session: DialogSession, person: Person, says: list[engine.Say]) -> None:
        flow = self.flows[session.flow]
        for say in says:
            if isinstance(say, Sent):
                await ctx.db.flush()
                await flow.on_sent(ctx, session, person, say.answers)
            elif isinstance(say, Cancelled):
                await ctx.db.flush()
                await flow.on_cancelled(ctx, session, person)
            else:
                ctx.post(person, await self.render(ctx, session, person, say))

    async def render(self, ctx: Context, session: DialogSession, person: Person, say: engine.Say) -> Message:
        dialog = ctx.texts.dialogs[session.flow]
        lang = ctx.language(person)
        sid = str(session.id)

        def question_title(key: str) -> str:
            return dialog.questions[key].title(lang)

        if isinstance(say, Ask):
            # Only a question has placeholders: the other says read nothing for them.
            values = await flow_values(self.flows[session.flow], ctx, session)
            question = dialog.questions[say.key].ask[session.role](lang).format(**values)
            if say.editing:
                where = ctx.t(person, "dialog.editing")
            else:
                where = ctx.t(person, "dialog.progress", number=say.number, total=say.total)
            blocks: list[Block] = [Paragraph(text=f"*{question}*")]
            if say.total > 1 or say.editing:
                blocks.insert(0, Note(text=f"{where} · {question_title(say.key)}"))
            if say.previous:
                blocks.append(Quote(label=ctx.t(person, "dialog.previous"), text=say.previous))
            kind = dialog.questions[say.key].kind
            if kind in ("person", "date"):
                # The picker beside typing: a pick is answered like the typed answer (bot/flows/router.py).
                blocks.append(
                    Picker(
                        picks="person" if kind == "person" else "date",
                        label=ctx.t(person, f"dialog.pick_{kind}"),
                        submit=ctx.t(person, "dialog.pick_submit"),
                        value=f"{sid}:{say.key}",
                    )
                )
            hints = [ctx.t(person, "dialog.optional_hint")] if say.optional else []
            blocks.append(Note(text=" ".join([*hints, ctx.t(person, "dialog.words_hint")])))
            if say.optional:
                blocks.append(
                    Buttons(
                        buttons=[
                            Button(label=ctx.t(person, "dialog.skip"), action="dialog:skip", value=f"{sid}:{say.key}")
                        ]
                    )
                )
            return Message(text=question, blocks=blocks)
        if isinstance(say, Summary):
            title = await self.flows[session.flow].title(ctx, session)
            blocks = [
                Heading(text=ctx.t(person, "dialog.summary_title", name=title)),
                Note(text=ctx.t(person, "dialog.summary_intro")),
            ]
            for key, answer in say.answers.items():
                blocks.append(
                    Quote(
                        label=question_title(key),
                        text=answer if answer is not None else ctx.t(person, "dialog.skipped"),
                    )
                )
            blocks.append(
                Buttons(
                    buttons=[
                        Button(label=ctx.t(person, "dialog.send"), action="dialog:send", value=sid, style="primary"),
                        Button(label=ctx.t(person, "dialog.edit"), action="dialog:edit", value=sid),
                    ]
                )
            )
            return Message(text=ctx.t(person, "dialog.summary_intro"), blocks=blocks)
        if isinstance(say, ChooseEdit):
            buttons = [
                Button(label=f"{i}. {question_title(k)}"[:75], action="dialog:edit_pick", value=f"{sid}:{k}")
                for i, k in enumerate(say.keys, 1)
            ]
            return Message(
                text=ctx.t(person, "dialog.choose_edit"),
                blocks=[Paragraph(text=ctx.t(person, "dialog.choose_edit")), Buttons(buttons=buttons)],
            )
        if isinstance(say, Paused):
            return with_buttons(
                ctx.t(person, "dialog.paused"),
                Button(label=ctx.t(person, "dialog.resume"), action="dialog:resume", value=sid, style="primary"),
            )
        if isinstance(say, ConfirmCancel):
            return with_buttons(
                ctx.t(person, "dialog.confirm_cancel"),
                Button(
                    label=ctx.t(person, "dialog.cancel_yes"),
                    action="dialog:cancel_yes",
                    value=sid,
                    style="danger",
                ),
                Button(label=ctx.t(person, "dialog.cancel_no"), action="dialog:cancel_no", value=sid),
            )
        assert isinstance(say, Refused)
        text = ctx.t(person, say.message or f"dialog.refused.{say.reason}", **say.details)
        return Message(text=text, blocks=[Paragraph(text=text)])


async def session_contract(ctx: Context, session: DialogSession) -> Contract | None:
    """The contract a session is about, if any."""
    return await ctx.db.get(Contract, session.contract_id) if session.contract_id else None


async def flow_values(flow: Flow, ctx: Context, session: DialogSession) -> dict[str, str]:
    return {k: neutralise_broadcasts(v) for k, v in (await flow.placeholders(ctx, session)).items()}


# An answer and the answers so far -> the catalogue key of what is wrong with it, or None.
Check = Callable[[str, dict[str, str | None]], str | None]


def answer_checks(dialog: Dialog, keys: list[str], today: date) -> dict[str, Check]:
    """What a date, a frequency or a person question accepts (`Question.kind`)."""
    checks: dict[str, Check] = {}
    for key in keys:
        question = dialog.questions[key]
        if question.kind == "date":
            checks[key] = _date_check(question.after, today)
        elif question.kind == "frequency":
            checks[key] = lambda text, _answers: None if every_days(text) else "peer.checks.frequency"
        elif question.kind == "person":
            checks[key] = lambda _text, _answers: "peer.checks.person"
    return checks


def _date_check(after: str | None, today: date) -> Check:
    def check(text: str, answers: dict[str, str | None]) -> str | None:
        day = parse_date(text)
        if day is None:
            return "peer.checks.date"
        if after is not None:
            earlier = parse_date(answers.get(after) or "")
            if day < today or (earlier is not None and day <= earlier):
                return "peer.checks.date_after"
        return None

    return check
