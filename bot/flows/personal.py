"""A person's own data (PRODUCT.md §3): `/laering mine-data`, `/laering slet-mine-data`, and retention.

    mine-data ──▶ two files in the DM: everything stored (JSON) and a readable copy (Markdown)

    slet-mine-data ──▶ confirmation in the DM ──Behold mine data──▶ nothing happens
                                 │ Slet mine data (only they can press it; once)
                                 ▼
        live contracts they are part of are stopped (the others are told), then
        the registry erases them (bot/storage/personal_data.py) and their row
        becomes a tombstone; the audit keeps "person.deleted", nothing more

What is stored, and what erasure does with each table, is declared in the
registry, not here. Retention: once a day (the `maintenancerun` row says when
it last ran, and is locked while it runs, so two instances never both run it)
finished contracts older than `RETENTION_MONTHS` are deleted.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot.core.document import md_words
from bot.core.events import ActionIn, CommandIn
from bot.core.ids import record_id
from bot.core.messages import Button, Message, paragraph, with_buttons
from bot.flows.context import Context
from bot.flows.conversations import OPEN, Conversations
from bot.flows.parts import Command, Quiet
from bot.storage import personal_data as registry
from bot.storage.db import insert_into
from bot.storage.models import Contract, DialogSession, MaintenanceRun, OutboxMessage, Party, Person, table_of

RETENTION = "retention"
# Contracts the retention deletes in one go, with what hangs on them (a few milliseconds).
RETENTION_CHUNK = 25
REF = "personal:erase"


class PersonalFlow(Quiet):
    name = "personal"

    def __init__(self, conversations: Conversations, policies: registry.Policies) -> None:
        # What erasure and retention do with each table: the shared ones' and every flow's own.
        self.conversations, self.policies = conversations, policies
        self._retaining: date | None = None  # the day whose retention this instance is doing

    @property
    def commands(self) -> tuple[Command, ...]:
        return (
            Command("personal.commands.export", self.export_command),
            Command("personal.commands.erase", self.erase_command),
        )

    def help(self, ctx: Context, person: Person) -> tuple[str, ...]:
        return ("personal.help",)

    async def export_command(
        self, ctx: Context, cmd: CommandIn, person: Person, people: dict[str, Person], words: list[str]
    ) -> None:
        """`/laering mine-data`"""
        await self.export(ctx, person, cmd.response_url)

    async def erase_command(
        self, ctx: Context, cmd: CommandIn, person: Person, people: dict[str, Person], words: list[str]
    ) -> None:
        """`/laering slet-mine-data`: asked first, with a button."""
        self.ask_to_erase(ctx, person)

    def labels(self, ctx: Context) -> registry.Labels:
        """Copies are shared by people of both languages: they read the bot's default one."""
        language = ctx.settings.bot_language
        return registry.Labels(
            ctx.texts.catalog.text(language, "personal.deleted_user"),
            ctx.texts.catalog.text(language, "personal.removed_text"),
        )

    # ---- mine-data ----------------------------------------------------
    async def export(self, ctx: Context, person: Person, response_url: str | None) -> None:
        data, markdown = await self.files(ctx, person)
        json_title, markdown_title = (ctx.t(person, f"personal.export.{k}_title") for k in ("json", "markdown"))
        ctx.send_file(person, "laeringsbot-mine-data.json", data, "application/json", title=json_title)
        ctx.send_file(person, "laeringsbot-mine-data.md", markdown, "text/markdown", title=markdown_title)
        ctx.respond(person, response_url, paragraph(ctx.t(person, "personal.export.sent")))

    async def files(self, ctx: Context, person: Person) -> tuple[bytes, bytes]:
        """Everything stored about the person (JSON) and the readable copy (Markdown); audited.
        `mine-data` sends them to the person; `laeringsbot person export` writes them for an
        operator, for someone who has left."""
        data = await registry.export(ctx.db, person, self.policies)
        data = {"exported_at": ctx.now.isoformat(), **data}
        ctx.audit("personal.exported", person)
        text = json.dumps(data, ensure_ascii=False, indent=2).encode()
        return text, (await self.markdown(ctx, person, data)).encode()

    async def markdown(self, ctx: Context, person: Person, data: dict[str, Any]) -> str:
        """The readable copy: who they are, their contracts with their own answers, the rest counted."""
        lang = ctx.language(person)
        tables: dict[str, list[dict[str, Any]]] = data["tables"]

        def t(key: str, **values: object) -> str:
            return ctx.t(person, f"personal.export.{key}", **values)

        me = data["person"]
        lines = [
            f"# {t('heading')}",
            "",
            t("intro", date=ctx.day(person, ctx.now)),
            "",
            f"## {t('about')}",
            "",
            f"- **{t('name')}**: {me.get('display_name', '')}",
            f"- **{t('platform')}**: {me.get('platform', '')} · {me.get('external_id', '')}",
            f"- **{t('language')}**: {lang}",
            f"- **{t('timezone')}**: {ctx.tz(person)}",
            f"- **{t('since')}**: {ctx.day(person, person.created_at)}",
        ]
        for profile in tables.get("personprofile", []):
            lines += [
                f"- **{t('department')}**: {md_words(profile.get('department') or '', '  ')}",
                f"- **{t('position')}**: {md_words(profile.get('position') or '', '  ')}",
            ]
        roles: dict[int, list[str]] = {}
        for party in tables.get("party", []):
            roles.setdefault(party["contract_id"], []).append(party["role"])
        for row in tables.get("contract", []):
            roles.setdefault(row["id"], [])
        answers: dict[int, list[dict[str, Any]]] = {}
        for answer in tables.get("answer", []):
            answers.setdefault(answer["contract_id"], []).append(answer)
        if roles or answers:
            lines += ["", f"## {t('contracts')}"]
        contracts = {
            c.id: c
            for c in (
                await ctx.db.exec(select(Contract).where(col(Contract.id).in_(list(roles) + list(answers))))
            ).all()
        }
        for contract_id in sorted(set(roles) | set(answers)):
            contract = contracts.get(contract_id)
            if contract is None:
                continue
            dialog = ctx.texts.dialogs.get(contract.flow)
            names = ", ".join(self._role(ctx, person, contract.flow, r) for r in roles.get(contract_id, []))
            status = (
                ctx.t(person, f"{contract.flow}.status.{contract.status}")
                if ctx.texts.catalog.has(lang, f"{contract.flow}.status.{contract.status}")
                else contract.status
            )
            lines += [
                "",
                f"### {t('contract', title=contract.title, id=contract.id)}",
                "",
                t("contract_facts", role=names or "–", status=status, date=ctx.day(person, contract.created_at)),
            ]
            given = sorted(answers.get(contract_id, []), key=lambda a: (a["version"], a["phase"], a["id"]))
            if not given:
                lines += ["", t("no_answers")]
            phase = None
            for answer in given:
                if (answer["phase"], answer["version"]) != phase:
                    phase = (answer["phase"], answer["version"])
                    name = (
                        dialog.phases[answer["phase"]].name(lang)
                        if dialog and answer["phase"] in dialog.phases
                        else answer["phase"]
                    )
                    lines += ["", f"*{t('phase', phase=name, version=answer['version'])}*", ""]
                key = answer["question_key"]
                title = dialog.questions[key].title(lang) if dialog and key in dialog.questions else key
                said = md_words(answer["text"], "  ") if answer["text"] is not None else t("skipped")
                lines.append(f"- **{title}**: {said}")
        lines += ["", f"## {t('other')}", ""]
        for name, rows in tables.items():
            if name in ("party", "answer", "contract", "personprofile"):
                continue
            label = t(f"tables.{name}") if ctx.texts.catalog.has(lang, f"personal.export.tables.{name}") else name
            lines.append(f"- {t('table', table=label, count=len(rows))}")
            for row in rows:
                text = row.get("text") or row.get("comment")
                if isinstance(text, str) and text:
                    lines.append(f"    - {md_words(text, '      ')}")
        return "\n".join(lines) + "\n"

    def _role(self, ctx: Context, viewer: Person, flow: str, role: str) -> str:
        lang = ctx.language(viewer)
        dialog = ctx.texts.dialogs.get(flow)
        if dialog is not None and role in dialog.roles:
            return dialog.roles[role](lang)
        for key in (f"{flow}.copy.{role}", f"{flow}.roles.{role}"):
            if ctx.texts.catalog.has(lang, key):
                return ctx.t(viewer, key)
        return role

    # ---- slet-mine-data -----------------------------------------------
    def ask_to_erase(self, ctx: Context, person: Person) -> None:
        nonce = uuid.uuid4().hex[:16]
        value = f"{person.id}:{nonce}"
        text = ctx.t(person, "personal.erase.confirm")
        ctx.post(
            person,
            with_buttons(
                text,
                Button(
                    label=ctx.t(person, "personal.erase.erase_button"),
                    action="personal:erase",
                    value=value,
                    style="danger",
                ),
                Button(label=ctx.t(person, "personal.erase.keep_button"), action="personal:keep", value=value),
            ),
            ref=f"{REF}:{nonce}",
        )

    async def on_action(self, ctx: Context, action: ActionIn, person: Person) -> None:
        step = action.action.split(":", 1)[1]
        written, _, nonce = action.value.partition(":")
        owner_id = record_id(written)
        if step not in ("erase", "keep") or owner_id is None or not nonce:
            ctx.stale(person, action.response_url)
            return
        if owner_id != person.id:
            owner = await ctx.db.get(Person, owner_id)
            if owner is None or owner.deleted_at is not None:  # a press after the erasure: a new person now
                ctx.respond(person, action.response_url, paragraph(ctx.t(person, "personal.erase.already")))
            else:
                ctx.respond(
                    person,
                    action.response_url,
                    paragraph(ctx.t(person, "personal.erase.only_owner", name=owner)),
                )
            return
        ref = f"{REF}:{nonce}"
        prompt = (await ctx.db.exec(select(OutboxMessage).where(OutboxMessage.ref == ref))).first()
        if prompt is None or prompt.person_id != person.id or not Message.model_validate(prompt.payload).has_buttons:
            ctx.respond(person, action.response_url, paragraph(ctx.t(person, "personal.erase.already")))
            return
        if step == "keep":
            await ctx.close_buttons(ctx.t(person, "personal.erase.kept_note"), ref=ref)
            ctx.respond(person, action.response_url, paragraph(ctx.t(person, "personal.erase.kept")))
            return
        # Where and how to tell them it is done: the row itself is about to lose all of it.
        address = Person(
            id=person.id,
            platform=person.platform,
            external_id=person.external_id,
            dm_channel=person.dm_channel,
            platform_locale=person.platform_locale,
            language_override=person.language_override,
            timezone=person.timezone,
        )
        await self.erase_now(ctx, person)
        await ctx.close_buttons(ctx.t(address, "personal.erase.done_note"), ref=ref)
        ctx.respond(address, action.response_url, paragraph(ctx.t(address, "personal.erase.done")))

    async def erase_now(self, ctx: Context, person: Person) -> None:
        """The erasure itself: live contracts stop (the others are told), the registry erases,
        the audit keeps that it happened. `slet-mine-data`'s button, and `laeringsbot person
        erase` for someone who has left."""
        await self._stop_live_contracts(ctx, person)
        await registry.erase(ctx.db, person, ctx.now, self.labels(ctx), self.policies)
        ctx.audit("person.deleted", person)

    async def _stop_live_contracts(self, ctx: Context, person: Person) -> None:
        """A contract still under way cannot wait for someone who is gone: it stops, and the others hear why."""
        result = await ctx.db.exec(
            select(Contract)
            .join(Party, col(Party.contract_id) == col(Contract.id))
            .where(Party.person_id == person.id, ~self.policies.finished_clause(table_of(Contract)))
        )
        for contract in {c.id: c for c in result.all()}.values():
            contract.status, contract.updated_at = "cancelled", ctx.now
            ctx.db.add(contract)
            ctx.audit("contract.cancelled", None, contract.id, reason="party_deleted")
            others = (
                await ctx.db.exec(
                    select(Person)
                    .join(Party, col(Party.person_id) == col(Person.id))
                    .where(Party.contract_id == contract.id, Person.id != person.id, col(Person.deleted_at).is_(None))
                )
            ).all()
            for other in {p.id: p for p in others}.values():
                ctx.post(other, paragraph(ctx.t(other, "personal.erase.stopped_other", title=contract.title)))
                await ctx.db.flush()
                await self._end_sessions(ctx, other, contract)

    async def _end_sessions(self, ctx: Context, person: Person, contract: Contract) -> None:
        sessions = (
            await ctx.db.exec(
                select(DialogSession)
                .where(DialogSession.person_id == person.id, col(DialogSession.status).in_(OPEN))
                .order_by(col(DialogSession.id))
            )
        ).all()
        for session in sessions:
            if contract.id not in session.contract_ids:
                continue
            others = (
                await ctx.db.exec(
                    select(Contract.flow, Contract.status).where(
                        col(Contract.id).in_([i for i in session.contract_ids if i != contract.id])
                    )
                )
            ).all()
            if any(not self.policies.is_finished(flow, status) for flow, status in others):
                continue  # a leader's group session goes on for the rest of the group
            await self.conversations.end(ctx, session)

    # ---- retention ----------------------------------------------------
    async def due(self, ctx: Context) -> None:
        """Once a day: delete finished contracts older than the retention period, a chunk at a
        time, as long as the clock's round has time (`Context.spent`); the next rounds go on
        until none is left. The instance that claimed the day's run does all of it; when it
        stops half-way, the rest goes the next day."""
        today = ctx.now.astimezone(ZoneInfo(ctx.settings.bot_timezone)).date()
        if self._retaining != today:
            if not await self._claim_daily(ctx):
                return
            self._retaining = today
        cutoff = registry.months_before(ctx.now, ctx.settings.retention_months)
        deleted = 0
        while True:
            ids = await registry.expired_contracts(ctx.db, self.policies, cutoff, limit=RETENTION_CHUNK)
            if ids:
                await registry.delete_contracts(ctx.db, self.policies, ids, cutoff)
                deleted += len(ids)
            if len(ids) < RETENTION_CHUNK:
                await registry.forget_tombstone_messages(ctx.db)
                self._retaining = None
                break
            if ctx.spent():
                break
        if deleted:  # what this round deleted, in its own transaction
            ctx.audit("retention.deleted", None, contracts=deleted, months=ctx.settings.retention_months)

    async def _claim_daily(self, ctx: Context) -> bool:
        """True for the one instance that takes today's run (the row is locked until it commits)."""
        await ctx.db.exec(
            insert_into(ctx.db, table_of(MaintenanceRun))
            .values(name=RETENTION)
            .on_conflict_do_nothing(index_elements=["name"])
        )
        run = (
            await ctx.db.exec(
                select(MaintenanceRun).where(MaintenanceRun.name == RETENTION).with_for_update(skip_locked=True)
            )
        ).first()
        if run is None:
            return False  # another instance is running it
        zone = ZoneInfo(ctx.settings.bot_timezone)
        if run.last_run_at is not None and run.last_run_at.astimezone(zone).date() >= ctx.now.astimezone(zone).date():
            return False
        run.last_run_at = ctx.now
        ctx.db.add(run)
        return True

    async def next_due(self, ctx: Context) -> datetime | None:
        """None: retention is housekeeping that no one sees happen, not a next event (the
        playground's clock would jump years ahead to it). It runs once a day regardless."""
        return None
