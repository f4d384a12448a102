"""The overview: `/laering mine` and the Slack App Home (PRODUCT.md §3).

A person's contracts, visits and meetings in three groups, each item with its
next step and date:

    you     — waiting for you: a question to answer, an approval to give
    others  — waiting for others: sent, the other party or the leader is next
    coming  — coming up: a follow-up date, the end of a contract, a meeting

How a flow plugs in
-------------------
A flow's `overview` (`bot/flows/<flow>/overview.py`) implements `OverviewSource`
— one method — and the router gives every registered flow's to the overview:

    async def overview(self, ctx: Context, person: Person) -> list[Item]:
        '''The person's open items of this flow, in the person's language.'''

- Return only what is live for `person` (not closed, cancelled or declined
  contracts). Order does not matter: the overview sorts each group by `at`
  (undated last), then by `key`.
- Texts come from the catalogues in the person's language (`ctx.t(person, …)`),
  under the flow's own catalogue key; dates are `datetime`s (aware, UTC), the
  overview shows them in the person's time zone. Keep `title` and `step` short
  (one line each; the overview cuts them at 150 and 300 characters).
- `buttons` are the very buttons the flow posts in the DM — same `action`
  and `value` — so a press from the overview goes through the flow's own
  `on_action`, with its wrong-person and already-decided checks. After such a
  press the router refreshes the overview the press came from.
- Read with few queries (join, `in_`), not one per contract: a leader with
  hundreds of contracts opens the overview often, the App Home on every visit.
  Every `where` on person, status or date needs an index.

A flow whose people may have thousands of items implements `PagedSource`
instead: `entries` says, for every item, only what counting, sorting and
paging need (group, key, date), from a few narrow queries; `render` writes
the items of the page, in one batch. The overview shows the same either way.
Where even that reads too much (a leader's 10,000 e-learning contracts and
1,000 peer contracts, bench/overview.py), the flow is a `StoredSource`
(`bot/flows/overview_store.py`): each contract's group and date for each party
are kept in a table as the contract changes, and the store, a `CountedSource`,
lets the database count the groups and give the stretch of each group that the
page shown needs.

Rendering and paging are the overview's business: at most `PER_GROUP` items a
group, with "and K more" and a next-page button (`/laering mine 2`). The label
before an item's title is the catalogue's `overview.flows.<flow>` (clinical and
visit are there already).

Where it shows
--------------
- `/laering mine` (`mine`, `my`): on Slack a reply only the person sees; a press in
  it replaces it (outbox kind `replace`, through the press's response_url). On
  Teams and the playground a card in the personal chat, updated in place.
- The Slack App Home: published when opened (`app_home_opened`, which the Slack
  adapter hands over as the press `overview:home`) and, for everyone who has
  opened it, after every event that made the bot write to them or that they
  caused (`refresh_homes`). A home already showing the same state is not
  published again; an unsent one is replaced by the newer state (outbox kind
  `home`, sent with views.publish).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

from sqlalchemy import bindparam, inspect
from sqlalchemy.orm.util import identity_key
from sqlmodel import col, select

from bot.core.events import ActionIn, CommandIn, Incoming
from bot.core.i18n import format_moment
from bot.core.ids import number
from bot.core.messages import Block, Button, Buttons, Divider, Heading, Message, Note, Paragraph
from bot.flows.context import Context
from bot.flows.parts import Command, Quiet
from bot.storage.models import OutboxMessage, Person, outbox_written

Group = Literal["you", "others", "coming"]
GROUPS: tuple[Group, ...] = ("you", "others", "coming")


@dataclass(frozen=True)
class Item:
    """One line of the overview, written for the person who looks at it."""

    group: Group
    # The flow's name ("elearning", "peer", "meeting", "clinical", "visit"), for the label.
    flow: str
    # A stable name for this thing: sorts ties and tells two items apart ("elearning:12").
    key: str
    # What it is: "ABC Demens med Bo Hansen".
    title: str
    # The next step: "Godkend eller bed om ændringer", "Venter på Bo Hansens svar".
    step: str
    # In "you" and "others": since when it waits (shown "siden 3. marts 2026"); in
    # "coming": when it happens (shown with the time). None when there is no date.
    at: datetime | None = None
    # The flow's own DM buttons (same action and value): a press goes to the flow's on_action.
    buttons: tuple[Button, ...] = field(default_factory=tuple)


class OverviewSource(Protocol):
    """What a flow shows in the overview."""

    async def overview(self, ctx: Context, person: Person) -> list[Item]: ...


@dataclass(frozen=True)
class Entry:
    """An item before its texts: what the overview counts, sorts and pages by."""

    group: Group
    key: str
    at: datetime | None = None
    # The source's own: what its `render` needs to write the item.
    data: Any = None


class Renders(Protocol):
    """A source whose items get their texts only when they are on the page shown."""

    async def render(self, ctx: Context, person: Person, entries: list[Entry]) -> list[Item]:
        """The items of `entries`, in their order (one batch: a few queries, whatever the number)."""
        ...


@runtime_checkable
class PagedSource(Renders, Protocol):
    """A source with many items per person: the texts are written only for the page shown."""

    async def entries(self, ctx: Context, person: Person) -> list[Entry]: ...


@runtime_checkable
class CountedSource(Renders, Protocol):
    """A paged source the database counts and pages (the stored places of a leader's
    thousands of contracts, `bot/flows/overview_store.py`): the overview asks, in one go, for
    the counts of the groups and for the stretch of each group that the page shown can hold,
    and renders the page's. An overview has at most one."""

    async def page(
        self, ctx: Context, person: Person, stretches: dict[Group, tuple[int, int]]
    ) -> tuple[dict[Group, int], dict[Group, list[Entry]]]:
        """Each group's count, and its entries from place `offset` (0 first), at most `limit`,
        in the overview's order within the group (`_order`: undated last), for the groups
        `stretches` names as (offset, limit)."""
        ...


# Items a group shows per page: a message holds 50 Slack blocks, a home view 100.
PER_GROUP = 5
PER_GROUP_HOME = 10
# A ref of an overview post names its person and page: a press on it refreshes that page.
REF = "overview"


_NUMBERS = re.compile(r"(\d+)")


def _order(item: Item | Entry) -> tuple[bool, float, tuple[tuple[int, int, str], ...]]:
    # Keys compare number by number: "elearning:9" before "elearning:10". This runs for every
    # item of a leader with thousands: the common "<flow>:<id>" without the regular expression.
    at = item.at
    flow, _, rest = item.key.partition(":")
    if rest.isdigit() and flow.isalpha():
        key: tuple[tuple[int, int, str], ...] = ((1, 0, flow + ":"), (0, int(rest), ""))
    else:
        key = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in _NUMBERS.split(item.key) if p)
    return (at is None, at.timestamp() if at else 0.0, key)


# An entry and the source that renders it (None: the entry holds its finished item).
_Placed = tuple[Entry, Renders | None]


@dataclass
class _Listed:
    """What the overview knows before it reads a page: the entries of the sources that list
    them all, each group in order, and the counted source, if any."""

    grouped: dict[Group, list[_Placed]]
    counted: CountedSource | None


@dataclass
class _Read:
    """A page's read of the counted source: each group's count in all, and the counted
    source's stretch of each group, with the place it starts at (`Overview._read`)."""

    counts: dict[Group, int]
    stretches: dict[Group, tuple[int, list[Entry]]] = field(default_factory=dict)


# The places of "every entry", for `Overview.items`.
_ALL = 2**31 - 1


class Overview(Quiet):
    """Collects the items of every flow and shows them: as a reply, a Teams card, the Slack App Home."""

    name = "overview"

    def __init__(self, sources: list[OverviewSource | PagedSource | CountedSource]) -> None:
        # Each source's kind, told once: a runtime-checkable protocol's isinstance costs more
        # than a page's read of the database (bench/overview.py).
        counted = [source for source in sources if isinstance(source, CountedSource)]
        assert len(counted) <= 1, "an overview has at most one counted source"
        self._counted: CountedSource | None = counted[0] if counted else None
        self._paged = [s for s in sources if isinstance(s, PagedSource) and not isinstance(s, CountedSource)]
        self._whole = [s for s in sources if not isinstance(s, PagedSource | CountedSource)]
        # The platforms with a home of the bot's own that shows the overview (Slack's App Home):
        # the composition root names them as it wires each platform.
        self.homes: set[str] = set()
        # The **Ny …** buttons of the flows' start forms (the router's `Forms.buttons`).
        self.starts: Callable[[Context, Person], list[Button]] = lambda ctx, person: []

    @property
    def commands(self) -> tuple[Command, ...]:
        # `mine`, `mine 2` (a page of the overview).
        return (
            Command(
                "overview.commands.mine",
                self.command,
                shape=lambda words, named: len(words) == 1 or (len(words) == 2 and words[1].isdigit()),
            ),
        )

    def help(self, ctx: Context, person: Person) -> tuple[str, ...]:
        return ("overview.help",)

    async def items(self, ctx: Context, person: Person) -> dict[Group, list[Item]]:
        """Every item of the person, each group in the order shown."""
        listed = await self._entries(ctx, person)
        every = {group: (0, _ALL) for group in GROUPS}
        return await self._render(
            ctx, person, self._window(listed, every, await self._read(ctx, person, listed, every))
        )

    async def _entries(self, ctx: Context, person: Person) -> _Listed:
        """The entries of the sources the database does not count (the `CountedSource`'s come
        with the page, `_read`)."""
        grouped: dict[Group, list[_Placed]] = {g: [] for g in GROUPS}
        for source in self._paged:
            for entry in await source.entries(ctx, person):
                grouped[entry.group].append((entry, source))
        for whole in self._whole:
            for item in await whole.overview(ctx, person):
                grouped[item.group].append((Entry(item.group, item.key, item.at, item), None))
        for placed in grouped.values():
            placed.sort(key=lambda p: _order(p[0]))
        return _Listed(grouped, self._counted)

    @staticmethod
    async def _read(ctx: Context, person: Person, listed: _Listed, places: dict[Group, tuple[int, int]]) -> _Read:
        """The counts of the groups and, for each group's `places` (from, to: the page shown),
        the stretch of the counted source that can be on it: one read of the database.

        With k other entries in a group, an entry the database counts at place r is shown
        at r + (the others before it), between r and r + k: so places [start, end) need
        the database's [start - k, end) only."""
        counts = {group: len(placed) for group, placed in listed.grouped.items()}
        if listed.counted is None:
            return _Read(counts)
        stretches: dict[Group, tuple[int, int]] = {}
        for group, (start, end) in places.items():
            offset = max(0, start - len(listed.grouped[group]))
            stretches[group] = (offset, max(0, end - offset))
        found, read = await listed.counted.page(ctx, person, stretches)
        return _Read(
            {group: count + found.get(group, 0) for group, count in counts.items()},
            {group: (offset, read.get(group, [])) for group, (offset, _) in stretches.items() if found.get(group)},
        )

    @staticmethod
    def _window(listed: _Listed, places: dict[Group, tuple[int, int]], read: _Read) -> dict[Group, list[_Placed]]:
        """Each group's entries at its `places`, in order: the others' merged with the stretch
        of the counted source's that was `read` (`_read`).

        An other entry before the stretch read is before the page (it has at most start - k
        of the database's and fewer than k others before it); one after it, while the
        database has more, is after the page."""
        shown: dict[Group, list[_Placed]] = {}
        for group, (start, end) in places.items():
            others = listed.grouped[group]
            if listed.counted is None or group not in read.stretches or end <= start:
                shown[group] = others[start:end]
                continue
            source = listed.counted
            offset, stretch = read.stretches[group]
            more = len(stretch) == end - offset  # the database may have more after the stretch
            merged = sorted(
                [*((e, source, True) for e in stretch), *((e, s, False) for e, s in others)], key=lambda t: _order(t[0])
            )
            page: list[_Placed] = []
            before_read = before_others = 0
            for entry, owner, counted in merged:
                if counted:
                    place = offset + before_read + before_others
                    before_read += 1
                else:
                    outside = (offset > 0 and before_read == 0) or (more and before_read == len(stretch))
                    place = -1 if outside else offset + before_read + before_others
                    before_others += 1
                if start <= place < end:
                    page.append((entry, owner))
            shown[group] = page
        return shown

    @staticmethod
    async def _render(ctx: Context, person: Person, grouped: dict[Group, list[_Placed]]) -> dict[Group, list[Item]]:
        """The items of these entries: one `render` per source for all its entries."""
        batches: dict[int, tuple[Renders, list[Entry]]] = {}
        for placed in grouped.values():
            for entry, source in placed:
                if source is not None:
                    batches.setdefault(id(source), (source, []))[1].append(entry)
        # By key ("<flow>:<id>", one a contract): a stored entry whose contract no longer
        # shows for the person (`OverviewStore.render`) has no item and is left out.
        written: dict[str, Item] = {}
        for source, entries in batches.values():
            written.update((item.key, item) for item in await source.render(ctx, person, entries))
        return {
            group: [
                entry.data if source is None else written[entry.key]
                for entry, source in placed
                if source is None or entry.key in written
            ]
            for group, placed in grouped.items()
        }

    # ---- showing -------------------------------------------------------
    async def message(self, ctx: Context, person: Person, page: int = 1, *, home: bool = False) -> Message:
        listed = await self._entries(ctx, person)
        size = PER_GROUP_HOME if home else PER_GROUP
        page = max(page, 1)
        while True:
            places = {group: ((page - 1) * size, page * size) for group in GROUPS}
            read = await self._read(ctx, person, listed, places)
            counts = read.counts
            pages = max([1, *(-(-count // size) for count in counts.values())])
            if page <= pages:
                break
            page = pages  # past the last page (an old "next" button): the last one, read again
        placed = self._window(listed, places, read)
        # Only the page's items get their texts (a leader may have thousands).
        shown_by_group = await self._render(ctx, person, placed)
        title = ctx.t(person, "overview.title")
        blocks: list[Block] = [Heading(text=title)]
        if home:
            blocks.append(Note(text=ctx.t(person, "overview.home_intro", cmd=self.cmd(ctx, person))))
        if pages > 1:
            blocks.append(Note(text=ctx.t(person, "overview.page", page=page, pages=pages)))
        if starts := self.starts(ctx, person):  # Ny kontrakt, …: a form each
            blocks.append(Buttons(buttons=starts))
        if not any(counts.values()):
            blocks.append(Paragraph(text=ctx.t(person, "overview.empty", cmd=self.cmd(ctx, person))))
            return Message(text=title, blocks=blocks)
        for group in GROUPS:
            count, shown = counts[group], shown_by_group[group]
            blocks += [Divider(), Paragraph(text=ctx.t(person, f"overview.groups.{group}", count=count))]
            if not shown:
                blocks.append(Note(text=ctx.t(person, "overview.none" if not count else "overview.none_here")))
            for item in shown:
                blocks.append(Paragraph(text=self.line(ctx, person, item)))
                if item.buttons:
                    blocks.append(Buttons(buttons=list(item.buttons)))
            if (more := count - page * size) > 0:
                blocks.append(Note(text=ctx.t(person, "overview.more", count=more)))
        moves = []
        if page > 1:
            moves.append(Button(label=ctx.t(person, "overview.previous"), action="overview:page", value=str(page - 1)))
        if page < pages:
            moves.append(Button(label=ctx.t(person, "overview.next"), action="overview:page", value=str(page + 1)))
        if moves:
            blocks.append(Buttons(buttons=moves))
        return Message(text=title, blocks=blocks)

    def line(self, ctx: Context, person: Person, item: Item) -> str:
        label = (
            ctx.t(person, f"overview.flows.{item.flow}")
            if ctx.texts.catalog.has(ctx.language(person), f"overview.flows.{item.flow}")
            else item.flow
        )
        text = f"*{label}: {_cut(item.title, 150)}*\n{_cut(item.step, 300)}"
        if item.at is not None:
            when = (
                format_moment(item.at, ctx.language(person), ctx.tz(person))
                if item.group == "coming"
                else ctx.t(person, "overview.since", date=ctx.day(person, item.at))
            )
            text += f" · {when}"
        return text

    @staticmethod
    def cmd(ctx: Context, person: Person) -> str:
        """How the person writes a command, by their platform's catalogue variant (Teams has no
        slash command)."""
        return ctx.t(person, "command_prefix")

    # ---- /laering mine [side] -----------------------------------------------
    async def command(
        self, ctx: Context, cmd: CommandIn, person: Person, people: dict[str, Person], words: list[str]
    ) -> None:
        page = (number(words[0], 1) if words else None) or 1
        message = await self.message(ctx, person, page)
        self.send(ctx, person, message, page, response_url=cmd.response_url)

    def send(
        self,
        ctx: Context,
        person: Person,
        message: Message,
        page: int,
        *,
        response_url: str | None,
        kind: str | None = None,
    ) -> None:
        """The overview where the person asked (a reply only they see), else in their DM."""
        kind = kind or ("respond" if response_url else "post")
        ctx.db.add(
            OutboxMessage(
                platform=person.platform,
                kind=kind,
                person_id=person.id,
                team_id=person.team_id,
                channel=person.dm_channel or person.external_id,
                response_url=response_url,
                ref=f"{REF}:{person.id}:{page}:{uuid.uuid4().hex}",
                language=ctx.language(person),
                payload=message.model_dump(),
                next_attempt_at=ctx.now,
                created_at=ctx.now,
            )
        )

    # ---- presses -------------------------------------------------------
    async def on_action(self, ctx: Context, action: ActionIn, person: Person) -> None:
        step = action.action.split(":", 1)[1]
        if step == "home":  # the App Home was opened
            if person.home_opened_at is None:
                person.home_opened_at = ctx.now  # from now on it follows what changes (`refresh_homes`)
                ctx.db.add(person)
            await self.publish_home(ctx, person)
            return
        page = number(action.value, 1)
        if step != "page" or page is None:
            ctx.stale(person, action.response_url)
            return
        if action.extra.get("surface") == "home":
            await self.publish_home(ctx, person, page)
        elif not await self.refresh_pressed(ctx, action, person, page):
            self.send(ctx, person, await self.message(ctx, person, page), page, response_url=action.response_url)

    async def after(self, ctx: Context, event: Incoming, person: Person) -> None:
        """After the router handled an event: a flow's button pressed in an overview shows
        that overview as it is now, and App Homes follow what changed (`refresh_homes`)."""
        if isinstance(event, ActionIn):
            if event.action.startswith(f"{REF}:"):
                return  # the overview itself was asked for: nothing else changed
            if event.extra.get("surface") != "home":
                await self.refresh_pressed(ctx, event, person)
        await self.refresh_homes(ctx, person)

    async def refresh_pressed(self, ctx: Context, action: ActionIn, person: Person, page: int | None = None) -> bool:
        """Replace the overview the press came from; False when it did not come from one."""
        posted = action.message.posted_id if action.message else None
        row = await ctx.db.get(OutboxMessage, posted) if posted is not None else None
        if row is None or row.person_id != person.id or not (row.ref or "").startswith(f"{REF}:"):
            return False
        page = page or int((row.ref or "").split(":")[2])
        message = await self.message(ctx, person, page)
        if row.kind == "respond" or row.kind == "replace":
            # A reply only the person sees (Slack): replaced through the press's response_url.
            self.send(
                ctx,
                person,
                message,
                page,
                response_url=action.response_url,
                kind="replace" if action.response_url else "post",
            )
            return True
        row.ref = f"{REF}:{person.id}:{page}:{uuid.uuid4().hex}"
        ctx.rewrite(row, message)
        return True

    # ---- the Slack App Home --------------------------------------------
    async def publish_home(self, ctx: Context, person: Person, page: int = 1) -> None:
        """Publish the person's App Home (where their platform has one), unless it already shows just that."""
        if person.platform not in self.homes:
            return
        payload = (await self.message(ctx, person, page, home=True)).model_dump()
        last = (
            await ctx.db.exec(
                select(OutboxMessage)
                .where(OutboxMessage.person_id == person.id, OutboxMessage.kind == "home")
                .order_by(col(OutboxMessage.id).desc())
                .limit(1)
                .with_for_update()
            )
        ).first()
        if last is not None and last.status != "failed" and last.payload == payload:
            return
        if last is not None and last.status == "pending":
            last.payload = payload  # not sent yet: send the newest state instead, once
            ctx.db.add(last)
            return
        ctx.db.add(
            OutboxMessage(
                platform=person.platform,
                kind="home",
                person_id=person.id,
                team_id=person.team_id,
                channel=person.external_id,
                language=ctx.language(person),
                payload=payload,
                next_attempt_at=ctx.now,
                created_at=ctx.now,
            )
        )

    async def refresh_homes(self, ctx: Context, actor: Person | None = None) -> None:
        """Refresh the App Home of everyone the bot wrote to in this transaction (something
        changed for them), and of the actor; only homes that were opened before."""
        if not self.homes:
            return
        await ctx.db.flush()  # the rows written so far are collected as they are inserted
        written = outbox_written(await ctx.db.connection())
        # Only people on a platform with homes can have opened one: no need to look theirs up.
        ids = set(written.people) if written is not None else set()
        if actor is not None and actor.id is not None and actor.platform in self.homes:
            ids.add(actor.id)
        if not ids:
            return
        # Whoever the event read (the actor, mostly) is a row of this transaction already and
        # says it without a statement; the others are asked in one.
        opened: list[int] = []
        unread: list[int] = []
        for person_id in sorted(ids):
            known = ctx.db.sync_session.identity_map.get(identity_key(Person, person_id))
            if known is None or "home_opened_at" in inspect(known).unloaded:
                unread.append(person_id)
            elif known.home_opened_at is not None:
                opened.append(person_id)
        if unread:
            opened += [i for i in (await ctx.db.exec(_OPENED_HOMES, params={"ids": unread})).all() if i is not None]
        for person_id in sorted(opened):
            await self.publish_home(ctx, await ctx.person(person_id))


# Which of some people have opened their App Home. Built once, with its parameter bound at
# each use: building and keying a statement costs more than running it (bench/e2e.py).
_OPENED_HOMES = select(Person.id).where(
    col(Person.id).in_(bindparam("ids", expanding=True)), col(Person.home_opened_at).is_not(None)
)


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
