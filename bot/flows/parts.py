"""What a flow (or a feature such as the overview or the export) declares to the router.

Every part meets `Part`: its commands with the words in every language, its
buttons (actions named `<name>:<step>`), the messages it hears, its help
lines, and its due work. A flow meets `Flow` too: its dialog sessions, its
overview source and its copy. `bot/flows/registry.py` lists them; the router,
the Teams command detection, the help, the overview, the export and the clock
loop over that list, and nothing else names a flow.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.core.events import ActionIn, CommandIn, MessageIn
from bot.core.forms import Form
from bot.core.messages import Message, Paragraph
from bot.flows.context import Context
from bot.flows.lifecycle import Lifecycle
from bot.storage.models import Contract, DialogSession, Person
from bot.storage.personal_data import Policies

if TYPE_CHECKING:
    from bot.flows.conversations import Conversations
    from bot.flows.overview import OverviewSource

# A command's handler: the words after the command word.
Run = Callable[[Context, CommandIn, Person, dict[str, Person], list[str]], Awaitable[None]]
# In Teams' personal chat a command is written without a slash, so it is told from an answer
# by its shape: the words (the command word first) and whether someone else is @mentioned.
Shape = Callable[[list[str], bool], bool]
# The copy of a contract as a viewer may read it (`/laering eksport`); None: not theirs.
CopyOf = Callable[[Context, Person, Contract], Awaitable[Message | None]]


def alone(words: list[str], named: bool) -> bool:
    """The command word alone: `hjælp`, `profil`, `mappe`."""
    return len(words) == 1


def never(words: list[str], named: bool) -> bool:
    """Only where every message is a command (a channel): never in the personal chat."""
    return False


# A start form's submission, once `forms.check` found nothing wrong: the starter, what was
# filled in (by field), and the people picked in it as the bot knows them (platform id ->
# person; someone it cannot find is missing). The problems by field, as texts to show at the
# field; none once the flow has started.
Submit = Callable[[Context, Person, dict[str, str], dict[str, Person]], Awaitable[dict[str, str]]]
# The channels a form's channel field offers (platform id, label), first the one it was opened
# from with its name where the platform told it (None: from the personal chat, the help or
# the overview).
Channels = Callable[[Context, Person, str | None, str | None], Awaitable[list[tuple[str, str]]]]


@dataclass(frozen=True)
class Start:
    """A command's form (bot/core/forms.py): a **Ny …** button in the help and the overview
    opens it, and so does the command word alone (`alone`); its texts are `forms.<form.name>.…`."""

    form: Form
    submit: Submit
    # Whether the command word alone opens it; False where the word alone already shows
    # something (`kollega` lists the contracts, `møde` the series): then only the button does.
    alone: bool = True
    # What a channel field offers (bot/core/forms.py); a form without one has None.
    channels: Channels | None = None


@dataclass(frozen=True)
class Command:
    # The catalogue key of the command's words (every language): "commands.contract".
    words: str
    run: Run
    shape: Shape = alone
    # The form the command word alone opens; the typed words still go to `run`.
    start: Start | None = None


class Part(Protocol):
    # Read-only here, so that a class attribute (`name = "peer"`) or a property meets it.
    @property
    def name(self) -> str:
        """The prefix of its buttons' actions ("peer" for "peer:approve")."""
        ...

    @property
    def commands(self) -> tuple[Command, ...]: ...

    def help(self, ctx: Context, person: Person) -> tuple[str, ...]:
        """The catalogue keys of its lines in the help (`{cmd}` is the command prefix)."""
        ...

    async def on_action(self, ctx: Context, action: ActionIn, person: Person) -> None: ...

    async def hears(self, ctx: Context, msg: MessageIn, person: Person) -> bool:
        """A message that answers no dialog question (a reply in a channel thread, a reply to
        the part's own prompt): True when the part took it."""
        ...

    async def idle(self, ctx: Context, person: Person) -> bool:
        """A direct message while the person has no question open: True when the part answered."""
        ...

    async def due(self, ctx: Context) -> None: ...

    async def next_due(self, ctx: Context) -> datetime | None:
        """When the part's due work next shows people something (a reminder, a question, a
        meeting's step): the playground's "Til næste hændelse". Housekeeping is not an event."""
        ...


class Flow(Part, Protocol):
    """A flow: a part with items in the overview and (maybe) a copy. A flow that asks
    questions registers its sessions' side (`conversations.Flow`) with `Conversations`."""

    @property
    def overview(self) -> OverviewSource: ...

    @property
    def copy(self) -> CopyOf | None: ...

    @property
    def lifecycle(self) -> Lifecycle:
        """Its states and what changes them, as a table (`bot/flows/lifecycle.py`)."""
        ...

    @property
    def personal_data(self) -> Policies:
        """What erasing a person and the retention job do with the flow's own tables, and
        which of its contracts' statuses are final."""
        ...


class Quiet:
    """The defaults of a part that has no commands, buttons, messages or due work of its own."""

    name = ""

    @property
    def commands(self) -> tuple[Command, ...]:
        return ()

    def help(self, ctx: Context, person: Person) -> tuple[str, ...]:
        return ()

    async def on_action(self, ctx: Context, action: ActionIn, person: Person) -> None:
        ctx.stale(person, action.response_url)

    async def hears(self, ctx: Context, msg: MessageIn, person: Person) -> bool:
        return False

    async def idle(self, ctx: Context, person: Person) -> bool:
        return False

    async def due(self, ctx: Context) -> None:
        return None

    async def next_due(self, ctx: Context) -> datetime | None:
        return None


class ContractFlow(Quiet, ABC):
    """A contract flow's start: its sessions' side registered with `Conversations`, its
    overview source, its copy and its personal-data policies. A subclass brings the
    sessions' side (`conversations.Flow`)."""

    def __init__(
        self, conversations: Conversations, overview: OverviewSource, copy: CopyOf | None, personal_data: Policies
    ) -> None:
        self.conversations = conversations
        conversations.flows[self.name] = self
        self.overview, self.copy, self.personal_data = overview, copy, personal_data

    @abstractmethod
    async def placeholders(self, ctx: Context, session: DialogSession) -> dict[str, str]: ...

    @abstractmethod
    async def title(self, ctx: Context, session: DialogSession) -> str: ...

    @abstractmethod
    async def on_sent(
        self, ctx: Context, session: DialogSession, person: Person, answers: dict[str, str | None]
    ) -> None: ...

    @abstractmethod
    async def on_cancelled(self, ctx: Context, session: DialogSession, person: Person) -> None: ...


def cannot_take_part(ctx: Context, starter: Person, named: Person | None, mention: str, flow: str) -> str | None:
    """Why the person a start command names cannot be in the flow's contract, or None: not known,
    a bot, the starter, or not reachable yet."""
    if named is None:
        return ctx.t(starter, "elearning.unknown_user", user=mention)
    if named.is_bot:  # a flow may say what a bot cannot be in it (a visit's host)
        own = f"{flow}.bot_user"
        key = own if ctx.texts.catalog.has(ctx.language(starter), own) else "elearning.bot_user"
        return ctx.t(starter, key, name=named.display_name)
    if named.id == starter.id:
        return ctx.t(starter, f"{flow}.not_yourself")
    if not named.reachable:
        return ctx.t(starter, f"{flow}.unreachable", name=named.display_name)
    return None


def one_named(
    ctx: Context, cmd: CommandIn, starter: Person, people: dict[str, Person], flow: str, one: str
) -> Person | None:
    """The one person a start command names (`kollega @Anna`), or None once the starter is told
    what is wrong with the name, with the command's usage. `one` is the text for naming several."""
    named = people.get(cmd.mentions[0])
    problem = cannot_take_part(ctx, starter, named, cmd.mentions[0], flow)
    if problem is None and len(dict.fromkeys(cmd.mentions)) > 1:
        problem = ctx.t(starter, f"{flow}.{one}")
    if problem is None and named is not None:
        return named
    usage = ctx.t(starter, f"{flow}.usage")
    ctx.respond(
        starter,
        cmd.response_url,
        Message(text=problem or usage, blocks=[Paragraph(text=problem or usage), Paragraph(text=usage)]),
    )
    return None
