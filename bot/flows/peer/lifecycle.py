"""Lær af en kollega (PRODUCT.md §2.3): two colleagues, their leaders, a supervisor.

invited ──Nej tak──▶ declined
   │ Ja tak
   ▼
drafting: A writes the contract in the template's order (purpose, own goals and leader,
          supervisor, plan and activities); its joint fields are a proposal the other party
          accepts or edits (JointDraft rows); B writes its own fields and names its leader
   │ joint fields accepted and both own fields sent
   ▼
approval ──Bed om ændringer──▶ changes ──the parties edit──▶ approval (next round)
   │ every named leader: Godkend
   ▼
active ──a change (own fields, or joint fields accepted)──▶ approval (version + 1)
   │ reminders at the agreed frequency (log notes); the end date:
   ▼
evaluation (both parties, side by side; the supervisor gets the answers about supervision)
   ▼
leader_evaluation: each party with its own leader, a conversation of the two. Both write their
          assessment, then both see both side by side (a showing, `shown:<part>`); either edits
          theirs (a new showing), the leader may ask for changes, and both agreeing closes
          that party's evaluation ──both parties' closed──▶ closed
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cached_property

from sqlmodel import col, select

from bot.core.events import ActionIn, CommandIn
from bot.core.forms import Field, Form
from bot.core.ids import number, record_id
from bot.core.messages import (
    Block,
    Button,
    Buttons,
    Heading,
    Message,
    Paragraph,
    Quote,
    paragraph,
    with_buttons,
)
from bot.flows.context import Context
from bot.flows.conversations import session_contract
from bot.flows.export import button as export_button
from bot.flows.lifecycle import (
    Guard,
    Handler,
    Lifecycle,
    Press,
    Pressed,
    Refusal,
    named,
    press,
    roles,
    states,
)
from bot.flows.parts import Command, ContractFlow, Start, cannot_take_part, one_named
from bot.flows.peer import copy as cp
from bot.flows.peer.copy import (
    CONTRACT,
    FLOW,
    JOINT,
    JOINT_PHASES,
    LEADER_EVALUATION,
    LEADER_OF,
    OLD_JOINT,
    OWN,
    PART_A,
    PART_B,
    PARTS,
    SUPERVISOR,
    other_part,
)
from bot.flows.peer.states import (
    AGREED,
    CHANGES_ASKED,
    FINAL,
    LEADERS,
    LIVE,
    MOVES,
    PARTIES,
    SHOWN,
    TURNS,
    Status,
    Talk,
    talk,
)
from bot.storage.contracts import decide, given_answers, parties, store_answers, submitted
from bot.storage.models import (
    ActivityLog,
    Approval,
    Contract,
    DialogSession,
    JointDraft,
    Party,
    Person,
    PersonProfile,
)

PARTY, LEADER = "party", "leader"
DRAFTING = (Status.DRAFTING, Status.CHANGES)
# **Ny kollegakontrakt**: the colleague (its texts: `forms.peer.…` in the catalogue).
FORM = Form(name="peer", fields=(Field("colleague", "person", not_self=True),))


# The decision row of a party who agreed to the evaluation between the parties, per round.
EVALUATION_AGREED = "evaluation_agreed"


class PeerFlow(ContractFlow):
    name = FLOW

    @property
    def commands(self) -> tuple[Command, ...]:
        return (
            # `kollega @kollega` (start), `kollega` (the list), `kollega 12 [2]` (a copy).
            Command(
                "peer.commands.peer",
                self.command,
                shape=lambda words, named: (
                    named or len(words) == 1 or (all(w.isdigit() for w in words[1:3]) and len(words) <= 3)
                ),
                # `kollega` alone lists the contracts: the form opens from **Ny kollegakontrakt**.
                start=Start(FORM, self.submit_form, alone=False),
            ),
            Command("peer.commands.profile", self.profile_command),
        )

    async def command(
        self, ctx: Context, cmd: CommandIn, starter: Person, people: dict[str, Person], words: list[str]
    ) -> None:
        """`/laering kollega @kollega` starts; without a mention it lists or shows (`kollega 12 [version]`)."""
        if not cmd.mentions:
            if all(w.isdigit() for w in words[:2]) and len(words) <= 2:
                await self.show(ctx, starter, words, cmd.response_url)
            else:
                ctx.respond(starter, cmd.response_url, paragraph(ctx.t(starter, "peer.usage")))
            return
        colleague = one_named(ctx, cmd, starter, people, FLOW, "one_colleague")
        if colleague is None:
            return
        await self.start(ctx, starter, colleague, cmd.response_url)

    async def submit_form(
        self, ctx: Context, starter: Person, values: dict[str, str], picked: dict[str, Person]
    ) -> dict[str, str]:
        """**Ny kollegakontrakt**: the colleague picked, checked as `kollega @kollega` checks them."""
        colleague = picked.get(values["colleague"])
        if (problem := cannot_take_part(ctx, starter, colleague, values["colleague"], FLOW)) is not None:
            return {"colleague": problem}
        assert colleague is not None  # cannot_take_part said so
        await self.start(ctx, starter, colleague, None)
        return {}

    async def profile_command(
        self, ctx: Context, cmd: CommandIn, person: Person, people: dict[str, Person], words: list[str]
    ) -> None:
        """`/laering profil`: the person's department and position, asked in the DM."""
        await self.edit_profile(ctx, person)
        ctx.respond(person, cmd.response_url, paragraph(ctx.t(person, "peer.profile_in_dm")))

    # ---- what sessions show -------------------------------------------
    async def placeholders(self, ctx: Context, session: DialogSession) -> dict[str, str]:
        contract = await session_contract(ctx, session)
        viewer = await ctx.person(session.person_id)
        if contract is None:
            return {"other": "", "leader": ""}
        who = await parties(ctx.db, contract)
        mine = {r for r, p in who.items() if p.id == viewer.id}
        if session.role == LEADER:
            if (about := session.state.get("about")) in PARTS:  # the party the leader evaluates with
                return {"other": who[about].display_name, "leader": viewer.display_name}
            led = [who[r] for r in PARTS if LEADER_OF[r] in mine]
            return {"other": ctx.names(viewer, led), "leader": viewer.display_name}
        role = PART_A if PART_A in mine else PART_B
        leader = who.get(LEADER_OF[role])
        return {"other": who[other_part(role)].display_name, "leader": leader.display_name if leader else ""}

    async def title(self, ctx: Context, session: DialogSession) -> str:
        viewer = await ctx.person(session.person_id)
        contract = await session_contract(ctx, session)
        if contract is None:
            return ctx.t(viewer, "peer.profile_title")
        who = await parties(ctx.db, contract)
        return ctx.t(viewer, "peer.title", a=who[PART_A], b=who[PART_B])

    # ---- start --------------------------------------------------------
    async def start(self, ctx: Context, starter: Person, colleague: Person, response_url: str | None) -> None:
        assert starter.id is not None and colleague.id is not None  # both are in the database
        contract = Contract(
            flow=FLOW,
            title=f"{starter.display_name} & {colleague.display_name}"[:300],
            status=Status.INVITED,
            starter_id=starter.id,
            created_at=ctx.now,
            updated_at=ctx.now,
        )
        ctx.db.add(contract)
        await ctx.db.flush()
        assert contract.id is not None  # flushed
        ctx.db.add(Party(contract_id=contract.id, person_id=starter.id, role=PART_A))
        ctx.db.add(Party(contract_id=contract.id, person_id=colleague.id, role=PART_B))
        ctx.audit("contract.created", starter, contract.id, flow=FLOW, colleague=colleague.id)
        ctx.respond(starter, response_url, paragraph(ctx.t(starter, "peer.invited_starter", name=colleague)))
        text = ctx.t(colleague, "peer.invitation", name=starter)
        value = str(contract.id)
        ctx.post(
            colleague,
            with_buttons(
                text,
                Button(label=ctx.t(colleague, "peer.accept"), action="peer:accept", value=value, style="primary"),
                Button(label=ctx.t(colleague, "peer.decline"), action="peer:decline", value=value),
            ),
            ref=f"peer:{contract.id}:invitation",
        )

    async def _accepted(self, ctx: Context, contract: Contract, a: Person, b: Person) -> None:
        contract.status, contract.updated_at = "drafting", ctx.now
        ctx.db.add(contract)
        ctx.audit("invitation.accepted", b, contract.id)
        ctx.post(a, paragraph(ctx.t(a, "peer.accepted_starter", name=b)))
        ctx.post(b, paragraph(ctx.t(b, "peer.accepted_colleague", name=a)))
        for person in (a, b):
            await self._ask_profile(ctx, person, contract)
        # A writes the contract in the template's order; B its own fields meanwhile.
        await self._open(ctx, a, contract, CONTRACT, intro=ctx.t(a, "peer.intro_contract", name=b))
        await self._open(ctx, b, contract, OWN, intro=ctx.t(b, "peer.intro_own"))

    async def _ask_profile(self, ctx: Context, person: Person, contract: Contract | None) -> None:
        if await cp.profile(ctx, person) is not None or await self._open_session(ctx, person, None, "profile"):
            return
        ids: list[int] = []
        if contract is not None:
            assert contract.id is not None  # read from the table
            ids.append(contract.id)
        await self.conversations.open(
            ctx,
            person,
            flow=FLOW,
            phase="profile",
            role=PARTY,
            contract_ids=ids,
            intro=paragraph(ctx.t(person, "peer.intro_profile")),
        )

    async def edit_profile(self, ctx: Context, person: Person) -> None:
        facts = await cp.profile(ctx, person)
        if await self._open_session(ctx, person, None, "profile"):
            ctx.post(person, paragraph(ctx.t(person, "peer.profile_open")))
            return
        answers: dict[str, str | None] | None = (
            {"department": facts.department, "position": facts.position} if facts else None
        )
        await self.conversations.open(
            ctx,
            person,
            flow=FLOW,
            phase="profile",
            role=PARTY,
            contract_ids=[],
            intro=paragraph(ctx.t(person, "peer.intro_profile_edit")),
            answers=answers,
        )

    async def _open_session(
        self, ctx: Context, person: Person, contract: Contract | None, phase: str, about: str | None = None
    ) -> DialogSession | None:
        sessions = await self.conversations.open_sessions(
            ctx, person, FLOW, phase=phase, contract_id=contract.id if contract is not None else None
        )
        return next((s for s in sessions if about is None or s.state.get("about") == about), None)

    async def _open(
        self,
        ctx: Context,
        person: Person,
        contract: Contract,
        phase: str,
        *,
        intro: str,
        role: str = PARTY,
        answers: dict[str, str | None] | None = None,
        people: dict[str, str] | None = None,
        left_out: tuple[str, ...] = (),
        about: str | None = None,
    ) -> None:
        assert contract.id is not None  # read from the table
        if await self._open_session(ctx, person, contract, phase, about):
            ctx.post(person, paragraph(ctx.t(person, "peer.already_open")))
            return
        await self.conversations.open(
            ctx,
            person,
            flow=FLOW,
            phase=phase,
            role=role,
            contract_ids=[contract.id],
            intro=paragraph(intro),
            answers=answers,
            people=people,
            left_out=left_out,
            about=about,
        )

    # ---- sessions end -------------------------------------------------
    async def on_sent(
        self, ctx: Context, session: DialogSession, person: Person, answers: dict[str, str | None]
    ) -> None:
        people = dict(session.state.get("people") or {})
        if session.phase == "profile":
            await self._store_profile(ctx, person, answers)
            return
        contract = await session_contract(ctx, session)
        if contract is None or contract.status not in LIVE:
            ctx.post(person, paragraph(ctx.t(person, "peer.too_late")))
            return
        who = await parties(ctx.db, contract)
        role = next((r for r in PARTS if who[r].id == person.id), None)
        if session.phase == CONTRACT and role:
            # The joint fields go to the other party as a proposal, the own ones are stored.
            own = set(ctx.texts.dialogs[FLOW].phases[OWN].questions)
            await self._joint_sent(
                ctx,
                contract,
                who,
                role,
                {k: v for k, v in answers.items() if k not in own},
                {k: v for k, v in people.items() if k not in own},
            )
            await self._own_sent(
                ctx,
                contract,
                who,
                role,
                {k: v for k, v in answers.items() if k in own},
                {k: v for k, v in people.items() if k in own},
            )
        elif session.phase in JOINT_PHASES and role:
            await self._joint_sent(ctx, contract, who, role, answers, people)
        elif session.phase == OWN and role:
            await self._own_sent(ctx, contract, who, role, answers, people)
        elif session.phase == "log" and role:
            assert contract.id is not None and person.id is not None  # both are in the database
            ctx.db.add(
                ActivityLog(contract_id=contract.id, person_id=person.id, text=answers["log"] or "", logged_at=ctx.now)
            )
            ctx.post(person, paragraph(ctx.t(person, "peer.logged")))
        elif session.phase == "change_request":
            await self._changes_requested(ctx, contract, who, person, answers["comment"] or "")
        elif session.phase == "evaluation" and role:
            await self._evaluation_sent(ctx, contract, who, role, answers)
        elif session.phase in (LEADER_EVALUATION, "leader_evaluation_changes"):
            await self._talk_sent(ctx, session, contract, who, person, role, answers)

    async def _store_profile(self, ctx: Context, person: Person, answers: dict[str, str | None]) -> None:
        assert person.id is not None  # in the database
        facts = await cp.profile(ctx, person) or PersonProfile(person_id=person.id)
        facts.department, facts.position = answers["department"] or "", answers["position"] or ""
        facts.updated_at = ctx.now
        ctx.db.add(facts)
        ctx.post(person, paragraph(ctx.t(person, "peer.profile_saved")))

    def _new_version_if_active(self, ctx: Context, contract: Contract, person: Person) -> None:
        """A change to an approved contract makes the next version, which needs approval again."""
        if contract.status == Status.ACTIVE:
            contract.version += 1
            contract.status, contract.updated_at = Status.CHANGES, ctx.now
            ctx.db.add(contract)
            ctx.audit("contract.new_version", person, contract.id, version=contract.version)

    # ---- joint fields -------------------------------------------------
    async def _joint_sent(
        self,
        ctx: Context,
        contract: Contract,
        who: dict[str, Person],
        role: str,
        answers: dict[str, str | None],
        people: dict[str, str],
    ) -> None:
        author = who[role]
        assert contract.id is not None and author.id is not None  # both are in the database
        all_drafts = await cp.drafts(ctx, contract)
        previous = all_drafts[-1] if all_drafts else None
        if previous is not None and previous.status == "proposed":
            if previous.author_id != author.id and cp.joint_answers(previous) == answers:
                await self._accept(ctx, contract, who, previous, author)  # edited nothing: that is accepting
                return
            previous.status = "replaced"
            ctx.db.add(previous)
        draft = JointDraft(
            contract_id=contract.id,
            number=(previous.number + 1) if previous else 1,
            contract_version=contract.version,
            author_id=author.id,
            fields={"answers": answers, "people": people},
            created_at=ctx.now,
        )
        ctx.db.add(draft)
        await ctx.db.flush()
        ctx.audit("joint.proposed", author, contract.id, draft=draft.number)
        other = who[other_part(role)]
        ctx.post(author, paragraph(ctx.t(author, "peer.joint_sent", name=other)))
        await self._ask_to_review(ctx, contract, other, author, draft)

    async def _ask_to_review(
        self, ctx: Context, contract: Contract, reviewer: Person, author: Person, draft: JointDraft
    ) -> None:
        text = ctx.t(reviewer, "peer.joint_review", name=author)
        blocks = [
            Heading(text=ctx.t(reviewer, "peer.joint_review_title", number=draft.number)),
            Paragraph(text=text),
            *await cp.joint_blocks(ctx, reviewer, contract, draft),
        ]
        value = f"{contract.id}:{draft.number}"
        ctx.post(
            reviewer,
            with_buttons(
                text,
                Button(
                    label=ctx.t(reviewer, "peer.joint_accept"), action="peer:joint_accept", value=value, style="primary"
                ),
                Button(label=ctx.t(reviewer, "peer.joint_edit"), action="peer:joint_edit", value=value),
                blocks=blocks,
            ),
            ref=f"peer:{contract.id}:draft:{draft.number}",
        )

    async def _accept(
        self, ctx: Context, contract: Contract, who: dict[str, Person], draft: JointDraft, person: Person
    ) -> None:
        self._new_version_if_active(ctx, contract, person)
        draft.status, draft.decided_by_id, draft.decided_at = "accepted", person.id, ctx.now
        draft.contract_version = contract.version
        ctx.db.add(draft)
        ctx.audit("joint.accepted", person, contract.id, draft=draft.number, version=contract.version)
        author = next(p for p in who.values() if p.id == draft.author_id)
        await ctx.close_buttons(
            ctx.t(person, "peer.joint_accepted_note", name=person, date=ctx.day(person, ctx.now)),
            ref=f"peer:{contract.id}:draft:{draft.number}",
        )
        ctx.post(author, paragraph(ctx.t(author, "peer.joint_accepted_author", name=person)))
        ctx.post(person, paragraph(ctx.t(person, "peer.joint_accepted_you", name=author)))
        supervisor_id = cp.joint_people(draft).get("supervisor")
        await self._set_party(ctx, contract, SUPERVISOR, int(supervisor_id) if supervisor_id else None)
        await ctx.db.flush()
        await self._maybe_ask_approval(ctx, contract)

    async def _set_party(self, ctx: Context, contract: Contract, role: str, person_id: int | None) -> None:
        assert contract.id is not None  # read from the table
        for row in (await ctx.db.exec(select(Party).where(Party.contract_id == contract.id, Party.role == role))).all():
            if row.person_id == person_id:
                return
            await ctx.db.delete(row)
        await ctx.db.flush()
        if person_id is not None:
            ctx.db.add(Party(contract_id=contract.id, person_id=person_id, role=role))

    # ---- own fields ---------------------------------------------------
    async def _own_sent(
        self,
        ctx: Context,
        contract: Contract,
        who: dict[str, Person],
        role: str,
        answers: dict[str, str | None],
        people: dict[str, str],
    ) -> None:
        person = who[role]
        self._new_version_if_active(ctx, contract, person)
        await store_answers(ctx.db, contract, person, role, OWN, answers, ctx.now)
        await self._set_party(ctx, contract, LEADER_OF[role], int(people["leader"]))
        await ctx.db.flush()
        ctx.post(person, paragraph(ctx.t(person, "peer.own_sent", leader=answers["leader"] or "")))
        await self._maybe_ask_approval(ctx, contract)

    # ---- approval -----------------------------------------------------
    async def _maybe_ask_approval(self, ctx: Context, contract: Contract) -> None:
        if contract.status not in DRAFTING:
            return
        who = await parties(ctx.db, contract)
        if await cp.accepted_draft(ctx, contract) is None or await cp.proposed_draft(ctx, contract) is not None:
            return
        if not all(LEADER_OF[r] in who for r in PARTS):
            return
        for role in PARTS:
            for phase in (CONTRACT, JOINT, OLD_JOINT, OWN):
                if await self._open_session(ctx, who[role], contract, phase):
                    return
        contract.status, contract.round, contract.updated_at = Status.APPROVAL, contract.round + 1, ctx.now
        ctx.db.add(contract)
        leaders = {who[LEADER_OF[r]].id: who[LEADER_OF[r]] for r in PARTS}
        for leader in leaders.values():
            message = await cp.copy(ctx, leader, contract)
            assert message is not None
            intro = ctx.t(
                leader,
                "peer.approval_ask",
                a=who[PART_A],
                b=who[PART_B],
                version=contract.version,
            )
            value = f"{contract.id}:{contract.round}"
            message.text = intro
            message.blocks.insert(1, Paragraph(text=intro))
            message.blocks.append(
                Buttons(
                    buttons=[
                        Button(
                            label=ctx.t(leader, "peer.approve"), action="peer:approve", value=value, style="primary"
                        ),
                        Button(label=ctx.t(leader, "peer.request_changes"), action="peer:request_changes", value=value),
                    ]
                )
            )
            ctx.post(leader, message, ref=f"peer:{contract.id}:round:{contract.round}:{leader.id}")
        for role in PARTS:
            person = who[role]
            ctx.post(
                person,
                paragraph(
                    ctx.t(
                        person,
                        "peer.sent_for_approval",
                        names=ctx.names(person, list(leaders.values())),
                        version=contract.version,
                    )
                ),
            )

    async def _leaders(self, ctx: Context, contract: Contract) -> dict[int, Person]:
        who = await parties(ctx.db, contract)
        leaders: dict[int, Person] = {}
        for leader in (who[LEADER_OF[r]] for r in PARTS if LEADER_OF[r] in who):
            assert leader.id is not None  # a party is in the database
            leaders[leader.id] = leader
        return leaders

    async def _approve(self, ctx: Context, contract: Contract, leader: Person) -> None:
        decide(ctx.db, contract, leader, "approved", ctx.now)
        ctx.audit("contract.approved", leader, contract.id, version=contract.version)
        await ctx.close_buttons(
            ctx.t(leader, "peer.approved_note", name=leader, date=ctx.day(leader, ctx.now)),
            ref=f"peer:{contract.id}:round:{contract.round}:{leader.id}",
        )
        await ctx.db.flush()
        approved = {
            a.approver_id
            for a in (
                await ctx.db.exec(
                    select(Approval).where(
                        Approval.contract_id == contract.id,
                        Approval.round == contract.round,
                        Approval.decision == "approved",
                    )
                )
            ).all()
        }
        leaders = await self._leaders(ctx, contract)
        missing = [p for i, p in leaders.items() if i not in approved]
        if missing:
            ctx.post(leader, paragraph(ctx.t(leader, "peer.approved_waiting", names=ctx.names(leader, missing))))
            return
        await self._activate(ctx, contract)

    async def _activate(self, ctx: Context, contract: Contract) -> None:
        who = await parties(ctx.db, contract)
        joint = cp.joint_answers(await cp.accepted_draft(ctx, contract))
        found = cp.terms(joint, ctx.tz(who[PART_A]))
        assert found is not None
        starts, ends, every = found
        contract.status, contract.updated_at = Status.ACTIVE, ctx.now
        contract.followup_at = self._next_slot(starts, ends, every, ctx.now)
        ctx.db.add(contract)
        ctx.audit("contract.active", None, contract.id, version=contract.version)
        for person in {p.id: p for p in who.values()}.values():
            roles = {r for r, p in who.items() if p.id == person.id}
            text = ctx.t(
                person,
                "peer.active",
                a=who[PART_A],
                b=who[PART_B],
                version=contract.version,
                ends=ctx.day(person, ends),
                frequency=joint.get("frequency") or "",
            )
            if roles & set(PARTS):
                ctx.post(
                    person,
                    with_buttons(
                        text,
                        Button(
                            label=ctx.t(person, "peer.change_own"), action="peer:change_own", value=str(contract.id)
                        ),
                        Button(
                            label=ctx.t(person, "peer.change_joint"), action="peer:change_joint", value=str(contract.id)
                        ),
                        export_button(ctx, person, contract.id),
                    ),
                )
            elif SUPERVISOR in roles:
                ctx.post(
                    person,
                    with_buttons(
                        ctx.t(
                            person,
                            "peer.active_supervisor",
                            a=who[PART_A],
                            b=who[PART_B],
                            ends=ctx.day(person, ends),
                        ),
                        export_button(ctx, person, contract.id),
                    ),
                )
            else:
                ctx.post(person, with_buttons(text, export_button(ctx, person, contract.id)))

    @staticmethod
    def _next_slot(starts: datetime, ends: datetime, every: int, now: datetime) -> datetime:
        """The next reminder (from the start date, every `every` days), or the end date."""
        slot = starts
        while slot <= now:
            slot += timedelta(days=every)
        return min(slot, ends)

    async def _changes_requested(
        self, ctx: Context, contract: Contract, who: dict[str, Person], leader: Person, comment: str
    ) -> None:
        if contract.status != Status.APPROVAL:
            ctx.post(
                leader,
                paragraph(
                    ctx.t(leader, "peer.already_decided", status=ctx.t(leader, f"peer.status.{contract.status}"))
                ),
            )
            return
        decide(ctx.db, contract, leader, "changes_requested", ctx.now, comment=comment)
        ctx.audit("contract.changes_requested", leader, contract.id, version=contract.version)
        contract.status, contract.updated_at = Status.CHANGES, ctx.now
        ctx.db.add(contract)
        for other in (await self._leaders(ctx, contract)).values():
            await ctx.close_buttons(
                ctx.t(other, "peer.changes_note", name=leader, date=ctx.day(other, ctx.now)),
                ref=f"peer:{contract.id}:round:{contract.round}:{other.id}",
            )
            if other.id != leader.id:
                ctx.post(other, paragraph(ctx.t(other, "peer.changes_other_leader", name=leader)))
        ctx.post(leader, paragraph(ctx.t(leader, "peer.changes_sent")))
        for role in PARTS:
            person = who[role]
            text = ctx.t(person, "peer.changes_party", name=leader)
            ctx.post(
                person,
                with_buttons(
                    text,
                    Button(label=ctx.t(person, "peer.change_own"), action="peer:change_own", value=str(contract.id)),
                    Button(
                        label=ctx.t(person, "peer.change_joint"), action="peer:change_joint", value=str(contract.id)
                    ),
                    blocks=[
                        Paragraph(text=text),
                        Quote(label=ctx.t(person, "peer.comment_label", name=leader), text=comment),
                    ],
                ),
            )

    # ---- evaluation ---------------------------------------------------
    async def _evaluate(self, ctx: Context, contract: Contract) -> None:
        who = await parties(ctx.db, contract)
        contract.status, contract.followup_at, contract.updated_at = Status.EVALUATION, None, ctx.now
        ctx.db.add(contract)
        ctx.audit("contract.ended", None, contract.id)
        for role in PARTS:
            person = who[role]
            await self._open(
                ctx,
                person,
                contract,
                "evaluation",
                intro=ctx.t(person, "peer.intro_evaluation", name=who[other_part(role)]),
                # The question about the supervisor, only when there is one.
                left_out=() if SUPERVISOR in who else ("eval_supervisor",),
            )

    async def _evaluation_sent(
        self, ctx: Context, contract: Contract, who: dict[str, Person], role: str, answers: dict[str, str | None]
    ) -> None:
        """A party's evaluation: once both have sent, both see both sets and agree; a party who
        edits theirs then shows both the new sets, to agree again."""
        person = who[role]
        await store_answers(ctx.db, contract, person, role, "evaluation", answers, ctx.now)
        other = who[other_part(role)]
        if not all([await submitted(ctx.db, contract, r, "evaluation") for r in PARTS]):
            ctx.post(person, paragraph(ctx.t(person, "peer.evaluation_waiting", name=other)))
            return
        if contract.status == Status.EVALUATION_AGREE:
            for r in PARTS:  # the sets shown before, and their buttons, are of the past
                await ctx.close_buttons(
                    ctx.t(who[r], "peer.evaluation_changed_note", name=person),
                    ref=f"peer:{contract.id}:evaluation:{contract.round}:{r}",
                )
        contract.status, contract.updated_at = Status.EVALUATION_AGREE, ctx.now
        contract.round += 1
        ctx.db.add(contract)
        value = f"{contract.id}:{contract.round}"
        for r in PARTS:
            viewer = who[r]
            intro = ctx.t(viewer, "peer.evaluation_both")
            blocks = [
                Heading(text=ctx.t(viewer, "peer.title", a=who[PART_A], b=who[PART_B])),
                Paragraph(text=intro),
                *await cp.evaluation_blocks(ctx, viewer, contract),
                Paragraph(text=ctx.t(viewer, "peer.evaluation_agree")),
                Buttons(
                    buttons=[
                        Button(
                            label=ctx.t(viewer, "peer.agree_evaluation"),
                            action="peer:agree_evaluation",
                            value=value,
                            style="primary",
                        ),
                        Button(label=ctx.t(viewer, "peer.edit_evaluation"), action="peer:edit_evaluation", value=value),
                    ]
                ),
            ]
            ctx.post(
                viewer, Message(text=intro, blocks=blocks), ref=f"peer:{contract.id}:evaluation:{contract.round}:{r}"
            )

    async def _agree_evaluation(self, ctx: Context, pressed: Pressed) -> None:
        contract, person, who = pressed.contract, pressed.person, pressed.who
        role = next(r for r in PARTS if r in pressed.roles)
        decide(ctx.db, contract, person, EVALUATION_AGREED, ctx.now)
        await ctx.close_buttons(
            ctx.t(person, "peer.evaluation_agreed_note", date=ctx.day(person, ctx.now)),
            ref=f"peer:{contract.id}:evaluation:{contract.round}:{role}",
        )
        await ctx.db.flush()
        agreed = await self._evaluation_agreements(ctx, contract)
        if not {who[r].id for r in PARTS} <= agreed:
            other = who[other_part(role)]
            ctx.post(person, paragraph(ctx.t(person, "peer.evaluation_waiting_agree", name=other)))
            return
        contract.status, contract.updated_at = Status.LEADER_EVALUATION, ctx.now
        ctx.db.add(contract)
        supervisor = who.get(SUPERVISOR)
        if supervisor is not None:
            intro = ctx.t(supervisor, "peer.evaluation_supervisor", a=who[PART_A], b=who[PART_B])
            ctx.post(
                supervisor,
                Message(
                    text=intro,
                    blocks=[
                        Paragraph(text=intro),
                        *await cp.evaluation_blocks(ctx, supervisor, contract, keys=["eval_supervisor"]),
                    ],
                ),
            )
        for r in PARTS:
            viewer = who[r]
            await self._open(
                ctx,
                viewer,
                contract,
                LEADER_EVALUATION,
                intro=ctx.t(viewer, "peer.intro_leader_evaluation", leader=who[LEADER_OF[r]]),
            )
            await self._open_assessment(ctx, contract, who, r)

    async def _evaluation_agreements(self, ctx: Context, contract: Contract) -> set[int]:
        """Who agreed to the evaluation as it stands (this round)."""
        return set(
            (
                await ctx.db.exec(
                    select(Approval.approver_id).where(
                        Approval.contract_id == contract.id,
                        Approval.round == contract.round,
                        Approval.decision == EVALUATION_AGREED,
                    )
                )
            ).all()
        )

    async def _not_agreed_yet(self, ctx: Context, pressed: Pressed) -> bool:
        return pressed.person.id not in await self._evaluation_agreements(ctx, pressed.contract)

    async def _edit_evaluation(self, ctx: Context, pressed: Pressed) -> None:
        """Ret mine svar: the party's own evaluation, with their answers, to change and send again."""
        contract, person, who = pressed.contract, pressed.person, pressed.who
        role = next(r for r in PARTS if r in pressed.roles)
        await self._open(
            ctx,
            person,
            contract,
            "evaluation",
            intro=ctx.t(person, "peer.intro_evaluation_edit", name=who[other_part(role)]),
            answers=await given_answers(ctx.db, contract, role, "evaluation"),
            left_out=() if SUPERVISOR in who else ("eval_supervisor",),
        )

    # ---- the evaluation with a leader -----------------------------------
    async def _open_assessment(
        self,
        ctx: Context,
        contract: Contract,
        who: dict[str, Person],
        part: str,
        *,
        intro: str | None = None,
        answers: dict[str, str | None] | None = None,
    ) -> None:
        """The leader's side of the evaluation with `part`: the leader's own assessment."""
        leader, party = who[LEADER_OF[part]], who[part]
        await self._open(
            ctx,
            leader,
            contract,
            LEADER_EVALUATION,
            role=LEADER,
            about=part,
            answers=answers,
            intro=intro
            or ctx.t(
                leader,
                "peer.intro_leader_assessment",
                name=party,
                a=who[PART_A],
                b=who[PART_B],
            ),
        )

    async def _talk(self, ctx: Context, contract: Contract, part: str) -> Talk:
        rows = (
            await ctx.db.exec(
                select(Approval.approver_id, Approval.round, Approval.decision).where(
                    Approval.contract_id == contract.id,
                    col(Approval.decision).in_([f"{d}:{part}" for d in (SHOWN, AGREED, CHANGES_ASKED)]),
                )
            )
        ).all()
        return talk(rows, part)

    def _mark(
        self, ctx: Context, contract: Contract, person: Person, what: str, part: str, round_: int, **kw: str
    ) -> None:
        """A decision of the evaluation with a leader, in the round of its showing."""
        decide(ctx.db, contract, person, f"{what}:{part}", ctx.now, **kw).round = round_

    async def _talk_sent(
        self,
        ctx: Context,
        session: DialogSession,
        contract: Contract,
        who: dict[str, Person],
        person: Person,
        role: str | None,
        answers: dict[str, str | None],
    ) -> None:
        """A side of the evaluation with a leader sent (the party's, the leader's), or the
        leader's comment asking for changes."""
        about = session.state.get("about")
        part = about if session.role == LEADER and about in PARTS else role
        if (
            part is None
            or contract.status != Status.LEADER_EVALUATION
            or await cp.part_closed(ctx, contract, part)
            or person.id not in (who[part].id, who[LEADER_OF[part]].id)
        ):
            ctx.post(person, paragraph(ctx.t(person, "peer.too_late")))
            return
        if session.phase == "leader_evaluation_changes":
            await self._changes_asked(ctx, contract, who, part, answers["evaluation_changes"] or "")
            return
        side = LEADER_OF[part] if session.role == LEADER else part
        party, leader = who[part], who[LEADER_OF[part]]
        await store_answers(ctx.db, contract, person, side, LEADER_EVALUATION, answers, ctx.now)
        sent = {r: await submitted(ctx.db, contract, r, LEADER_EVALUATION) for r in (part, LEADER_OF[part])}
        if (
            not sent[LEADER_OF[part]]
            and side == part
            and not await self._open_session(ctx, leader, contract, LEADER_EVALUATION, about=part)
        ):
            # A contract that came to its leader evaluation before leaders wrote their own.
            await self._open_assessment(ctx, contract, who, part)
        if not all(sent.values()):
            if side == part:
                ctx.post(person, paragraph(ctx.t(person, "peer.leader_evaluation_sent", leader=leader)))
            else:
                ctx.post(person, paragraph(ctx.t(person, "peer.leader_assessment_sent", name=party)))
            return
        talk = await self._talk(ctx, contract, part)
        if talk.shown and not talk.asked:  # the sets shown before, and their buttons, are of the past
            for r in (part, LEADER_OF[part]):
                await ctx.close_buttons(
                    ctx.t(who[r], "peer.evaluation_changed_note", name=person),
                    ref=f"peer:{contract.id}:talk:{part}:{talk.shown}:{r}",
                )
        shown = talk.shown + 1
        self._mark(ctx, contract, person, SHOWN, part, shown)
        contract.updated_at = ctx.now
        ctx.db.add(contract)
        value = f"{contract.id}:{part}:{shown}"
        for r in (part, LEADER_OF[part]):
            viewer = who[r]
            intro = ctx.t(viewer, "peer.leader_evaluation_both")
            buttons = [
                Button(
                    label=ctx.t(viewer, "peer.agree_leader_evaluation"),
                    action="peer:agree_leader_evaluation",
                    value=value,
                    style="primary",
                )
            ]
            if r == part:
                ask = ctx.t(viewer, "peer.leader_evaluation_agree")
            else:
                ask = ctx.t(viewer, "peer.leader_evaluation_agree_leader", name=party)
                buttons.append(
                    Button(
                        label=ctx.t(viewer, "peer.leader_evaluation_changes"),
                        action="peer:leader_evaluation_changes",
                        value=value,
                    )
                )
            buttons.append(
                Button(
                    label=ctx.t(viewer, "peer.edit_leader_evaluation"),
                    action="peer:edit_leader_evaluation",
                    value=value,
                )
            )
            blocks = [
                Heading(text=ctx.t(viewer, "peer.title", a=who[PART_A], b=who[PART_B])),
                Paragraph(text=intro),
                *await cp.talk_blocks(ctx, viewer, contract, part),
                Paragraph(text=ask),
                Buttons(buttons=buttons),
            ]
            ctx.post(viewer, Message(text=intro, blocks=blocks), ref=f"peer:{contract.id}:talk:{part}:{shown}:{r}")

    async def _changes_asked(
        self, ctx: Context, contract: Contract, who: dict[str, Person], part: str, comment: str
    ) -> None:
        """The leader's comment: the showing's buttons close, and the party is asked to look again."""
        party, leader = who[part], who[LEADER_OF[part]]
        talk = await self._talk(ctx, contract, part)
        if not talk.asked:
            self._mark(ctx, contract, leader, CHANGES_ASKED, part, talk.shown, comment=comment)
            for r in (part, LEADER_OF[part]):
                await ctx.close_buttons(
                    ctx.t(
                        who[r],
                        "peer.leader_evaluation_changes_note",
                        name=leader,
                        date=ctx.day(who[r], ctx.now),
                    ),
                    ref=f"peer:{contract.id}:talk:{part}:{talk.shown}:{r}",
                )
        ctx.audit("evaluation.changes_requested", leader, contract.id, part=part)
        ctx.post(leader, paragraph(ctx.t(leader, "peer.leader_evaluation_changes_sent", name=party)))
        text = ctx.t(party, "peer.leader_evaluation_changes_party", leader=leader)
        ctx.post(
            party,
            with_buttons(
                text,
                Button(
                    label=ctx.t(party, "peer.edit_leader_evaluation"),
                    action="peer:edit_leader_evaluation",
                    value=f"{contract.id}:{part}:{talk.shown}",
                ),
                blocks=[
                    Paragraph(text=text),
                    Quote(label=ctx.t(party, "peer.comment_label", name=leader), text=comment),
                ],
            ),
            ref=f"peer:{contract.id}:talk:{part}:{talk.shown}:changes",
        )

    async def _agree_talk(self, ctx: Context, pressed: Pressed) -> None:
        contract, person, who = pressed.contract, pressed.person, pressed.who
        part, shown = self._talk_of(pressed)
        side = part if who[part].id == person.id else LEADER_OF[part]
        self._mark(ctx, contract, person, AGREED, part, shown)
        await ctx.close_buttons(
            ctx.t(person, "peer.evaluation_agreed_note", date=ctx.day(person, ctx.now)),
            ref=f"peer:{contract.id}:talk:{part}:{shown}:{side}",
        )
        await ctx.db.flush()
        party, leader = who[part], who[LEADER_OF[part]]
        if not {party.id, leader.id} <= (await self._talk(ctx, contract, part)).agreed:
            other = leader if side == part else party
            ctx.post(person, paragraph(ctx.t(person, "peer.leader_evaluation_waiting_agree", name=other)))
            return
        decide(ctx.db, contract, leader, f"closed:{part}", ctx.now)
        ctx.audit("evaluation.closed", person, contract.id, part=part)
        ctx.post(party, paragraph(ctx.t(party, "peer.leader_evaluation_agreed_party", leader=leader)))
        ctx.post(leader, paragraph(ctx.t(leader, "peer.leader_evaluation_agreed_leader", name=party)))
        await self._maybe_closed(ctx, contract, who, person)

    async def _edit_talk(self, ctx: Context, pressed: Pressed) -> None:
        """Ret mine svar: the presser's own side, with their answers, to change and send again."""
        contract, person, who = pressed.contract, pressed.person, pressed.who
        part, _ = self._talk_of(pressed)
        if who[part].id == person.id:
            await self._open(
                ctx,
                person,
                contract,
                LEADER_EVALUATION,
                intro=ctx.t(person, "peer.intro_evaluation_edit", name=who[LEADER_OF[part]]),
                answers=await given_answers(ctx.db, contract, part, LEADER_EVALUATION),
            )
        else:
            await self._open_assessment(
                ctx,
                contract,
                who,
                part,
                intro=ctx.t(person, "peer.intro_evaluation_edit", name=who[part]),
                answers=await given_answers(ctx.db, contract, LEADER_OF[part], LEADER_EVALUATION),
            )

    async def _ask_talk_changes(self, ctx: Context, pressed: Pressed) -> None:
        """Bed om ændringer: the comment is asked first; sending it reaches the party."""
        part, _ = self._talk_of(pressed)
        await self._open(
            ctx,
            pressed.person,
            pressed.contract,
            "leader_evaluation_changes",
            intro=ctx.t(pressed.person, "peer.intro_leader_evaluation_changes", name=pressed.who[part]),
            role=LEADER,
            about=part,
        )

    async def _close_part(
        self, ctx: Context, contract: Contract, who: dict[str, Person], role: str, leader: Person
    ) -> None:
        decide(ctx.db, contract, leader, f"closed:{role}", ctx.now)
        ctx.audit("evaluation.closed", leader, contract.id, part=role)
        await ctx.close_buttons(
            ctx.t(leader, "peer.closed_note", name=leader, date=ctx.day(leader, ctx.now)),
            ref=f"peer:{contract.id}:close:{role}",
        )
        person = who[role]
        ctx.post(person, paragraph(ctx.t(person, "peer.closed_party", leader=leader)))
        await self._maybe_closed(ctx, contract, who, leader)

    async def _maybe_closed(self, ctx: Context, contract: Contract, who: dict[str, Person], by: Person) -> None:
        """Both parties' evaluations with their leaders closed: the contract is."""
        await ctx.db.flush()
        closed = {
            a.decision
            for a in (
                await ctx.db.exec(
                    select(Approval).where(
                        Approval.contract_id == contract.id, col(Approval.decision).startswith("closed:")
                    )
                )
            ).all()
        }
        if closed >= {f"closed:{r}" for r in PARTS}:
            contract.status, contract.closed_at, contract.updated_at = Status.CLOSED, ctx.now, ctx.now
            ctx.db.add(contract)
            ctx.audit("contract.closed", by, contract.id)
            for r in PARTS:
                ctx.post(
                    who[r],
                    with_buttons(
                        ctx.t(who[r], "peer.closed_all", name=who[other_part(r)], id=contract.id),
                        export_button(ctx, who[r], contract.id),
                    ),
                )

    # ---- cancelled ----------------------------------------------------
    async def on_cancelled(self, ctx: Context, session: DialogSession, person: Person) -> None:
        contract = await session_contract(ctx, session)
        ending = (
            session.phase in ("profile", CONTRACT, *JOINT_PHASES, OWN)
            and contract is not None
            and contract.status == "drafting"
        )
        if not ending:
            ctx.post(person, paragraph(ctx.t(person, "peer.dropped")))
            return
        assert contract is not None
        contract.status, contract.updated_at = Status.CANCELLED, ctx.now
        ctx.db.add(contract)
        ctx.audit("contract.cancelled", person, contract.id)
        for other in {p.id: p for p in (await parties(ctx.db, contract)).values()}.values():
            if other.id == person.id:
                continue
            ctx.post(other, paragraph(ctx.t(other, "peer.cancelled_other", name=person)))
            for open_ in await self.conversations.open_sessions(ctx, other, FLOW, contract_id=contract.id):
                await self.conversations.end(ctx, open_)
        ctx.post(person, paragraph(ctx.t(person, "peer.cancelled_self")))

    # ---- buttons ------------------------------------------------------
    @cached_property  # built once: every press reads it
    def lifecycle(self) -> Lifecycle:
        # The table, a row a button, as rows rather than as the formatter would wrap them.
        # fmt: off
        S, drafting = Status, states(Status.DRAFTING, Status.CHANGES)
        colleague, leaders = named(PART_B), self._leader_names

        def invitation(step: str, handler: Handler, to: str) -> Press:
            return Press(step, roles(PART_B), states(S.INVITED), handler, to=to, refuse="peer.only_colleague",
                         whom=colleague)

        def joint(step: str) -> Press:
            return Press(step, PARTIES, drafting | states(S.ACTIVE), self._joint_pressed, to=None,
                         refuse="peer.only_parties", guard=self._draft_proposed, check=self._not_the_author)

        def deciding(step: str, handler: Handler) -> Press:
            return Press(step, LEADERS, states(S.APPROVAL), handler, to=None, refuse="peer.only_leaders",
                         whom=leaders, round=True, guard=self._undecided)

        def talking(step: str, handler: Handler, guard: Guard, check: Refusal | None = None) -> Press:
            return Press(step, PARTIES | LEADERS, states(S.LEADER_EVALUATION), handler, to=None,
                         refuse="peer.only_talk", whom=self._talk_names, guard=guard,
                         check=check or self._in_talk)

        def changing(step: str, handler: Handler) -> Press:
            return Press(step, PARTIES, states(S.CHANGES, S.ACTIVE), handler, to=None, refuse="peer.only_parties")

        presses = (
            invitation("accept", self._accept_invitation, S.DRAFTING),
            invitation("decline", self._decline, S.DECLINED),
            joint("joint_accept"),
            joint("joint_edit"),
            changing("change_own", self._change_own),
            changing("change_joint", self._change_joint),
            deciding("approve", self._approve_pressed),
            # The comment is asked first; sending it moves the contract to `changes`.
            deciding("request_changes", self._ask_changes),
            Press("log", PARTIES, states(S.ACTIVE), self._log, to=None, refuse="peer.only_parties"),
            # Both see both evaluations and agree (the second moves on, a Move), or edit their own.
            Press("agree_evaluation", PARTIES, states(S.EVALUATION_AGREE), self._agree_evaluation, to=None,
                  refuse="peer.only_parties", round=True, guard=self._not_agreed_yet),
            Press("edit_evaluation", PARTIES, states(S.EVALUATION_AGREE), self._edit_evaluation, to=None,
                  refuse="peer.only_parties", round=True, guard=self._not_agreed_yet),
            # Each party and its own leader: both agree to the two assessments side by side (the
            # second closes that party's evaluation, the last the contract), or one edits theirs,
            # or the leader asks for changes.
            talking("agree_leader_evaluation", self._agree_talk, guard=self._talk_undecided),
            talking("edit_leader_evaluation", self._edit_talk, guard=self._talk_current),
            talking("leader_evaluation_changes", self._ask_talk_changes, guard=self._talk_undecided,
                    check=self._talk_leader),
            # The button of a contract that came to its leader evaluation before leaders wrote
            # their own: that party's own leader closes it.
            Press("close", LEADERS, states(S.LEADER_EVALUATION), self._close_pressed, to=S.CLOSED,
                  refuse="peer.only_own_leader", guard=self._part_open, check=self._own_leader),
        )
        return Lifecycle(flow=FLOW, states=Status, start=S.INVITED, final=FINAL, moves=MOVES, turns=TURNS,
                         presses=presses)
        # fmt: on

    async def on_action(self, ctx: Context, action: ActionIn, person: Person) -> None:
        await press(ctx, self.lifecycle, action, person)

    # ---- what the table's checks read -------------------------------------
    async def _leader_names(self, ctx: Context, pressed: Pressed) -> dict[str, object]:
        leaders = list((await self._leaders(ctx, pressed.contract)).values())
        return {"names": ctx.names(pressed.person, leaders)}

    async def _draft(self, ctx: Context, pressed: Pressed) -> JointDraft | None:
        return next((d for d in await cp.drafts(ctx, pressed.contract) if str(d.number) == pressed.rest), None)

    async def _draft_proposed(self, ctx: Context, pressed: Pressed) -> bool:
        draft = await self._draft(ctx, pressed)
        return draft is not None and draft.status == "proposed"

    async def _undecided(self, ctx: Context, pressed: Pressed) -> bool:
        """The leader has not decided in this round yet."""
        contract = pressed.contract
        return (
            await ctx.db.exec(
                select(Approval.id).where(
                    Approval.contract_id == contract.id,
                    Approval.round == contract.round,
                    Approval.approver_id == pressed.person.id,
                )
            )
        ).first() is None

    async def _part_open(self, ctx: Context, pressed: Pressed) -> bool:
        """The part named by the button (`rest`) is not closed yet (the leader check is the handler's)."""
        return pressed.rest not in PARTS or not await cp.part_closed(ctx, pressed.contract, pressed.rest)

    @staticmethod
    def _talk_of(pressed: Pressed) -> tuple[str, int]:
        """The party and the showing a button of the evaluation with a leader is for (`part:n`)."""
        part, _, shown = pressed.rest.partition(":")
        return (part, int(shown)) if part in PARTS and shown.isdigit() else ("", -1)

    async def _talk_current(self, ctx: Context, pressed: Pressed) -> bool:
        """The button is of the newest showing of a party's evaluation that is still open."""
        part, shown = self._talk_of(pressed)
        return (
            part in PARTS
            and not await cp.part_closed(ctx, pressed.contract, part)
            and (await self._talk(ctx, pressed.contract, part)).shown == shown
        )

    async def _talk_undecided(self, ctx: Context, pressed: Pressed) -> bool:
        """As `_talk_current`, and no one asked for changes to it and the presser has not agreed."""
        if not await self._talk_current(ctx, pressed):
            return False
        talk = await self._talk(ctx, pressed.contract, self._talk_of(pressed)[0])
        return not talk.asked and pressed.person.id not in talk.agreed

    async def _talk_names(self, ctx: Context, pressed: Pressed) -> dict[str, object]:
        part = self._talk_of(pressed)[0] or PART_A
        leader = pressed.who.get(LEADER_OF[part])
        return {"name": pressed.who[part], "leader": leader or ""}

    async def _in_talk(self, ctx: Context, pressed: Pressed) -> str | None:
        """The party and its own leader evaluate together; the other party and leader do not."""
        part = self._talk_of(pressed)[0]
        if part in pressed.roles or LEADER_OF[part] in pressed.roles:
            return None
        return ctx.t(pressed.person, "peer.only_talk", **await self._talk_names(ctx, pressed))

    async def _talk_leader(self, ctx: Context, pressed: Pressed) -> str | None:
        """Only the party's own leader asks for changes."""
        if LEADER_OF[self._talk_of(pressed)[0]] in pressed.roles:
            return None
        return ctx.t(pressed.person, "peer.only_own_leader_changes")

    async def _not_the_author(self, ctx: Context, pressed: Pressed) -> str | None:
        """The other party accepts or edits a proposal, not its author."""
        draft = await self._draft(ctx, pressed)
        if draft is None or draft.author_id != pressed.person.id:
            return None
        who = pressed.who
        other = who[PART_B] if who[PART_A].id == pressed.person.id else who[PART_A]
        return ctx.t(pressed.person, "peer.joint_own_draft", name=other)

    async def _own_leader(self, ctx: Context, pressed: Pressed) -> str | None:
        """A party's evaluation is closed by that party's own leader."""
        role = pressed.rest if pressed.rest in PARTS else None
        if role is None or LEADER_OF[role] not in pressed.roles:
            return ctx.t(pressed.person, "peer.only_own_leader")
        return None

    # ---- the presses ------------------------------------------------------
    def _refuse(self, ctx: Context, pressed: Pressed, key: str, **values: object) -> None:
        ctx.respond(pressed.person, pressed.action.response_url, paragraph(ctx.t(pressed.person, key, **values)))

    async def _accept_invitation(self, ctx: Context, pressed: Pressed) -> None:
        contract, person = pressed.contract, pressed.person
        await ctx.close_buttons(ctx.t(person, "peer.accepted_note"), ref=f"peer:{contract.id}:invitation")
        await self._accepted(ctx, contract, pressed.who[PART_A], person)

    async def _decline(self, ctx: Context, pressed: Pressed) -> None:
        contract, person, a = pressed.contract, pressed.person, pressed.who[PART_A]
        await ctx.close_buttons(ctx.t(person, "peer.declined_note"), ref=f"peer:{contract.id}:invitation")
        contract.status, contract.updated_at = Status.DECLINED, ctx.now
        ctx.db.add(contract)
        ctx.audit("invitation.declined", person, contract.id)
        ctx.post(a, paragraph(ctx.t(a, "peer.declined_starter", name=person)))
        ctx.post(person, paragraph(ctx.t(person, "peer.declined_colleague", name=a)))

    async def _joint_pressed(self, ctx: Context, pressed: Pressed) -> None:
        contract, person, who = pressed.contract, pressed.person, pressed.who
        draft = await self._draft(ctx, pressed)
        assert draft is not None  # the guard
        if pressed.action.action.endswith(":joint_accept"):
            await self._accept(ctx, contract, who, draft, person)
        else:
            await ctx.close_buttons(
                ctx.t(person, "peer.joint_editing_note"), ref=f"peer:{contract.id}:draft:{draft.number}"
            )
            await self._edit_joint(ctx, person, contract, draft)

    async def _change_own(self, ctx: Context, pressed: Pressed) -> None:
        contract, person = pressed.contract, pressed.person
        role = next(r for r in PARTS if r in pressed.roles)
        own = await cp.answers(ctx, contract, role, OWN)
        leader = pressed.who.get(LEADER_OF[role])
        await self._open(
            ctx,
            person,
            contract,
            OWN,
            intro=ctx.t(person, "peer.intro_own_edit"),
            answers=own,
            people={"leader": str(leader.id)} if leader else None,
        )

    async def _change_joint(self, ctx: Context, pressed: Pressed) -> None:
        contract, person = pressed.contract, pressed.person
        if await cp.proposed_draft(ctx, contract) is not None:
            return self._refuse(ctx, pressed, "peer.joint_pending")
        draft = await cp.accepted_draft(ctx, contract)
        await self._edit_joint(ctx, person, contract, draft)

    async def _edit_joint(self, ctx: Context, person: Person, contract: Contract, draft: JointDraft | None) -> None:
        """The joint fields asked again, with a draft's answers and people filled in."""
        await self._open(
            ctx,
            person,
            contract,
            JOINT,
            intro=ctx.t(person, "peer.intro_joint_edit"),
            answers=cp.joint_answers(draft),
            people=cp.joint_people(draft),
        )

    async def _approve_pressed(self, ctx: Context, pressed: Pressed) -> None:
        await self._approve(ctx, pressed.contract, pressed.person)

    async def _ask_changes(self, ctx: Context, pressed: Pressed) -> None:
        assert pressed.contract.id is not None  # read from the table
        if not await self._open_session(ctx, pressed.person, pressed.contract, "change_request"):
            await self.conversations.open(
                ctx, pressed.person, flow=FLOW, phase="change_request", role=LEADER, contract_ids=[pressed.contract.id]
            )

    async def _log(self, ctx: Context, pressed: Pressed) -> None:
        await self._open(ctx, pressed.person, pressed.contract, "log", intro=ctx.t(pressed.person, "peer.intro_log"))

    async def _close_pressed(self, ctx: Context, pressed: Pressed) -> None:
        await self._close_part(ctx, pressed.contract, pressed.who, pressed.rest, pressed.person)

    # ---- commands -----------------------------------------------------
    async def show(self, ctx: Context, person: Person, words: list[str], response_url: str | None) -> None:
        """`/laering kollega` lists the person's contracts; `/laering kollega 12 [version]` shows one copy."""
        if not words:
            result = await ctx.db.exec(
                select(Contract)
                .join(Party, col(Party.contract_id) == col(Contract.id))
                .where(Contract.flow == FLOW, Party.person_id == person.id)
                .order_by(col(Contract.id))
            )
            lines = []
            for contract in {c.id: c for c in result.all()}.values():
                who = await parties(ctx.db, contract)
                lines.append(
                    ctx.t(
                        person,
                        "peer.list_line",
                        id=contract.id,
                        a=who[PART_A],
                        b=who[PART_B],
                        status=ctx.t(person, f"peer.status.{contract.status}"),
                    )
                )
            text = "\n".join(lines) if lines else ctx.t(person, "peer.list_empty")
            ctx.respond(
                person,
                response_url,
                Message(text=text, blocks=[Paragraph(text=ctx.t(person, "peer.list_title")), Paragraph(text=text)]),
            )
            return
        # A number that names no contract (or no version) is answered as someone else's contract.
        contract_id = record_id(words[0])
        chosen = await ctx.db.get(Contract, contract_id) if contract_id is not None else None
        version = number(words[1], 1) if len(words) > 1 else None
        message = None
        if (
            chosen is not None
            and chosen.flow == FLOW
            and (len(words) == 1 or (version is not None and version <= chosen.version))
        ):
            message = await cp.copy(ctx, person, chosen, version)
        ctx.respond(person, response_url, message or paragraph(ctx.t(person, "peer.not_yours")))

    # ---- the clock ----------------------------------------------------
    async def next_due(self, ctx: Context) -> datetime | None:
        result = await ctx.db.exec(
            select(Contract.followup_at)
            .where(Contract.flow == FLOW, Contract.status == Status.ACTIVE, col(Contract.followup_at).is_not(None))
            .order_by(col(Contract.followup_at))
            .limit(1)
        )
        return result.first()

    async def due(self, ctx: Context) -> None:
        """Reminders at the agreed frequency, and the evaluation at the end date."""
        result = await ctx.db.exec(
            select(Contract)
            .where(Contract.flow == FLOW, Contract.status == Status.ACTIVE, col(Contract.followup_at) <= ctx.now)
            .limit(200)
        )
        for contract in result.all():
            who = await parties(ctx.db, contract)
            joint = cp.joint_answers(await cp.accepted_draft(ctx, contract))
            found = cp.terms(joint, ctx.tz(who[PART_A]))
            if found is None:
                continue
            starts, ends, every = found
            if ctx.now >= ends:
                await self._evaluate(ctx, contract)
                continue
            slot = contract.followup_at
            assert slot is not None
            for role in PARTS:
                person = who[role]
                text = ctx.t(
                    person,
                    "peer.reminder",
                    name=who[other_part(role)],
                    frequency=joint.get("frequency") or "",
                    ends=ctx.day(person, ends),
                )
                # The continuous evaluation the plan holds is recalled at each agreed meeting.
                blocks: list[Block] = [Paragraph(text=text)]
                if agreed := joint.get("continuous_evaluation"):
                    blocks.append(Quote(label=ctx.t(person, "peer.reminder_evaluation"), text=agreed))
                ctx.post(
                    person,
                    with_buttons(
                        text,
                        Button(label=ctx.t(person, "peer.log"), action="peer:log", value=str(contract.id)),
                        blocks=blocks,
                    ),
                    dedupe=f"peer:{contract.id}:reminder:{int(slot.timestamp())}:{role}",
                )
            contract.followup_at = self._next_slot(starts, ends, every, ctx.now)
            ctx.db.add(contract)
