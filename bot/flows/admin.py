"""`/laering admin status`: how many contracts there are, per flow and status, for administrators.

Administrators are named by platform user id in `ADMIN_USER_IDS`. They get
counts and a CSV file of the contracts (id, flow, parties, dates, status),
never what anyone answered. With Slack in many workspaces, a Slack administrator sees
their own workspace's contracts only (those its people started).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import func, true
from sqlmodel import col, select

from bot.core.events import CommandIn
from bot.core.messages import Block, Heading, Message, Note, Paragraph, paragraph
from bot.flows.context import Context
from bot.flows.parts import Command, Quiet
from bot.storage.models import Contract, Party, Person

CSV_COLUMNS = [
    "id",
    "flow",
    "title",
    "status",
    "version",
    "parties",
    "created_at",
    "updated_at",
    "followup_at",
    "closed_at",
]


def is_admin(ctx: Context, person: Person) -> bool:
    return person.external_id in ctx.settings.admins


def _seen_by(ctx: Context, viewer: Person) -> Any:
    """The contracts an administrator may see: all of them, or with Slack in many workspaces
    those started by someone of the viewer's workspace."""
    if viewer.platform not in ctx.settings.many_workspaces:
        return true()
    own = select(Person.id).where(Person.platform == viewer.platform, Person.team_id == viewer.team_id)
    return col(Contract.starter_id).in_(own)


def _cell(value: object) -> str:
    """A CSV cell that a spreadsheet never runs as a formula."""
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _iso(moment: datetime | None) -> str:
    return moment.isoformat(timespec="seconds") if moment else ""


class AdminFlow(Quiet):
    name = "admin"

    @property
    def commands(self) -> tuple[Command, ...]:
        # `admin status`
        return (Command("admin.commands.admin", self.command, shape=lambda words, named: len(words) <= 2),)

    def help(self, ctx: Context, person: Person) -> tuple[str, ...]:
        return ("admin.help",) if is_admin(ctx, person) else ()

    async def command(
        self, ctx: Context, cmd: CommandIn, person: Person, people: dict[str, Person], words: list[str]
    ) -> None:
        if not is_admin(ctx, person):
            ctx.respond(person, cmd.response_url, paragraph(ctx.t(person, "admin.not_admin")))
            return
        verb = words[0].casefold() if words else ""
        if verb not in ctx.texts.catalog.words("admin.commands.status"):
            ctx.respond(person, cmd.response_url, paragraph(ctx.t(person, "admin.usage")))
            return
        ctx.respond(person, cmd.response_url, await self.counts(ctx, person))
        ctx.send_file(
            person,
            ctx.t(person, "admin.csv_name", date=ctx.now.date().isoformat()),
            await self.contracts_csv(ctx, person),
            "text/csv; charset=utf-8",
            title=ctx.t(person, "admin.csv_title"),
        )
        ctx.audit("admin.status", person)

    async def counts(self, ctx: Context, viewer: Person) -> Message:
        rows = (
            await ctx.db.exec(
                select(Contract.flow, Contract.status, func.count())
                .where(_seen_by(ctx, viewer))
                .group_by(col(Contract.flow), col(Contract.status))
                .order_by(col(Contract.flow), col(Contract.status))
            )
        ).all()
        per_flow: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for flow, status, count in rows:
            per_flow[flow].append((status, count))
        title = ctx.t(viewer, "admin.title")
        blocks: list[Block] = [Heading(text=title)]
        for flow, statuses in per_flow.items():
            name = (
                ctx.t(viewer, f"admin.flows.{flow}")
                if ctx.texts.catalog.has(ctx.language(viewer), f"admin.flows.{flow}")
                else flow
            )
            counts = ", ".join(
                ctx.t(viewer, "admin.count", status=self._status(ctx, viewer, flow, status), count=n)
                for status, n in statuses
            )
            blocks.append(
                Paragraph(
                    text=ctx.t(viewer, "admin.flow_line", flow=name, total=sum(n for _, n in statuses), counts=counts)
                )
            )
        if not per_flow:
            blocks.append(Paragraph(text=ctx.t(viewer, "admin.none")))
        blocks.append(
            Note(text=ctx.t(viewer, "admin.total", count=sum(n for *_, n in rows), date=ctx.day(viewer, ctx.now)))
        )
        return Message(text=title, blocks=blocks)

    def _status(self, ctx: Context, viewer: Person, flow: str, status: str) -> str:
        key = f"{flow}.status.{status}"
        return ctx.t(viewer, key) if ctx.texts.catalog.has(ctx.language(viewer), key) else status

    async def contracts_csv(self, ctx: Context, viewer: Person) -> bytes:
        parties: dict[int, list[str]] = defaultdict(list)
        for party, person in (
            await ctx.db.exec(
                select(Party, Person)
                .join(Person, col(Party.person_id) == col(Person.id))
                .order_by(col(Party.contract_id), col(Party.id))
            )
        ).all():
            parties[party.contract_id].append(f"{party.role}: {person.display_name} ({person.external_id})")
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(CSV_COLUMNS)
        for c in (await ctx.db.exec(select(Contract).where(_seen_by(ctx, viewer)).order_by(col(Contract.id)))).all():
            assert c.id is not None
            writer.writerow(
                [
                    c.id,
                    c.flow,
                    _cell(c.title),
                    c.status,
                    c.version,
                    _cell("; ".join(parties[c.id])),
                    _iso(c.created_at),
                    _iso(c.updated_at),
                    _iso(c.followup_at),
                    _iso(c.closed_at),
                ]
            )
        # With a byte-order mark, spreadsheet programs read æ, ø and å right.
        return out.getvalue().encode("utf-8-sig")
