"""Personal data: what the bot keeps about a person, and how it is exported, erased and aged out.

The registry
------------
Every column that refers to `person.id` is found by introspecting
`SQLModel.metadata`, so a new table is noticed by itself, and must have a
policy ("table.column" -> policy) in a `Policies`: `SHARED` here for the
tables every flow uses, and each flow's own (`bot/flows/<flow>/personal_data.py`,
declared by its registered object; the registry of flows adds them up):

- `delete`: the row is the person's own (an answer, a draft in progress, a
  profile, a message to them): it goes with them.
- `anonymise`: the row is shared with others (a decision on someone's
  contract, a meeting's case): it stays; the `clear` columns are emptied, and
  with `unlink` the reference itself becomes NULL (else it points at the
  tombstone, below).
- `keep`: the row holds nothing of theirs but the reference (their place in
  a shared contract, who started it): it stays, pointing at the tombstone, so
  the other party's copy still reads, with "slettet bruger" for the name.

A policy's `texts` names the columns that hold what the person wrote. Once
the rows are dealt with, those texts and the person's name are chased out of
the `copies`: the columns where the bot keeps what it showed or was sent (outbox
payloads, audit details, contract titles, other people's dialog state). The
raw inbox events are handled apart (`_inbox`): a processed event that came
from the person, names them or quotes them loses its payload (the row and its
dedupe key stay, so a late redelivery is still recognised).

Not every reference is a foreign key: `identities` are rows keyed by the
platform's user id (what Teams showed of a person, their conversation
reference), `id_lists` JSON lists of person ids.

Every column that refers to `contract.id` must have a policy in `contract`:
what the retention job does with the row when a finished contract is deleted
(`delete`, or `unlink` with `clear`). A flow says which of its statuses are
`finished`: retention counts from the last change of such a contract.

`tests/unit/test_personal_registry.py` fails while a referencing column has
no policy, so a new flow declares its tables' policies with the flow.

The tombstone
-------------
Shared rows need someone to point at, so the person row is kept as a
tombstone: a new random `external_id`, no name but "slettet bruger" (in
BOT_LANGUAGE; `Context.t` gives a reader of the other language "deleted user"
where a text names them), nothing else, `deleted_at` set. The same platform user who writes to the bot again
is a new person, with no past.

Limits, on purpose: answers shorter than `MIN_QUOTED` characters are removed
from copies only where a copy holds exactly that text (a short "Ja" is not
hunted inside other people's sentences), and the name is replaced as a whole
word, so a different person of the same name is renamed in the copies too.
Files given to other people (their own exports) expire on their own
(`FILE_HOURS`); the bytes are not searched.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column, String, Table, Text, TypeDecorator, and_, cast, delete, false, or_, select, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core import mentions
from bot.storage import models  # noqa: F401  (registers the tables)
from bot.storage.models import Person

# A text at least this long is also removed where it is quoted inside a longer one.
MIN_QUOTED = 8
# Outbox rows with a ref of this prefix are the erasure's own confirmation (no content of the person):
# they stay, so the confirmation can be closed and answered after the erasure.
OWN_REF_PREFIX = "personal:"


@dataclass(frozen=True)
class Policy:
    action: str  # delete | anonymise | keep | unlink
    why: str
    clear: tuple[str, ...] = ()
    unlink: bool = False
    texts: tuple[str, ...] = ()


def delete_(why: str, *, texts: tuple[str, ...] = ()) -> Policy:
    return Policy("delete", why, texts=texts)


def anonymise(why: str, *, clear: tuple[str, ...] = (), unlink: bool = False, texts: tuple[str, ...] = ()) -> Policy:
    return Policy("anonymise", why, clear=clear, unlink=unlink, texts=texts)


def keep(why: str) -> Policy:
    return Policy("keep", why)


@dataclass(frozen=True)
class Policies:
    """What erasing a person and the retention job do with a set of tables.

    `SHARED` below covers the tables every flow uses; each flow declares its own tables'
    policies (its `personal_data`), and the registry of flows adds them together.
    """

    # "table.column" referring to `person.id` -> what erasing the person does with the row.
    person: Mapping[str, Policy] = field(default_factory=dict)
    # "table.column" referring to `contract.id` -> what the retention job does with the row.
    contract: Mapping[str, Policy] = field(default_factory=dict)
    # Rows keyed by the platform's user id rather than by `person.id`: table -> (column, policy).
    identities: Mapping[str, tuple[str, Policy]] = field(default_factory=dict)
    # JSON lists of person ids: "table.column" -> what happens to the id ("remove").
    id_lists: Mapping[str, str] = field(default_factory=dict)
    # Where copies of what people wrote are kept: scrubbed of the erased person's texts and name.
    copies: tuple[str, ...] = ()
    # Flow -> its contracts' statuses after which nothing more happens: retention counts from
    # the last change of such a contract.
    finished: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def __add__(self, other: Policies) -> Policies:
        for mine, theirs in (
            (self.person, other.person),
            (self.contract, other.contract),
            (self.identities, other.identities),
            (self.id_lists, other.id_lists),
            (self.finished, other.finished),
        ):
            twice = sorted(set(mine) & set(theirs))
            assert not twice, f"declared twice: {twice}"
        return Policies(
            person={**self.person, **other.person},
            contract={**self.contract, **other.contract},
            identities={**self.identities, **other.identities},
            id_lists={**self.id_lists, **other.id_lists},
            copies=(*self.copies, *(c for c in other.copies if c not in self.copies)),
            finished={**self.finished, **other.finished},
        )

    def is_finished(self, flow: str, status: str) -> bool:
        return status in self.finished.get(flow, ())

    def finished_clause(self, table: Table) -> ColumnElement[bool]:
        """SQL: the contract row is finished in its own flow."""
        clauses = [
            and_(table.c.flow == flow, table.c.status.in_(sorted(statuses)))
            for flow, statuses in sorted(self.finished.items())
            if statuses
        ]
        return or_(*clauses) if clauses else false()


# The tables every flow shares: contracts and their parts, profiles, dialogs, messages, files,
# the audit, and what a platform showed of a person.
SHARED = Policies(
    person={
        "contract.starter_id": keep("who started a shared contract; the other parties keep the contract"),
        "party.person_id": keep("their place in a shared contract, shown to the others as 'slettet bruger'"),
        "answer.person_id": delete_("what they answered", texts=("text",)),
        "submission.person_id": keep("that a role sent its answers (no text); the contract's state rests on it"),
        "approval.approver_id": anonymise(
            "a decision on a shared contract stays; their comment goes", clear=("comment",), texts=("comment",)
        ),
        "personprofile.person_id": delete_("their department and position", texts=("department", "position")),
        "dialogsession.person_id": delete_("their questions in progress, with draft answers", texts=("state.answers",)),
        "outboxmessage.person_id": delete_("messages to them: pending ones are not sent, sent ones are copies"),
        "storedfile.person_id": delete_("files given to them (copies, exports)"),
        "auditevent.actor_id": anonymise("that something happened stays; what it said goes", clear=("detail",)),
        "overviewentry.person_id": delete_("where their contracts stand in their overview (no text)"),
    },
    contract={
        "party.contract_id": delete_("the contract's parties"),
        "answer.contract_id": delete_("the answers"),
        "submission.contract_id": delete_("who sent what"),
        "approval.contract_id": delete_("the decisions"),
        "overviewentry.contract_id": delete_("where it stood in its parties' overviews"),
        "auditevent.contract_id": Policy("unlink", "that it happened stays; what it said goes", clear=("detail",)),
    },
    identities={
        "teamsuser": ("user_id", delete_("what Teams showed of them: name, Entra id, locale, time zone")),
        "teamsconversation": (
            "user_id",
            anonymise(
                "their 1:1 chat's address stays, unlinked, so the confirmation of the erasure reaches them; "
                "Teams links it again when they write",
                unlink=True,
            ),
        ),
    },
    copies=(
        "outboxmessage.payload",
        "outboxmessage.last_error",
        "auditevent.detail",
        "contract.title",
        "dialogsession.state",
        "inboxevent.error",
    ),
)


# ---- the registry, checked ------------------------------------------------------
def references_to(target: str) -> list[str]:
    """Every "table.column" with a foreign key to `target` ("person.id")."""
    found = []
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.target_fullname == target for fk in column.foreign_keys):
                found.append(f"{table.name}.{column.name}")
    return found


def undeclared(policies: Policies) -> dict[str, list[str]]:
    """References without a policy (must be empty), policies for columns that do not exist, and
    copies that are not text."""
    person, contract = references_to("person.id"), references_to("contract.id")
    return {
        "person": [r for r in person if r not in policies.person],
        "contract": [r for r in contract if r not in policies.contract],
        "unknown": [
            k
            for k in [*policies.person, *policies.contract, *policies.id_lists, *policies.copies]
            if _column(k) is None and k.split(".")[0] in SQLModel.metadata.tables
        ],
        # A copy the scrub would pass over: not a column of text or JSON.
        "not_text": [k for k in policies.copies if (c := _column(k)) is not None and text_kind(c) is None],
    }


def _table(name: str) -> Table | None:
    return SQLModel.metadata.tables.get(name)


def _column(key: str) -> Column[Any] | None:
    table_name, _, column_name = key.partition(".")
    table = _table(table_name)
    return table.c.get(column_name.split(".")[0]) if table is not None else None


def _ordered(keys: Iterable[str]) -> list[tuple[str, Column[Any]]]:
    """The keys whose column exists, with it: children before parents, so deleting rows never
    trips a foreign key."""
    order = {t.name: i for i, t in enumerate(SQLModel.metadata.sorted_tables)}
    found = [(k, column) for k in keys if (column := _column(k)) is not None]
    return sorted(found, key=lambda kc: -order[kc[0].split(".")[0]])


# ---- rows as plain data ---------------------------------------------------------
def plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return f"<{len(bytes(value))} bytes>"
    return value


def _row(table: Table, row: Any) -> dict[str, Any]:
    return {c.name: plain(row._mapping[c]) for c in table.columns}


def sender(payload: Any) -> str | None:
    """Who sent a stored platform request (Slack command, event or press; a Teams activity)."""
    if not isinstance(payload, dict):
        return None
    for outer, inner in (("user_id", None), ("event", "user"), ("user", "id"), ("from", "id")):
        value = payload.get(outer)
        if inner is not None:
            value = value.get(inner) if isinstance(value, dict) else None
        if isinstance(value, str) and value:
            return value
    return None


def _json_form(text: str) -> str:
    """How a string reads inside a stored JSON document (SQLAlchemy's json.dumps)."""
    return json.dumps(text)[1:-1]


def _mentions(column: ColumnElement[Any], needles: Iterable[str], *, json_column: bool) -> ColumnElement[bool]:
    """A prefilter: the column's text holds one of the needles, as stored (exact checks follow in Python)."""
    text = cast(column, Text) if json_column else column
    clauses = [text.contains(n, autoescape=True) for n in needles]
    return or_(*clauses) if clauses else false()


# ---- export ---------------------------------------------------------------------
async def export(db: AsyncSession, person: Person, policies: Policies) -> dict[str, Any]:
    """Everything stored about the person, table by table, as plain JSON-able data."""
    await db.flush()
    # Statements on the tables themselves (not the models) run on the session's connection,
    # in its transaction, here and below.
    conn = await db.connection()
    tables: dict[str, dict[Any, dict[str, Any]]] = {}
    person_table = _table("person")
    assert person_table is not None
    me = (await conn.execute(select(person_table).where(person_table.c.id == person.id))).first()
    for key in sorted(policies.person):
        column = _column(key)
        if column is None:
            continue
        table = column.table
        for row in (await conn.execute(select(table).where(column == person.id))).all():
            data = _row(table, row)
            tables.setdefault(table.name, {})[_key(table, row)] = data
    for name, (column_name, _policy) in policies.identities.items():
        identities = _table(name)
        if identities is None:
            continue
        for row in (
            await conn.execute(select(identities).where(identities.c[column_name] == person.external_id))
        ).all():
            tables.setdefault(name, {})[_key(identities, row)] = _row(identities, row)
    inbox = _table("inboxevent")
    assert inbox is not None
    for row in (
        await conn.execute(
            select(inbox)
            .where(_mentions(inbox.c.payload, [_json_form(person.external_id)], json_column=True))
            .order_by(inbox.c.id)
        )
    ).all():
        if sender(row.payload) == person.external_id:
            tables.setdefault("inboxevent", {})[row.id] = _row(inbox, row) | {"payload": _without_secrets(row.payload)}
    for message in tables.get("outboxmessage", {}).values():
        message.pop("response_url", None)
        # The messages name people by their names, as the person read them: a mention's marker
        # (bot/core/mentions.py) would hand over the others' platform ids too.
        message["payload"] = mentions.plain_json(message.get("payload"))
    return {
        "person": _row(person_table, me) if me is not None else {},
        "tables": {name: list(rows.values()) for name, rows in sorted(tables.items())},
    }


# Keys of a platform's request that are the app's, not the person's (Slack's verification token,
# the short-lived reply URL and trigger).
_SECRETS = frozenset({"token", "response_url", "trigger_id", "response_urls"})


def _without_secrets(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if k not in _SECRETS}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def _key(table: Table, row: Any) -> Any:
    return tuple(row._mapping[c] for c in table.primary_key.columns)


# ---- erasure --------------------------------------------------------------------
@dataclass(frozen=True)
class Labels:
    """What takes the place of the person: their name, and a text of theirs, in copies."""

    deleted_user: str
    removed_text: str


class Scrubber:
    """Replaces one person's texts and name in strings and JSON documents."""

    def __init__(self, texts: Iterable[str], names: Iterable[str], labels: Labels, ids: Iterable[str] = ()) -> None:
        self.labels = labels
        # Where the bot named the person as a mention (bot/core/mentions.py), by their platform
        # id: the whole marker becomes the plain "slettet bruger", whatever name it was made with.
        self.ids = sorted({i for i in ids if i})
        field = f"[^{mentions.START}{mentions.SEP}{mentions.END}]*"
        self._marked = (
            re.compile(
                f"{mentions.START}{field}{mentions.SEP}{field}{mentions.SEP}"
                f"(?:{'|'.join(map(re.escape, self.ids))}){mentions.SEP}{field}{mentions.END}"
            )
            if self.ids
            else None
        )
        variants: set[str] = set()
        for text in texts:
            text = text.strip() if isinstance(text, str) else ""
            if text:
                variants |= {text, html.escape(text, quote=False)}
        self.exact = {v for v in variants if len(v) < MIN_QUOTED}
        self.quoted = sorted((v for v in variants if len(v) >= MIN_QUOTED), key=len, reverse=True)
        self._quoted = re.compile("|".join(map(re.escape, self.quoted))) if self.quoted else None
        self.names = sorted({n.strip() for n in names if n and len(n.strip()) >= 2}, key=len, reverse=True)
        self._names = (
            re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, self.names)) + r")(?!\w)") if self.names else None
        )

    @property
    def empty(self) -> bool:
        return not (self.exact or self.quoted or self.names or self.ids)

    def needles(self, *, json_column: bool) -> list[str]:
        """What to look for in a column, as the column stores it."""
        found = [*self.quoted, *self.names, *(f"{mentions.SEP}{i}{mentions.SEP}" for i in self.ids)]
        if not json_column:
            return found
        # A short text only where it is a whole JSON string.
        return [_json_form(n) for n in found] + [f'"{_json_form(e)}"' for e in self.exact]

    def text(self, value: str) -> str:
        if value.strip() in self.exact:
            return self.labels.removed_text
        if self._marked is not None:
            value = self._marked.sub(self.labels.deleted_user, value)
        if self._quoted is not None:
            value = self._quoted.sub(self.labels.removed_text, value)
        if self._names is not None:
            value = self._names.sub(self.labels.deleted_user, value)
        return value

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value


def _written(policy: Policy, row: Any) -> list[str]:
    """The texts of a row that the person wrote (`texts`; "state.answers": a JSON dict's values)."""
    found: list[str] = []
    for name in policy.texts:
        column, _, path = name.partition(".")
        value = row._mapping.get(column) if hasattr(row, "_mapping") else None
        for part in path.split(".") if path else ():
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, dict):
            found += [v for v in value.values() if isinstance(v, str)]
        elif isinstance(value, str):
            found.append(value)
    return found


def text_kind(column: Column[Any]) -> str | None:
    """ "json" or "text" for a column that holds what people wrote, as the database stores
    it; None for every other type. A wrapped type (SQLModel's `AutoString` for every `str`
    field, another `TypeDecorator`) is what it wraps."""
    type_: Any = column.type
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    if isinstance(type_, JSON):
        return "json"
    if isinstance(type_, String):  # Text, Unicode, VARCHAR… are Strings
        return "text"
    return None


def _empty(column: Column[Any]) -> Any:
    if column.nullable:
        return None
    if text_kind(column) == "json":
        return {}
    return ""


async def erase(db: AsyncSession, person: Person, now: datetime, labels: Labels, policies: Policies) -> dict[str, int]:
    """Erase the person as the registry says, in the caller's transaction; the row becomes a tombstone.

    Returns how many rows each policy touched (for the logs, never for the audit).
    """
    await db.flush()
    conn = await db.connection()
    counts: dict[str, int] = {}
    texts: list[str] = []
    for key, policy in policies.person.items():
        column = _column(key)
        if column is None or not policy.texts:
            continue
        for row in (await conn.execute(select(column.table).where(column == person.id))).all():
            texts += _written(policy, row)
    names = [person.display_name]
    teams_user = _table("teamsuser")
    if teams_user is not None:
        names += [
            n
            for n in (await conn.execute(select(teams_user.c.name).where(teams_user.c.user_id == person.external_id)))
            .scalars()
            .all()
            if n
        ]
    scrubber = Scrubber(texts, names, labels, ids=[person.external_id])

    for key, column in _ordered(policies.person):
        policy = policies.person[key]
        table = column.table
        where = column == person.id
        if policy.action == "delete":
            if table.name == "outboxmessage":
                # Rows being sent right now belong to the sender's lease; the erasure's own stay.
                where = where & (table.c.status != "sending") & ~_own(table)
            result = await conn.execute(delete(table).where(where))
        elif policy.action == "anonymise":
            values = {name: _empty(table.c[name]) for name in policy.clear}
            if policy.unlink:
                values[column.name] = None
            if not values:
                continue
            result = await conn.execute(update(table).where(where).values(**values))
        else:
            continue
        counts[key] = result.rowcount or 0

    for name, (column_name, policy) in policies.identities.items():
        identities = _table(name)
        if identities is None:
            continue
        where = identities.c[column_name] == person.external_id
        if policy.action == "delete":
            result = await conn.execute(delete(identities).where(where))
        else:
            result = await conn.execute(update(identities).where(where).values({column_name: None}))
        counts[name] = result.rowcount or 0

    for key, what in policies.id_lists.items():
        column = _column(key)
        if column is None or what != "remove":
            continue
        table = column.table
        pk = next(iter(table.primary_key.columns))
        for row in (await conn.execute(select(pk, column))).all():
            ids = list(row[1] or [])
            if person.id in ids:
                await conn.execute(
                    update(table).where(pk == row[0]).values({column.name: [i for i in ids if i != person.id]})
                )

    if not scrubber.empty:
        for key in policies.copies:
            column = _column(key)
            if column is not None:
                counts[key] = await _scrub(db, column, scrubber)
    counts["inboxevent"] = await _inbox(db, person, scrubber, now)

    person.external_id = f"deleted:{uuid.uuid4().hex}"
    person.display_name = labels.deleted_user
    person.team_id = person.platform_locale = person.language_override = person.timezone = None
    person.dm_channel = person.profile_refreshed_at = person.home_opened_at = None
    person.reachable, person.is_bot, person.deleted_at = False, False, now
    db.add(person)
    await db.flush()
    return counts


def _own(table: Table) -> ColumnElement[bool]:
    return table.c.ref.is_not(None) & table.c.ref.startswith(OWN_REF_PREFIX)


async def _scrub(db: AsyncSession, column: Column[Any], scrubber: Scrubber) -> int:
    conn = await db.connection()
    table = column.table
    kind = text_kind(column)
    if kind is None:
        return 0
    json_column = kind == "json"
    pk = next(iter(table.primary_key.columns))
    changed = 0
    needles = scrubber.needles(json_column=json_column)
    for start in range(0, len(needles), 100):  # a bounded statement, however much they wrote
        rows = (
            await conn.execute(
                select(pk, column).where(_mentions(column, needles[start : start + 100], json_column=json_column))
            )
        ).all()
        for row_id, value in rows:
            new = scrubber.value(value)
            if new != value:
                await conn.execute(update(table).where(pk == row_id).values({column.name: new}))
                changed += 1
    return changed


async def _inbox(db: AsyncSession, person: Person, scrubber: Scrubber, now: datetime) -> int:
    """Raw requests: processed ones from, naming or quoting the person lose their payload
    and their lane; the erasure's own press too (it is being processed now). Others waiting
    their turn (other people's) are scrubbed, not emptied."""
    inbox = _table("inboxevent")
    assert inbox is not None
    conn = await db.connection()
    needles = [*scrubber.needles(json_column=True), _json_form(person.external_id)]
    changed = 0
    for start in range(0, len(needles), 100):
        rows = (
            await conn.execute(
                select(inbox.c.id, inbox.c.status, inbox.c.payload).where(
                    _mentions(inbox.c.payload, needles[start : start + 100], json_column=True)
                )
            )
        ).all()
        for row_id, status, payload in rows:
            if payload == {"redacted": True}:
                continue
            text = json.dumps(payload)
            # A processed row needs no lane (the order of the requests waiting in it), and a
            # person's lane may name them by their platform id ("user:U…").
            if status != "pending":
                values: dict[str, Any] = {"payload": {"redacted": True}, "error": None, "lane": ""}
            elif sender(payload) == person.external_id and f"{OWN_REF_PREFIX}erase" in text:
                values = {"payload": {"redacted": True}, "status": "done", "processed_at": now, "lane": ""}
            elif sender(payload) != person.external_id:
                new = scrubber.value(payload)
                if new == payload:
                    continue
                values = {"payload": new}
            else:
                continue  # they wrote again while erasing: that request is a new person's
            await conn.execute(update(inbox).where(inbox.c.id == row_id).values(**values))
            changed += 1
    return changed


# ---- retention ------------------------------------------------------------------
def months_before(moment: datetime, months: int) -> datetime:
    """The same wall-clock moment `months` calendar months earlier (the 31st becomes the month's last day)."""
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    month += 1
    for day in range(moment.day, 27, -1):
        try:
            return moment.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    return moment.replace(year=year, month=month, day=min(moment.day, 28))


async def expired_contracts(db: AsyncSession, policies: Policies, cutoff: datetime, limit: int = 500) -> list[int]:
    contract = _table("contract")
    assert contract is not None
    conn = await db.connection()
    result = await conn.execute(
        select(contract.c.id)
        .where(policies.finished_clause(contract), contract.c.updated_at < cutoff)
        .order_by(contract.c.id)
        .limit(limit)
    )
    return list(result.scalars().all())


async def delete_contracts(db: AsyncSession, policies: Policies, ids: list[int], cutoff: datetime) -> None:
    """Delete contracts and what hangs on them as `policies.contract` says; their finished
    dialog sessions too (a session names its contracts in a JSON list)."""
    if not ids:
        return
    await db.flush()
    conn = await db.connection()
    for key, column in _ordered(policies.contract):
        policy = policies.contract[key]
        table = column.table
        if policy.action == "delete":
            await conn.execute(delete(table).where(column.in_(ids)))
        else:
            values = {name: _empty(table.c[name]) for name in policy.clear} | {column.name: None}
            await conn.execute(update(table).where(column.in_(ids)).values(**values))
    sessions = _table("dialogsession")
    assert sessions is not None
    gone = set(ids)
    rows = (
        await conn.execute(
            select(sessions.c.id, sessions.c.contract_ids).where(
                sessions.c.status.in_(("done", "cancelled")), sessions.c.last_activity_at < cutoff
            )
        )
    ).all()
    done = [row_id for row_id, contract_ids in rows if contract_ids and set(contract_ids) <= gone]
    if done:
        await conn.execute(delete(sessions).where(sessions.c.id.in_(done)))
    contract = _table("contract")
    assert contract is not None
    await conn.execute(delete(contract).where(contract.c.id.in_(ids)))


async def forget_tombstone_messages(db: AsyncSession) -> int:
    """Sent messages to erased people (the erasure's confirmation) hold their address: drop them."""
    outbox, person = _table("outboxmessage"), _table("person")
    assert outbox is not None and person is not None
    tombstones = select(person.c.id).where(person.c.deleted_at.is_not(None))
    conn = await db.connection()
    result = await conn.execute(
        delete(outbox).where(outbox.c.person_id.in_(tombstones), outbox.c.status.in_(("sent", "failed")))
    )
    return result.rowcount or 0
