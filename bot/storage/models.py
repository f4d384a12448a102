"""The tables. Every step of every conversation is a row here.

Timestamps are aware UTC datetimes (SQLModel's `UTCDateTime` refuses naive
ones), so time zones are only a question of display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from sqlalchemy import JSON, Column, Index, LargeBinary, Table, UniqueConstraint, event, inspect, true
from sqlmodel import Field, SQLModel

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.ext.asyncio import AsyncConnection
    from sqlalchemy.orm import Mapper


def utcnow() -> datetime:
    return datetime.now(UTC)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model, for statements that go around the ORM. (SQLModel's
    metaclass sets `__table__` on the class but does not declare it to type checkers.)"""
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table


class Person(SQLModel, table=True):
    """Someone the bot has met on a platform."""

    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    # Teams user ids ("29:…") are long; Slack's ("U…") short.
    external_id: str = Field(max_length=255)
    team_id: str | None = Field(default=None, max_length=64)
    display_name: str = Field(default="", max_length=200)
    platform_locale: str | None = Field(default=None, max_length=32)
    language_override: str | None = Field(default=None, max_length=8)
    timezone: str | None = Field(default=None, max_length=64)
    is_bot: bool = False
    profile_refreshed_at: datetime | None = None
    # The DM conversation with the bot, once known (Slack `D…` id, Teams `a:…` conversation id).
    dm_channel: str | None = Field(default=None, max_length=255)
    # Whether the bot can write to this person at all (Teams: the app is installed for them).
    reachable: bool = Field(default=True, sa_column_kwargs={"server_default": true()})
    # When they first opened the bot's Slack App Home: from then on it follows what changes
    # for them (bot/flows/overview.py `refresh_homes`).
    home_opened_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # Set when the person deleted their data: the row stays as a nameless tombstone that
    # shared contracts point at (bot/storage/personal_data.py).
    deleted_at: datetime | None = None


class Contract(SQLModel, table=True):
    """One learning contract between the parties of one flow."""

    __table_args__ = (
        Index("ix_contract_status_followup", "status", "followup_at"),
        Index("ix_contract_status_updated", "status", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    flow: str = Field(max_length=32)
    title: str = Field(default="", max_length=300)
    status: str = Field(max_length=32)
    # An approved contract is a version; a change afterwards makes the next one.
    version: int = 1
    # Each submit-and-review round; names the approval message of that round.
    round: int = 0
    group_key: str | None = Field(default=None, max_length=64, index=True)
    starter_id: int = Field(foreign_key="person.id")
    followup_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None


class Party(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("contract_id", "person_id", "role"),
        # A person's parts by role: the roles name the flow (a clinical supervisor, a trainee).
        Index("ix_party_person_role", "person_id", "role"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    role: str = Field(max_length=32)


class Answer(SQLModel, table=True):
    """One person's answer to one question of one phase; `text` is None when skipped."""

    __table_args__ = (UniqueConstraint("contract_id", "person_id", "role", "phase", "question_key", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    role: str = Field(max_length=32)
    phase: str = Field(max_length=32)
    question_key: str = Field(max_length=64)
    version: int = 1
    text: str | None = Field(default=None, max_length=4000)
    answered_at: datetime = Field(default_factory=utcnow)


class Submission(SQLModel, table=True):
    """A party has sent its answers for a phase (pressed Send)."""

    __table_args__ = (UniqueConstraint("contract_id", "person_id", "role", "phase"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    role: str = Field(max_length=32)
    phase: str = Field(max_length=32)
    submitted_at: datetime = Field(default_factory=utcnow)


class DialogSession(SQLModel, table=True):
    """One person working through one script: the dialog engine's saved state.

    A person answers one session at a time; the others wait in `queued`.
    """

    __table_args__ = (
        Index("ix_session_person_status", "person_id", "status"),
        Index("ix_session_status_activity", "status", "last_activity_at"),
        # The overview's look for a flow's sessions of a person, and of one phase (a leader
        # may have thousands queued): bot/flows/overview_reads.py `_sessions`.
        Index("ix_session_person_flow_phase", "person_id", "flow", "phase", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    flow: str = Field(max_length=32)
    phase: str = Field(max_length=32)
    role: str = Field(max_length=32)
    contract_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="queued", max_length=16)
    last_activity_at: datetime = Field(default_factory=utcnow)
    nudged_at: datetime | None = None
    stalled_reported_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def contract_id(self) -> int | None:
        """The contract the session is about (the first, for a group's e-learning contracts)."""
        return self.contract_ids[0] if self.contract_ids else None


class Approval(SQLModel, table=True):
    """A leader's decision on one round of a contract."""

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    version: int
    round: int
    approver_id: int = Field(foreign_key="person.id", index=True)
    decision: str = Field(max_length=32)
    comment: str | None = Field(default=None, max_length=4000)
    decided_at: datetime = Field(default_factory=utcnow)


class OverviewEntry(SQLModel, table=True):
    """Where a contract stands in one party's overview: its group and date, kept as the
    contract changes (bot/flows/overview_store.py), so a leader's thousands are counted and
    paged from an index rather than worked out again at every look (bench/overview.py)."""

    __table_args__ = (
        # A group's page in the overview's order: undated last, then by date, flow and id.
        Index("ix_overviewentry_page", "person_id", "grp", "undated", "at", "flow", "contract_id"),
    )

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", primary_key=True, index=True)
    flow: str = Field(max_length=32)
    grp: str = Field(max_length=8)
    at: datetime | None = None
    undated: bool = False


class AuditEvent(SQLModel, table=True):
    """Who did what, when: approvals, change requests, submissions, deletions."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    action: str = Field(max_length=64)
    contract_id: int | None = Field(default=None, foreign_key="contract.id", index=True)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class MaintenanceRun(SQLModel, table=True):
    """When a periodic house-keeping job (the retention of old contracts) last ran.

    One row per job; the instance that locks the row runs the job, so it runs once
    a day however many instances there are and however often they restart.
    """

    name: str = Field(max_length=64, primary_key=True)
    last_run_at: datetime | None = None


class InboxEvent(SQLModel, table=True):
    """A request from a platform, written before it is acknowledged.

    `dedupe_key` is unique, so a retried or redelivered request is stored once
    and processed once.
    """

    __table_args__ = (
        Index("ix_inbox_status_id", "status", "id"),
        # A lane's next row: its pending rows in order (bot/workers/lanes.py).
        Index("ix_inbox_lane_status_id", "lane", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    dedupe_key: str = Field(max_length=255, unique=True)
    kind: str = Field(max_length=32)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # Rows of one lane (one person's conversation, one channel thread) are processed in order,
    # one at a time; different lanes at once.
    lane: str = Field(default="", max_length=300)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    # A row that failed for a while (the platform was away) waits until then; its lane with it.
    next_attempt_at: datetime | None = None
    error: str | None = Field(default=None, max_length=2000)
    received_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None


class OutboxMessage(SQLModel, table=True):
    """A message to send. Kept until the platform has taken it.

    `ref` names a post that a later `update` replaces; `dedupe_key` makes
    "send this once" (a nudge, a reminder) a constraint, not a hope.
    """

    __table_args__ = (
        Index("ix_outbox_status_due", "status", "next_attempt_at"),
        # A person's last App Home (coalescing) and who has opened one.
        Index("ix_outbox_person_kind", "person_id", "kind", "id"),
        # A lane's next row (bot/workers/lanes.py).
        Index("ix_outbox_lane_status_id", "lane", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    kind: str = Field(max_length=16)  # post | update | respond | reply (into a post's thread)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    # The Slack workspace whose bot token sends it (the person's or the channel's team).
    team_id: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=255)
    ref: str | None = Field(default=None, max_length=128, unique=True)
    update_ref: str | None = Field(default=None, max_length=128)
    response_url: str | None = Field(default=None, max_length=1000)
    dedupe_key: str | None = Field(default=None, max_length=255, unique=True)
    language: str = Field(default="da", max_length=8)
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # Rows of one lane (a person's DM, a channel) go out in order; set on insert (`outbox_lane`).
    lane: str = Field(default="", max_length=300)
    # pending | sending (an attempt may have reached the platform: check before sending again)
    # | sent | failed
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, max_length=2000)
    # Where the platform put it, for later updates.
    sent_channel: str | None = Field(default=None, max_length=255)
    sent_ts: str | None = Field(default=None, max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class StoredFile(SQLModel, table=True):
    """A file the bot gives a person (a copy of a contract, their data), kept until it expires.

    An outbox row of kind `file` names it by `key`; Slack gets the bytes uploaded,
    Teams and the playground a signed link to `GET /files/<token>` that ends at
    `expires_at`. Expired rows are deleted by the clock.
    """

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    name: str = Field(max_length=255)
    title: str | None = Field(default=None, max_length=255)
    mime: str = Field(max_length=128)
    size: int = 0
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime = Field(index=True)


class BotSecret(SQLModel, table=True):
    """A secret the bot made itself and keeps across restarts (the file links' key, when no setting names one)."""

    name: str = Field(max_length=64, primary_key=True)
    value: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow)


class TeamsConversation(SQLModel, table=True):
    """A Teams conversation the bot may write to (a Bot Framework conversation reference).

    Stored when Teams tells the bot about it (installation, conversationUpdate, every
    message), so that proactive messages work across restarts.
    """

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(max_length=255, unique=True)
    kind: str = Field(max_length=16)  # personal | channel | groupChat
    service_url: str = Field(max_length=500)
    tenant_id: str | None = Field(default=None, max_length=64)
    bot_id: str | None = Field(default=None, max_length=255)
    # personal: the one person the bot talks to there.
    user_id: str | None = Field(default=None, max_length=255, index=True)
    team_id: str | None = Field(default=None, max_length=255)
    updated_at: datetime = Field(default_factory=utcnow)


class TeamsUser(SQLModel, table=True):
    """A person as Teams has shown them to the bot (a sender, a mention, a team member).

    Teams has no users.info without Microsoft Graph: name, locale and time zone are
    what the activities said, and the tenant and service URL are where a 1:1
    conversation with them can be created.
    """

    id: int | None = Field(default=None, primary_key=True)
    user_id: str = Field(max_length=255, unique=True)
    aad_object_id: str | None = Field(default=None, max_length=64)
    name: str = Field(default="", max_length=200)
    tenant_id: str | None = Field(default=None, max_length=64)
    service_url: str | None = Field(default=None, max_length=500)
    locale: str | None = Field(default=None, max_length=32)
    timezone: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)


class PersonProfile(SQLModel, table=True):
    """What a contract asks of every party once and then remembers: department and position.

    The name comes from the platform (`Person.display_name`).
    """

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", unique=True)
    department: str = Field(default="", max_length=200)
    position: str = Field(default="", max_length=200)
    updated_at: datetime = Field(default_factory=utcnow)


class JointDraft(SQLModel, table=True):
    """One proposal of the fields two parties write together (Lær af en kollega).

    Part A drafts, Part B accepts or edits, an edit goes back to Part A: each
    proposal is a row with its author, so the contract can show who wrote what.
    `contract_version` is the contract version the proposal belongs to.
    """

    __table_args__ = (UniqueConstraint("contract_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    number: int
    contract_version: int = 1
    author_id: int = Field(foreign_key="person.id")
    fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="proposed", max_length=16)  # proposed | accepted | replaced
    decided_by_id: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ActivityLog(SQLModel, table=True):
    """A short note of what a party did, written when the agreed reminder came."""

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    text: str = Field(max_length=4000)
    logged_at: datetime = Field(default_factory=utcnow)


class ClinicalScope(SQLModel, table=True):
    """What a clinical learning contract covers (PRODUCT.md §2.2): the education
    plan, the period and the competencies both parties chose, and who agreed.

    `competencies` holds `{"id": …}` for a competency of the plan, or
    `{"text": …}` for one written as free text.
    """

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", unique=True)
    plan_id: str | None = Field(default=None, max_length=40)
    period: str | None = Field(default=None, max_length=16)  # week | month | half_year | dates
    starts_on: date | None = None
    ends_on: date | None = None
    competencies: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Person ids who pressed "we agree" on the choice as it stands; a change empties it.
    agreed_by: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Counts changes of the choice: the buttons carry it, so "we agree" is to what the presser saw,
    # and the same button pressed again after a change is a new press, not a retry.
    revision: int = 0
    feedback_on: date | None = None
    evaluation_on: date | None = None


class ClinicalReminder(SQLModel, table=True):
    """One reminder to one party before the agreed feedback or evaluation.

    `due_at` is when it is to be sent, None once sent; claims take due rows
    with `FOR UPDATE SKIP LOCKED`, and the outbox's dedupe key makes it once.
    """

    __table_args__ = (UniqueConstraint("contract_id", "person_id", "kind"), Index("ix_clinicalreminder_due", "due_at"))

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id")
    person_id: int = Field(foreign_key="person.id")
    kind: str = Field(max_length=16)  # feedback | evaluation
    event_on: date
    due_at: datetime | None = None
    sent_at: datetime | None = None


class MeetingSeries(SQLModel, table=True):
    """A learning meeting that recurs in one channel (PRODUCT.md §2.4).

    The series keeps the rule (weekday, wall-clock time, zone, interval); the
    occurrences it has produced are rows of `MeetingOccurrence`.
    """

    __table_args__ = (Index("ix_meetingseries_channel", "platform", "channel", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    platform: str = Field(max_length=16)
    channel: str = Field(max_length=255)
    # The channel's name as its platform last told it ("sygeplejen"), which tells two series
    # apart; None for a series made before it was kept, until a command or post there gives it.
    channel_name: str | None = Field(default=None, max_length=255)
    # The Slack workspace of the channel (its posts go with that workspace's bot token).
    team_id: str | None = Field(default=None, max_length=64)
    creator_id: int = Field(foreign_key="person.id")
    # Person ids; the facilitator rotates through them, one meeting each.
    facilitator_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    weekday: int  # Monday = 0
    hour: int
    minute: int
    timezone: str = Field(max_length=64)
    interval_weeks: int = 2
    length_minutes: int = 30
    first_date: date
    language: str = Field(default="da", max_length=8)
    status: str = Field(default="active", max_length=16)  # active | stopped
    created_at: datetime = Field(default_factory=utcnow)
    stopped_at: datetime | None = None


class MeetingOccurrence(SQLModel, table=True):
    """One meeting of a series: its date, its reminder and its run.

    `seq` counts interval steps from the series' first date, so (series, seq)
    names one date forever. `due_at` is when the clock next has something to
    do for it (the reminder, the start, the end of the running step); None
    when nothing. Claims take rows whose `due_at` has come with
    `FOR UPDATE SKIP LOCKED`.
    """

    __table_args__ = (
        UniqueConstraint("series_id", "seq"),
        Index("ix_meetingoccurrence_due", "due_at"),
        # The overview: a person's meetings as facilitator (as case person: `MeetingCase`).
        Index("ix_meetingoccurrence_facilitator", "facilitator_id", "starts_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    series_id: int = Field(foreign_key="meetingseries.id", index=True)
    seq: int
    local_date: date
    starts_at: datetime
    remind_at: datetime
    # planned | holiday | cancelled | running | done | missed
    status: str = Field(default="planned", max_length=16)
    due_at: datetime | None = None
    reminded_at: datetime | None = None
    facilitator_id: int | None = Field(default=None, foreign_key="person.id")
    # Who brings a case, and its title: rows of `MeetingCase`.
    # 0 before the start, 1..5 the agenda step under way, 6 after the summary.
    step: int = 0
    step_started_at: datetime | None = None
    # The outbox row of the agenda post: the meeting's thread hangs under it.
    thread_outbox_id: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None


class MeetingCase(SQLModel, table=True):
    """A case brought to one meeting by one person. "En eller flere medarbejdere præsenterer en
    case" (seed 004): each who presses Jeg har en case is a case person of the meeting, once; the
    meeting shows them in the order they pressed (`added_at`, then `id`). The title is theirs."""

    __table_args__ = (
        # One case a person; the unique index also finds a meeting's cases.
        UniqueConstraint("occurrence_id", "person_id"),
        # The overview and erasure: a person's cases.
        Index("ix_meetingcase_person", "person_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    occurrence_id: int = Field(foreign_key="meetingoccurrence.id")
    person_id: int = Field(foreign_key="person.id")
    title: str | None = Field(default=None, max_length=300)
    added_at: datetime = Field(default_factory=utcnow)


class MeetingNote(SQLModel, table=True):
    """What a person wrote in the meeting's thread: the case person's learning, a reflection;
    and the round's turns (`turn`: a place taken, `spoke`: the word passed on, with no text)."""

    id: int | None = Field(default=None, primary_key=True)
    occurrence_id: int = Field(foreign_key="meetingoccurrence.id", index=True)
    person_id: int = Field(foreign_key="person.id")
    kind: str = Field(max_length=16)  # learning | reflection | turn | spoke
    text: str = Field(max_length=4000)
    created_at: datetime = Field(default_factory=utcnow)


class MeetingAction(SQLModel, table=True):
    """An organisational action agreed in a meeting (step 5), with its owner."""

    __table_args__ = (Index("ix_meetingaction_owner", "owner_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    series_id: int = Field(foreign_key="meetingseries.id", index=True)
    occurrence_id: int = Field(foreign_key="meetingoccurrence.id", index=True)
    text: str = Field(max_length=1000)
    owner_id: int | None = Field(default=None, foreign_key="person.id")
    created_by_id: int = Field(foreign_key="person.id")
    status: str = Field(default="open", max_length=16)  # open | done
    created_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None
    done_by_id: int | None = Field(default=None, foreign_key="person.id")


class MeetingPrompt(SQLModel, table=True):
    """The bot has asked a person for something in their DM (the case's title, an action).

    The person's next message there answers it; one open prompt per person.
    """

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", unique=True)
    occurrence_id: int = Field(foreign_key="meetingoccurrence.id")
    kind: str = Field(max_length=16)  # case | action
    created_at: datetime = Field(default_factory=utcnow)


class MeetingTopic(SQLModel, table=True):
    """Something another flow brings to a learning meeting (a visit's three learning points).

    The meeting shows it on its reminder and its agenda: a heading from the
    catalogue (`<kind>.meeting_topic`, filled with `values`) over `lines`.
    """

    __table_args__ = (UniqueConstraint("kind", "source_id"),)

    id: int | None = Field(default=None, primary_key=True)
    occurrence_id: int = Field(foreign_key="meetingoccurrence.id", index=True)
    kind: str = Field(max_length=16)
    # The bringing flow's own id (a visit's contract id): one topic per source.
    source_id: int
    values: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    lines: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_by_id: int = Field(foreign_key="person.id")
    created_at: datetime = Field(default_factory=utcnow)


class Visit(SQLModel, table=True):
    """A learning visit (PRODUCT.md §2.5): the day and its clock.

    The parties, answers, confirmations and audit belong to its contract
    (`Contract.flow == "visit"`), whose `followup_at` is the next moment the
    clock has something to do. The three `*_at` moments are fixed when the
    visit is booked; the `*_done_at` columns say which have happened.
    """

    id: int | None = Field(default=None, primary_key=True)
    contract_id: int = Field(foreign_key="contract.id", unique=True)
    agent_id: int = Field(foreign_key="person.id", index=True)
    colleague_id: int = Field(foreign_key="person.id", index=True)
    day: date
    length: str = Field(max_length=8)  # half | full
    checkin_at: datetime
    morning_at: datetime
    ends_at: datetime
    checkin_done_at: datetime | None = None
    morning_done_at: datetime | None = None
    end_done_at: datetime | None = None
    # The three learning points as agreed (the agent's draft, or the colleague's edit).
    points: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    points_edited: bool = False
    shared_occurrence_id: int | None = Field(default=None, foreign_key="meetingoccurrence.id")
    shared_at: datetime | None = None
    # The agent chose to bring the points to a later staff meeting (personalemøde) instead.
    staff_meeting_at: datetime | None = None


class SlackOAuthState(SQLModel, table=True):
    """An "Add to Slack" begun on /slack/install, until its redirect comes back or it expires
    (bot/storage/workspaces.py)."""

    __tablename__ = "slack_oauth_state"

    state: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(index=True)


# The Slack workspaces the app is installed in: slack_sdk's installation store's own tables
# (bot/storage/workspaces.py), declared on this metadata as slack_sdk builds them, so the
# migrations create them and the schema test compares them.
SLACK_INSTALLATIONS, SLACK_BOTS = "slack_installations", "slack_bots"
AsyncSQLAlchemyInstallationStore.build_installations_table(SQLModel.metadata, SLACK_INSTALLATIONS)
AsyncSQLAlchemyInstallationStore.build_bots_table(SQLModel.metadata, SLACK_BOTS)


class Lease(SQLModel, table=True):
    """A lane held by one running instance until `expires_at`.

    The holder renews its leases every second while it lives; when it dies, they run
    out within seconds and any live instance takes the lane over. Work of a lane is
    done only by its holder, so a lane's rows are handled in order, once.
    """

    name: str = Field(primary_key=True, max_length=320)
    owner: str = Field(max_length=64, index=True)
    expires_at: datetime


def outbox_lane(
    person_id: int | None, channel: str | None, response_url: str | None, update_ref: str | None = None
) -> str:
    """One person's messages, or one channel's, go out in order."""
    if person_id:
        return f"person:{person_id}"
    if channel or response_url:
        return f"channel:{channel or response_url}"
    return f"ref:{update_ref}"


@dataclass
class OutboxWritten:
    """What the outbox rows a transaction wrote are about: their lanes, to send, and the
    people they were written to (other than their App Home), whose homes may follow."""

    lanes: set[str] = field(default_factory=set)
    people: set[int] = field(default_factory=set)


# Where the rows a transaction writes are collected, while someone asks (bot/workers/outbox.py,
# collect_outbox_lanes): the connection's info dict.
OUTBOX_WRITTEN = "laeringsbot.outbox_written"


def outbox_written(connection: Connection | AsyncConnection) -> OutboxWritten | None:
    """What was collected on `connection` so far, if anyone asked."""
    return connection.info.get(OUTBOX_WRITTEN)


@event.listens_for(OutboxMessage, "before_insert")
def _set_outbox_lane(_mapper: Mapper[OutboxMessage], connection: Connection, row: OutboxMessage) -> None:
    if not row.lane:
        row.lane = outbox_lane(row.person_id, row.channel, row.response_url, row.update_ref)[:300]
    written = outbox_written(connection)
    if written is not None:
        written.lanes.add(row.lane)
        if row.person_id and row.kind != "home":
            written.people.add(row.person_id)
