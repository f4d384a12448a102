"""Læringskontrakt i klinisk praksis (PRODUCT.md §2.2): a supervisor and a trainee, 15 minutes.

scope: both choose the period and the competencies (one message each, both press;
       "Vi er enige" from both fixes the choice; "Afbryd" from either cancels the contract)
  ▼
subgoals: the trainee writes the sub-goals ──sent──▶ subgoals_add: the supervisor
          sees them, adds or not (pressed before the trainee sent: refused)
  ▼
learning: the trainee writes where and how ──sent──▶ learning_add: the supervisor adds or not
  ▼
agreement: the supervisor writes who gives feedback, when, and the summative evaluation
           (a feedback or evaluation date not after today, in the supervisor's time zone, is
           refused at Send, and that date asked again with every other answer kept)
  ▼
agreement_review: the trainee agrees ──▶ active (both get the contract; reminders the
                  working day before the feedback and the evaluation) ──evaluation done──▶ closed
                  └─ asks for a change (a comment) ──▶ agreement
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.core import engine
from bot.core.dates import parse_date
from bot.core.events import ActionIn, CommandIn
from bot.core.forms import Field, Form
from bot.core.ids import record_id
from bot.core.messages import Block, Button, Message, Paragraph, Quote, paragraph, with_buttons
from bot.flows.clinical import copy as cc, reminders
from bot.flows.clinical.copy import FLOW, LIVE, SUPERVISOR, TRAINEE
from bot.flows.clinical.scope import ScopeSteps
from bot.flows.clinical.states import BOTH, FINAL, MOVES, TURN, TURNS, Status
from bot.flows.context import Context
from bot.flows.conversations import session_contract
from bot.flows.lifecycle import Handler, Lifecycle, Press, Pressed, named, press, roles, states
from bot.flows.parts import Command, ContractFlow, Start, cannot_take_part, one_named
from bot.storage.contracts import decide, parties, store_answers
from bot.storage.models import (
    ClinicalScope,
    Contract,
    DialogSession,
    Party,
    Person,
)

# `klinisk` alone, and **Ny klinisk kontrakt**: the trainee (its texts: `forms.clinical.…`).
FORM = Form(name="clinical", fields=(Field("trainee", "person", not_self=True),))


class ClinicalFlow(ScopeSteps, ContractFlow):
    name = FLOW

    @property
    def commands(self) -> tuple[Command, ...]:
        return (
            # `klinisk @elev` (start), `klinisk 12` (one contract), `klinisk` alone (the form).
            Command(
                "clinical.commands.clinical",
                self.command,
                shape=lambda words, named: named or len(words) == 1 or (len(words) == 2 and words[1].isdigit()),
                start=Start(FORM, self.submit_form),
            ),
            # `mappe`, `mappe @elev` (the mention is not among the words).
            Command("clinical.commands.folder", self.folder_command),
        )

    def help(self, ctx: Context, person: Person) -> tuple[str, ...]:
        return ("clinical.help",)

    async def command(
        self, ctx: Context, cmd: CommandIn, supervisor: Person, people: dict[str, Person], words: list[str]
    ) -> None:
        """`/laering klinisk @uddannelsessøgende` starts; `/laering klinisk 12` shows contract 12."""
        if not cmd.mentions:
            if len(words) == 1 and words[0].isdigit():
                await self.show(ctx, supervisor, words[0], cmd.response_url)
            else:
                ctx.respond(supervisor, cmd.response_url, paragraph(ctx.t(supervisor, "clinical.usage")))
            return
        trainee = one_named(ctx, cmd, supervisor, people, FLOW, "one_trainee")
        if trainee is None:
            return
        await self.start(ctx, supervisor, trainee, cmd.response_url)

    async def submit_form(
        self, ctx: Context, supervisor: Person, values: dict[str, str], picked: dict[str, Person]
    ) -> dict[str, str]:
        """`klinisk` alone, or **Ny klinisk kontrakt**: the trainee picked, checked as
        `klinisk @uddannelsessøgende` checks them."""
        trainee = picked.get(values["trainee"])
        if (problem := cannot_take_part(ctx, supervisor, trainee, values["trainee"], FLOW)) is not None:
            return {"trainee": problem}
        assert trainee is not None  # cannot_take_part said so
        await self.start(ctx, supervisor, trainee, None)
        return {}

    async def folder_command(
        self, ctx: Context, cmd: CommandIn, viewer: Person, people: dict[str, Person], words: list[str]
    ) -> None:
        """`/laering mappe [@uddannelsessøgende]`: the folder of a trainee's clinical contracts."""
        trainee = people.get(cmd.mentions[0]) if cmd.mentions else None
        if cmd.mentions and (trainee is None or trainee.is_bot):
            ctx.respond(viewer, cmd.response_url, paragraph(ctx.t(viewer, "clinical.folder.usage")))
            return
        await self.show_folder(ctx, viewer, trainee, cmd.response_url)

    # ---- what sessions show -------------------------------------------

    async def placeholders(self, ctx: Context, session: DialogSession) -> dict[str, str]:
        contract = await session_contract(ctx, session)
        viewer = await ctx.person(session.person_id)
        if contract is None:
            return {"trainee": "", "supervisor": "", "competencies": "", "period": ""}
        who = await parties(ctx.db, contract)
        scope = await cc.scope_of(ctx, contract)
        return {
            "trainee": who[TRAINEE].display_name,
            "supervisor": who[SUPERVISOR].display_name,
            "competencies": "; ".join(cc.competency_names(ctx, viewer, scope)),
            "period": cc.period_text(ctx, viewer, scope),
        }

    async def title(self, ctx: Context, session: DialogSession) -> str:
        viewer = await ctx.person(session.person_id)
        contract = await session_contract(ctx, session)
        return cc.title(ctx, viewer, await parties(ctx.db, contract)) if contract else ""

    # ---- start --------------------------------------------------------
    async def start(self, ctx: Context, supervisor: Person, trainee: Person, response_url: str | None) -> None:
        assert supervisor.id is not None and trainee.id is not None  # both are in the database
        plans = ctx.texts.plans
        plan_id = next(iter(plans)) if len(plans) == 1 else await self._earlier_plan(ctx, trainee)
        contract = Contract(
            flow=FLOW,
            title=trainee.display_name[:300],
            status=Status.SCOPE,
            starter_id=supervisor.id,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        ctx.db.add(contract)
        await ctx.db.flush()
        assert contract.id is not None  # flushed
        ctx.db.add(Party(contract_id=contract.id, person_id=supervisor.id, role=SUPERVISOR))
        ctx.db.add(Party(contract_id=contract.id, person_id=trainee.id, role=TRAINEE))
        scope = ClinicalScope(contract_id=contract.id, plan_id=plan_id)
        ctx.db.add(scope)
        await ctx.db.flush()
        ctx.audit("contract.created", supervisor, contract.id, flow=FLOW, trainee=trainee.id)
        ctx.respond(supervisor, response_url, paragraph(ctx.t(supervisor, "clinical.started", name=trainee)))
        who = {SUPERVISOR: supervisor, TRAINEE: trainee}
        ctx.post(supervisor, paragraph(ctx.t(supervisor, "clinical.intro_supervisor", name=trainee)))
        ctx.post(trainee, paragraph(ctx.t(trainee, "clinical.intro_trainee", name=supervisor)))
        for person in who.values():
            ctx.post(
                person,
                cc.scope_message(ctx, person, contract, scope, who),
                ref=f"clinical:{contract.id}:scope:{person.id}",
            )

    # ---- buttons ------------------------------------------------------
    @cached_property  # built once: every press reads it
    def lifecycle(self) -> Lifecycle:
        # The table, a row a button, as rows rather than as the formatter would wrap them.
        # fmt: off
        S, scope, adding = Status, states(Status.SCOPE), states(Status.SUBGOALS_ADD, Status.LEARNING_ADD)
        supervisor, trainee = named(SUPERVISOR), named(TRAINEE)

        def choosing(step: str) -> Press:
            return Press(step, BOTH, scope, self._choose_pressed, to=None, refuse="clinical.only_parties",
                         already="clinical.scope.already_chosen")

        def adding_to(step: str) -> Press:
            return Press(step, roles(SUPERVISOR), adding, self._add_pressed, to=None,
                         refuse="clinical.only_supervisor", whom=supervisor, guard=self._this_phase,
                         early=self._not_yet)

        def terms(step: str, handler: Handler, to: str | None) -> Press:
            return Press(step, roles(TRAINEE), states(S.AGREEMENT_REVIEW), handler, to=to,
                         refuse="clinical.only_trainee", whom=trainee, round=True)

        presses = (
            Press("cancel_scope", BOTH, scope, self._cancel_pressed, to=S.CANCELLED, refuse="clinical.only_parties"),
            *(choosing(step) for step in ("plan", "period", "competency", "write_competency", "agree")),
            # The supervisor adds to what the trainee wrote, or not; the button waits until then.
            adding_to("add"),
            adding_to("no_add"),
            terms("agree_terms", self._agree_terms, S.ACTIVE),
            terms("change_terms", self._change_terms, None),
            # On the day: the feedback is recorded as given, and the evaluation with its outcome.
            Press("feedback_held", roles(SUPERVISOR), states(S.ACTIVE), self._feedback_held, to=None,
                  refuse="clinical.only_supervisor", whom=supervisor, guard=self._feedback_not_recorded),
            Press("evaluated", roles(SUPERVISOR), states(S.ACTIVE), self._evaluated_pressed, to=S.CLOSED,
                  refuse="clinical.only_supervisor", whom=supervisor),
        )
        return Lifecycle(flow=FLOW, states=Status, start=S.SCOPE, final=FINAL, moves=MOVES, turns=TURNS,
                         already="clinical.already_done", outsider=self._outsider, presses=presses)
        # fmt: on

    async def on_action(self, ctx: Context, action: ActionIn, person: Person) -> None:
        await press(ctx, self.lifecycle, action, person)

    # ---- what the table's checks read -------------------------------------
    @staticmethod
    async def _outsider(ctx: Context, pressed: Pressed) -> str | None:
        who = pressed.who
        return ctx.t(
            pressed.person,
            "clinical.only_parties",
            supervisor=who[SUPERVISOR],
            trainee=who[TRAINEE],
        )

    @staticmethod
    def _phase(pressed: Pressed) -> str:
        """The phase an add button is about (its value after the contract's id)."""
        return pressed.rest if pressed.rest in ("subgoals", "learning") else ""

    async def _this_phase(self, ctx: Context, pressed: Pressed) -> bool:
        return pressed.contract.status == f"{self._phase(pressed)}_add"

    async def _not_yet(self, ctx: Context, pressed: Pressed) -> str | None:
        """The supervisor pressed before the trainee has sent what is to be added to."""
        phase = self._phase(pressed)
        if phase and pressed.contract.status == phase:
            return ctx.t(pressed.person, f"clinical.not_yet.{phase}", name=pressed.who[TRAINEE])
        return None

    # ---- the presses ------------------------------------------------------
    async def _cancel_pressed(self, ctx: Context, pressed: Pressed) -> None:
        await self._cancel_scope(ctx, pressed.contract, pressed.who, pressed.person)

    async def _choose_pressed(self, ctx: Context, pressed: Pressed) -> None:
        def refuse(key: str, **values: object) -> None:
            ctx.respond(pressed.person, pressed.action.response_url, paragraph(ctx.t(pressed.person, key, **values)))

        step = pressed.action.action.partition(":")[2]
        revision, _, choice = pressed.rest.partition(":")
        await self._choose(ctx, pressed.contract, pressed.who, pressed.person, step, revision, choice, refuse)

    async def _add_pressed(self, ctx: Context, pressed: Pressed) -> None:
        contract, person, phase = pressed.contract, pressed.person, self._phase(pressed)
        assert contract.id is not None  # read from the table
        step = pressed.action.action.partition(":")[2]
        await ctx.close_buttons(
            ctx.t(person, f"clinical.review.{step}_note"), ref=f"clinical:{contract.id}:review:{phase}"
        )
        if step == "add":
            if not await self._open_session(ctx, person, contract, f"{phase}_add"):
                await self.conversations.open(
                    ctx, person, flow=FLOW, phase=f"{phase}_add", role=SUPERVISOR, contract_ids=[contract.id]
                )
        else:
            ctx.audit("answers.no_additions", person, contract.id, phase=phase)
            await self._next_after_add(ctx, contract, pressed.who, phase, None)

    async def _agree_terms(self, ctx: Context, pressed: Pressed) -> None:
        await self._activate(ctx, pressed.contract, pressed.who, pressed.person)

    async def _change_terms(self, ctx: Context, pressed: Pressed) -> None:
        contract, person = pressed.contract, pressed.person
        assert contract.id is not None  # read from the table
        await ctx.close_buttons(
            ctx.t(person, "clinical.terms.change_note"), ref=f"clinical:{contract.id}:terms:{contract.round}"
        )
        if not await self._open_session(ctx, person, contract, "agreement_comment"):
            await self.conversations.open(
                ctx, person, flow=FLOW, phase="agreement_comment", role=TRAINEE, contract_ids=[contract.id]
            )

    async def _evaluated_pressed(self, ctx: Context, pressed: Pressed) -> None:
        outcome = pressed.rest if pressed.rest in cc.OUTCOMES else None  # an older button carries none
        await self._evaluated(ctx, pressed.contract, pressed.who, pressed.person, outcome)

    async def _feedback_not_recorded(self, ctx: Context, pressed: Pressed) -> bool:
        assert pressed.contract.id is not None  # read from the table
        return "feedback" not in (await cc.records(ctx, [pressed.contract.id])).get(pressed.contract.id, {})

    async def _feedback_held(self, ctx: Context, pressed: Pressed) -> None:
        contract, person = pressed.contract, pressed.person
        decide(ctx.db, contract, person, cc.FEEDBACK_HELD, ctx.now)
        ctx.audit("feedback.held", person, contract.id)
        await ctx.close_buttons(
            ctx.t(person, "clinical.feedback_held_note", date=ctx.day(person, ctx.now)),
            ref=f"clinical:{contract.id}:feedback",
        )
        trainee = pressed.who[TRAINEE]
        ctx.post(
            trainee,
            paragraph(ctx.t(trainee, "clinical.feedback_held_trainee", name=person)),
        )

    def _post_waiting(self, ctx: Context, contract: Contract, supervisor: Person, trainee: Person, phase: str) -> None:
        """The supervisor waits while the trainee writes; the button says what comes, and refuses until then."""
        text = ctx.t(supervisor, f"clinical.waiting.{phase}", name=trainee)
        ctx.post(
            supervisor,
            with_buttons(
                text,
                Button(
                    label=ctx.t(supervisor, f"clinical.review.add_{phase}"),
                    action="clinical:add",
                    value=f"{contract.id}:{phase}",
                ),
                blocks=[cc.progress(ctx, supervisor, phase), Paragraph(text=text)],
            ),
            ref=f"clinical:{contract.id}:waiting:{phase}",
        )

    async def _open_session(self, ctx: Context, person: Person, contract: Contract, phase: str) -> DialogSession | None:
        found = await self.conversations.open_sessions(ctx, person, FLOW, contract_id=contract.id, phase=phase)
        return found[0] if found else None

    async def _open(
        self,
        ctx: Context,
        person: Person,
        contract: Contract,
        phase: str,
        *,
        blocks: list[Block],
        answers: dict[str, str | None] | None = None,
    ) -> None:
        assert contract.id is not None  # read from the table
        if await self._open_session(ctx, person, contract, phase):
            return
        text = next((b.text for b in blocks if isinstance(b, Paragraph)), "")
        await self.conversations.open(
            ctx,
            person,
            flow=FLOW,
            phase=phase,
            role=TURN.get(phase, TRAINEE),
            contract_ids=[contract.id],
            intro=Message(text=text, blocks=blocks),
            answers=answers,
        )

    # ---- sessions end -------------------------------------------------
    async def on_sent(
        self, ctx: Context, session: DialogSession, person: Person, answers: dict[str, str | None]
    ) -> None:
        contract = await session_contract(ctx, session)
        phase = session.phase
        expected = {"competency": "scope", "dates": "scope", "agreement_comment": "agreement_review"}.get(phase, phase)
        if contract is None or contract.status != expected:
            ctx.post(person, paragraph(ctx.t(person, "clinical.too_late")))
            return
        who = await parties(ctx.db, contract)
        supervisor, trainee = who[SUPERVISOR], who[TRAINEE]
        if phase in ("competency", "dates"):
            await self._scope_input_sent(ctx, contract, person, phase, answers)
            return
        if phase == "agreement_comment":
            await self._change_requested(ctx, contract, who, answers["comment"] or "")
            return
        if phase == "agreement" and await self._date_not_ahead(ctx, session, person, answers):
            return
        await store_answers(ctx.db, contract, person, session.role, phase, answers, ctx.now)
        if phase in ("subgoals", "learning"):
            contract.status, contract.updated_at = f"{phase}_add", ctx.now
            ctx.db.add(contract)
            ctx.post(trainee, paragraph(ctx.t(trainee, f"clinical.sent.{phase}", name=supervisor)))
            await ctx.close_buttons(
                ctx.t(supervisor, "clinical.review.ready_note"), ref=f"clinical:{contract.id}:waiting:{phase}"
            )
            intro = ctx.t(supervisor, f"clinical.review.{phase}", name=trainee)
            ctx.post(
                supervisor,
                with_buttons(
                    intro,
                    Button(
                        label=ctx.t(supervisor, f"clinical.review.add_{phase}"),
                        action="clinical:add",
                        value=f"{contract.id}:{phase}",
                        style="primary",
                    ),
                    Button(
                        label=ctx.t(supervisor, "clinical.review.no_add"),
                        action="clinical:no_add",
                        value=f"{contract.id}:{phase}",
                    ),
                    blocks=[
                        cc.progress(ctx, supervisor, f"{phase}_add"),
                        Paragraph(text=intro),
                        *cc.answer_blocks(ctx, supervisor, answers, (phase,)),
                    ],
                ),
                ref=f"clinical:{contract.id}:review:{phase}",
            )
        elif phase in ("subgoals_add", "learning_add"):
            await self._next_after_add(ctx, contract, who, phase.removesuffix("_add"), answers[phase])
        elif phase == "agreement":
            await self._ask_to_agree(ctx, contract, who)

    async def _next_after_add(
        self, ctx: Context, contract: Contract, who: dict[str, Person], phase: str, added: str | None
    ) -> None:
        supervisor, trainee = who[SUPERVISOR], who[TRAINEE]
        shown = [Quote(label=ctx.t(trainee, "clinical.added_label", name=supervisor), text=added)] if added else []
        told = ctx.t(trainee, f"clinical.added.{phase}" if added else f"clinical.not_added.{phase}", name=supervisor)
        if phase == "subgoals":
            contract.status, contract.updated_at = Status.LEARNING, ctx.now
            ctx.db.add(contract)
            await self._open(
                ctx,
                trainee,
                contract,
                "learning",
                blocks=[
                    cc.progress(ctx, trainee, "learning"),
                    Paragraph(text=told),
                    *shown,
                    Paragraph(text=ctx.t(trainee, "clinical.intro_learning")),
                ],
            )
            self._post_waiting(ctx, contract, supervisor, trainee, "learning")
            return
        contract.status, contract.updated_at = Status.AGREEMENT, ctx.now
        ctx.db.add(contract)
        ctx.post(
            trainee,
            Message(
                text=told,
                blocks=[
                    Paragraph(text=told),
                    *shown,
                    Paragraph(text=ctx.t(trainee, "clinical.waiting_agreement", name=supervisor)),
                ],
            ),
        )
        await self._open(
            ctx,
            supervisor,
            contract,
            "agreement",
            blocks=[
                cc.progress(ctx, supervisor, "agreement"),
                Paragraph(text=ctx.t(supervisor, "clinical.intro_agreement", name=trainee)),
            ],
        )

    # ---- the agreement on feedback and evaluation ----------------------
    async def _date_not_ahead(
        self, ctx: Context, session: DialogSession, person: Person, answers: dict[str, str | None]
    ) -> bool:
        """A feedback or evaluation date that is not after today (the supervisor's today): refused.

        The session goes back to asking that date (as an edit: every other answer is kept,
        and the answers come to the summary again), so nothing is lost."""
        today = ctx.now.astimezone(ZoneInfo(ctx.tz(person))).date()
        late = next(
            (
                key
                for key in ("feedback_when", "evaluation_when")
                if (day := parse_date(answers.get(key) or "")) is not None and day <= today
            ),
            None,
        )
        if late is None:
            return False
        script = self.conversations.script(ctx, session)
        state = engine.State.model_validate(session.state)
        state.mode, state.index, state.resume_mode = "editing", script.keys.index(late), None
        state.answers = {**state.answers, **answers}
        session.state, session.status = state.model_dump(), "active"
        ctx.db.add(session)
        ctx.post(
            person,
            paragraph(
                ctx.t(
                    person,
                    f"clinical.checks.{late}",
                    today=ctx.day(person, ctx.now),
                    example=(today + timedelta(days=14)).strftime("%d-%m-%Y"),
                )
            ),
        )
        ctx.post(person, await self.conversations.render(ctx, session, person, engine.current(script, state)))
        return True

    async def _ask_to_agree(self, ctx: Context, contract: Contract, who: dict[str, Person]) -> None:
        supervisor, trainee = who[SUPERVISOR], who[TRAINEE]
        contract.status, contract.round, contract.updated_at = Status.AGREEMENT_REVIEW, contract.round + 1, ctx.now
        ctx.db.add(contract)
        given = await cc.answers(ctx, contract)
        ctx.post(supervisor, paragraph(ctx.t(supervisor, "clinical.terms.sent", name=trainee)))
        intro = ctx.t(trainee, "clinical.terms.ask", name=supervisor)
        value = f"{contract.id}:{contract.round}"
        ctx.post(
            trainee,
            with_buttons(
                intro,
                Button(
                    label=ctx.t(trainee, "clinical.terms.agree"),
                    action="clinical:agree_terms",
                    value=value,
                    style="primary",
                ),
                Button(label=ctx.t(trainee, "clinical.terms.change"), action="clinical:change_terms", value=value),
                blocks=[
                    cc.progress(ctx, trainee, "agreement_review"),
                    Paragraph(text=intro),
                    *cc.answer_blocks(ctx, trainee, given, cc.AGREEMENT),
                ],
            ),
            ref=f"clinical:{contract.id}:terms:{contract.round}",
        )

    async def _change_requested(self, ctx: Context, contract: Contract, who: dict[str, Person], comment: str) -> None:
        supervisor, trainee = who[SUPERVISOR], who[TRAINEE]
        decide(ctx.db, contract, trainee, "changes_requested", ctx.now, comment=comment)
        ctx.audit("contract.changes_requested", trainee, contract.id)
        contract.status, contract.updated_at = Status.AGREEMENT, ctx.now
        ctx.db.add(contract)
        ctx.post(trainee, paragraph(ctx.t(trainee, "clinical.terms.change_sent", name=supervisor)))
        given = await cc.answers(ctx, contract)
        text = ctx.t(supervisor, "clinical.terms.change_asked", name=trainee)
        await self._open(
            ctx,
            supervisor,
            contract,
            "agreement",
            answers={k: given.get(k) for k in cc.AGREEMENT},
            blocks=[
                cc.progress(ctx, supervisor, "agreement"),
                Paragraph(text=text),
                Quote(label=trainee.display_name, text=comment),
            ],
        )

    async def _activate(self, ctx: Context, contract: Contract, who: dict[str, Person], trainee: Person) -> None:
        await ctx.close_buttons(
            ctx.t(trainee, "clinical.terms.agreed_note", date=ctx.day(trainee, ctx.now)),
            ref=f"clinical:{contract.id}:terms:{contract.round}",
        )
        decide(ctx.db, contract, trainee, "approved", ctx.now)
        ctx.audit("contract.approved", trainee, contract.id)
        contract.status, contract.updated_at = Status.ACTIVE, ctx.now
        ctx.db.add(contract)
        scope = await cc.scope_of(ctx, contract)
        given = await cc.answers(ctx, contract)
        scope.feedback_on = parse_date(given.get("feedback_when") or "")
        scope.evaluation_on = parse_date(given.get("evaluation_when") or "")
        ctx.db.add(scope)
        reminders.schedule(ctx, contract, who, scope)
        # How long it took, only when it was one sitting: a contract agreed the next day did not
        # take 1440 minutes of anyone's time.
        minutes = max(1, round((ctx.now - contract.created_at).total_seconds() / 60))
        key = "clinical.final_quick" if minutes <= 60 else "clinical.final"
        for person in who.values():
            message = await cc.copy(ctx, person, contract)
            intro = ctx.t(person, key, minutes=minutes)
            message.blocks.insert(1, Paragraph(text=intro))
            message.text = intro
            ctx.post(person, message, dedupe=f"clinical:{contract.id}:final:{person.id}:{contract.round}")

    async def _evaluated(
        self, ctx: Context, contract: Contract, who: dict[str, Person], supervisor: Person, outcome: str | None
    ) -> None:
        contract.status, contract.closed_at, contract.updated_at = Status.CLOSED, ctx.now, ctx.now
        ctx.db.add(contract)
        decide(ctx.db, contract, supervisor, f"{cc.EVALUATED}:{outcome or 'held'}", ctx.now)
        ctx.audit("contract.evaluated", supervisor, contract.id, outcome=outcome)
        await ctx.close_buttons(
            ctx.t(supervisor, "clinical.evaluated_note", date=ctx.day(supervisor, ctx.now)),
            ref=f"clinical:{contract.id}:evaluated",
        )
        for person in who.values():
            ctx.post(
                person,
                paragraph(
                    ctx.t(
                        person,
                        "clinical.evaluated",
                        trainee=who[TRAINEE],
                        supervisor=who[SUPERVISOR],
                        outcome=ctx.t(person, f"clinical.outcome.{outcome or 'held'}"),
                    )
                ),
            )

    # ---- cancelled ----------------------------------------------------
    async def on_cancelled(self, ctx: Context, session: DialogSession, person: Person) -> None:
        contract = await session_contract(ctx, session)
        if contract is None or contract.status not in LIVE:
            return
        if session.phase in ("competency", "dates"):
            ctx.post(person, paragraph(ctx.t(person, "clinical.scope.input_dropped")))
            return
        who = await parties(ctx.db, contract)
        if session.phase == "agreement_comment":
            await self._ask_to_agree(ctx, contract, who)
            return
        contract.status, contract.updated_at = Status.CANCELLED, ctx.now
        ctx.db.add(contract)
        ctx.audit("contract.cancelled", person, contract.id)
        for other in who.values():
            if other.id == person.id:
                continue
            ctx.post(other, paragraph(ctx.t(other, "clinical.cancelled_other", name=person)))
            for open_ in await self.conversations.open_sessions(ctx, other, FLOW, contract_id=contract.id):
                await self.conversations.end(ctx, open_)
        ctx.post(person, paragraph(ctx.t(person, "clinical.cancelled_self")))

    # ---- words in the DM while the other party has the turn --------------
    async def idle(self, ctx: Context, person: Person) -> bool:
        """A message with no question pending: if the other party has the turn, say so (and why)."""
        result = await ctx.db.exec(
            select(Contract, Party.role)
            .join(Party, col(Party.contract_id) == col(Contract.id))
            .where(Party.person_id == person.id, Contract.flow == FLOW, col(Contract.status).in_(LIVE))
            .order_by(col(Contract.id).desc())
        )
        for contract, role in result.all():
            if contract.status == Status.SCOPE:
                ctx.post(person, paragraph(ctx.t(person, "clinical.wait.scope")))
                return True
            if TURN[contract.status] != role:
                other = (await parties(ctx.db, contract))[TURN[contract.status]]
                ctx.post(person, paragraph(ctx.t(person, f"clinical.wait.{contract.status}", name=other)))
                return True
        return False

    # ---- commands -----------------------------------------------------
    async def show(self, ctx: Context, person: Person, number: str, response_url: str | None) -> None:
        """`/laering klinisk 12`: the contract, for its parties."""
        contract = await ctx.db.get(Contract, contract_id) if (contract_id := record_id(number)) else None
        who = await parties(ctx.db, contract) if contract is not None and contract.flow == FLOW else {}
        if person.id not in {p.id for p in who.values()}:
            ctx.respond(person, response_url, paragraph(ctx.t(person, "clinical.not_yours")))
            return
        assert contract is not None
        ctx.respond(person, response_url, await cc.copy(ctx, person, contract))

    async def show_folder(self, ctx: Context, viewer: Person, trainee: Person | None, response_url: str | None) -> None:
        """`/laering mappe [@trainee]`: for the trainee and the trainee's supervisors only."""
        target = trainee or viewer
        if trainee is None and not await self._contracts_as(ctx, viewer, TRAINEE):
            supervised = await ctx.db.exec(
                select(Person)
                .join(Party, col(Party.person_id) == col(Person.id))
                .where(
                    Party.role == TRAINEE, col(Party.contract_id).in_(await self._contracts_as(ctx, viewer, SUPERVISOR))
                )
                .order_by(col(Person.display_name))
            )
            trainees = list({p.id: p for p in supervised.all()}.values())
            if trainees:
                # A supervisor's folder: each of their trainees' contracts, then how to see one.
                ctx.respond(viewer, response_url, await cc.supervisor_folder(ctx, viewer, trainees))
                return
        if target.id != viewer.id:
            allowed = (
                await ctx.db.exec(
                    select(Party.id)
                    .join(Contract, col(Contract.id) == col(Party.contract_id))
                    .where(
                        Party.person_id == viewer.id,
                        Party.role == SUPERVISOR,
                        Contract.flow == FLOW,
                        col(Party.contract_id).in_(
                            select(Party.contract_id).where(Party.person_id == target.id, Party.role == TRAINEE)
                        ),
                    )
                )
            ).first()
            if allowed is None:
                ctx.respond(
                    viewer,
                    response_url,
                    paragraph(ctx.t(viewer, "clinical.folder.not_allowed", name=target)),
                )
                return
        ctx.respond(viewer, response_url, await cc.folder(ctx, viewer, target))

    async def _contracts_as(self, ctx: Context, person: Person, role: str) -> list[int]:
        result = await ctx.db.exec(
            select(Party.contract_id)
            .join(Contract, col(Contract.id) == col(Party.contract_id))
            .where(Party.person_id == person.id, Party.role == role, Contract.flow == FLOW)
        )
        return list(result.all())

    # ---- the clock ----------------------------------------------------
    async def next_due(self, ctx: Context) -> datetime | None:
        return await reminders.next_due(ctx)

    async def due(self, ctx: Context) -> None:
        await reminders.due(ctx)
