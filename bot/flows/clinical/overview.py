"""What the clinical learning contract shows in the overview (`bot/flows/overview.py`).

One item per live contract, for each party: whose turn it is (the seed's order:
the trainee writes first, the supervisor adds), and, once agreed, the next
feedback or evaluation. Three queries, whatever the number of contracts.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam
from sqlmodel import col, select

from bot.core.messages import Button
from bot.flows.clinical import copy as cc
from bot.flows.clinical.copy import FLOW, SUPERVISOR, TRAINEE
from bot.flows.clinical.states import TURN, Status
from bot.flows.context import Context
from bot.flows.overview import Group, Item
from bot.storage.models import ClinicalScope, Contract, Party, Person

SHOWN = (*cc.LIVE, "active")

# The person's live contracts and their role in each: built once, the person bound at each use.
_MINE = (
    select(Contract, Party.role)
    .join(Party, col(Party.contract_id) == col(Contract.id))
    .where(
        Party.person_id == bindparam("person"),
        # By the roles (an index): a leader of thousands of other contracts has none of these.
        col(Party.role).in_((SUPERVISOR, TRAINEE)),
        Contract.flow == FLOW,
        col(Contract.status).in_(SHOWN),
    )
)


class ClinicalOverview:
    async def overview(self, ctx: Context, person: Person) -> list[Item]:
        result = await ctx.db.exec(_MINE, params={"person": person.id})
        mine: dict[int, tuple[Contract, str]] = {}
        for contract, role in result.all():
            assert contract.id is not None  # read from the table
            mine[contract.id] = (contract, role)
        if not mine:
            return []
        who: dict[int, dict[str, Person]] = defaultdict(dict)
        for party, p in (
            await ctx.db.exec(
                select(Party, Person)
                .join(Person, col(Party.person_id) == col(Person.id))
                .where(col(Party.contract_id).in_(list(mine)))
            )
        ).all():
            who[party.contract_id][party.role] = p
        scopes = {
            s.contract_id: s
            for s in (
                await ctx.db.exec(select(ClinicalScope).where(col(ClinicalScope.contract_id).in_(list(mine))))
            ).all()
        }
        items = []
        for cid, (contract, role) in mine.items():
            if role not in (SUPERVISOR, TRAINEE):
                continue
            item = self._item(ctx, person, contract, role, who[cid], scopes[cid])
            if item is not None:
                items.append(item)
        return items

    def _item(
        self, ctx: Context, person: Person, contract: Contract, role: str, who: dict[str, Person], scope: ClinicalScope
    ) -> Item | None:
        other = who[TRAINEE if role == SUPERVISOR else SUPERVISOR]
        status, cid = contract.status, contract.id

        def item(group: Group, key: str, at: datetime | None, *buttons: Button, **values: object) -> Item:
            return Item(
                group=group,
                flow=FLOW,
                key=f"{FLOW}:{cid}",
                title=ctx.t(
                    person,
                    "clinical.overview.title",
                    trainee=who[TRAINEE].display_name,
                    supervisor=who[SUPERVISOR].display_name,
                ),
                step=ctx.t(person, f"clinical.overview.{key}", name=other.display_name, **values),
                at=at,
                buttons=buttons,
            )

        def button(key: str, action: str, value: str, primary: bool = False) -> Button:
            return Button(
                label=ctx.t(person, key), action=f"clinical:{action}", value=value, style="primary" if primary else None
            )

        since = contract.updated_at
        if status == Status.SCOPE:
            if person.id in scope.agreed_by:
                return item("others", "waiting_scope", since)
            return item("you", "choose_scope", since)
        if status == Status.ACTIVE:
            tz = ZoneInfo(ctx.tz(person))
            today = ctx.now.astimezone(tz).date()
            coming = sorted(
                (day, kind)
                for kind, day in (("feedback", scope.feedback_on), ("evaluation", scope.evaluation_on))
                if day is not None and day >= today
            )
            if coming:
                day, kind = coming[0]
                return item("coming", f"coming_{kind}", datetime.combine(day, time(9), tz))
            if role == SUPERVISOR:
                return item(
                    "you",
                    "mark_evaluated",
                    since,
                    button("clinical.outcome.passed", "evaluated", f"{cid}:passed", True),
                    button("clinical.outcome.not_passed", "evaluated", f"{cid}:not_passed"),
                )
            return None
        if TURN[status] != role:
            return item("others", "waiting", since, status=ctx.t(person, f"clinical.status.{status}"))
        if status in (Status.SUBGOALS_ADD, Status.LEARNING_ADD):
            phase = status.removesuffix("_add")
            return item(
                "you",
                status,
                since,
                button(f"clinical.review.add_{phase}", "add", f"{cid}:{phase}", True),
                button("clinical.review.no_add", "no_add", f"{cid}:{phase}"),
            )
        if status == Status.AGREEMENT_REVIEW:
            value = f"{cid}:{contract.round}"
            return item(
                "you",
                status,
                since,
                button("clinical.terms.agree", "agree_terms", value, True),
                button("clinical.terms.change", "change_terms", value),
            )
        return item("you", status, since)
