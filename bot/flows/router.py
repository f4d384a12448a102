"""From a neutral inbound event to the flow that handles it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from bot.core import engine
from bot.core.dates import parse_date
from bot.core.dialogs import LANGUAGES
from bot.core.engine import Word
from bot.core.events import ActionIn, CommandIn, Incoming, MessageIn
from bot.core.forms import UNREACHED
from bot.core.ids import record_id
from bot.core.messages import Block, Buttons, Message, Paragraph, paragraph
from bot.flows import registry
from bot.flows.admin import AdminFlow
from bot.flows.context import Context
from bot.flows.conversations import Conversations
from bot.flows.export import ExportFlow
from bot.flows.forms import Forms
from bot.flows.overview import Overview
from bot.flows.overview_store import OverviewStore, StoredSource
from bot.flows.parts import Command, Part, Quiet, Shape
from bot.flows.personal import PersonalFlow
from bot.flows.reminders import Nudges
from bot.storage.models import DialogSession, Person

HELP = "commands.help"
# Words a person may write instead of an answer; "send" and "edit" only at the summary.
_WORDS = (Word("back"), Word("skip"), Word("pause"), Word("resume"), Word("cancel"))
_SUMMARY_WORDS = (Word("send"), Word("edit"))
# Buttons of the dialog engine: action step -> engine word and the label shown once pressed.
_DIALOG_BUTTONS = {
    "send": (Word("send"), "dialog.send"),
    "edit": (Word("edit"), "dialog.edit"),
    "skip": (Word("skip"), "dialog.skip"),
    "resume": (Word("resume"), "dialog.resume"),
    "cancel_yes": (Word("cancel_yes"), "dialog.cancel_yes"),
    "cancel_no": (Word("cancel_no"), "dialog.cancel_no"),
}


class Turns:
    """The order of a clock round's parts (`Router.due`): from the part after the one that
    had the last round's share, going round, so each part with work has a round in turn,
    whatever the order the last round left them in."""

    def __init__(self, parts: tuple[Part, ...]) -> None:
        self.parts = parts
        self._first = 0

    def order(self, left: Iterable[Part] | None) -> list[Part]:
        """The round's parts, those `left` (None: all), in their order from this turn's place."""
        ask = None if left is None else {id(part) for part in left}
        n = len(self.parts)
        going_round = [self.parts[(self._first + place) % n] for place in range(n)]
        found = [part for part in going_round if ask is None or id(part) in ask]
        if found:  # should none have the share, the next round starts after this one's first
            self._first = self.parts.index(found[0]) + 1
        return found

    def had(self, part: Part) -> None:
        """`part` used this round's share: the next round starts after it."""
        self._first = self.parts.index(part) + 1


class Router:
    def __init__(self) -> None:
        self.conversations = Conversations({})
        self.flows = registry.build(self.conversations)
        # What `/laering mine` and the Slack App Home show: one source per flow (bot/flows/overview.py).
        # The flows whose people hold thousands keep their places in a table (overview_store.py).
        sources = [f.overview for f in self.flows.values()]
        self.overview_store = OverviewStore(s for s in sources if isinstance(s, StoredSource))
        self.overview = Overview([self.overview_store, *(s for s in sources if not isinstance(s, StoredSource))])
        self.export = ExportFlow({f.name: f.copy for f in self.flows.values() if f.copy is not None})
        self.personal = PersonalFlow(self.conversations, registry.personal_data(self.flows))
        # The flows' start forms: the command word alone, or a **Ny …** button, opens one.
        self.forms = Forms(self.flows.values())
        self.overview.starts = self.forms.buttons
        # Everything that has commands, buttons, messages or due work, in the help's order.
        self.parts: tuple[Part, ...] = (
            *self.flows.values(),
            self.overview,
            self.export,
            Nudges(self.conversations),
            self.personal,
            self.forms,
            AdminFlow(),
            Basics(self),
        )
        self.by_action = {p.name: p for p in self.parts if p.name}
        self.turns = Turns(self.parts)  # the clock's rounds' order (`due`)

    async def handle(self, ctx: Context, event: Incoming, people: dict[str, Person]) -> None:
        person = people[event.user]
        if isinstance(event, CommandIn):
            await self.command(ctx, event, person, people)
        elif isinstance(event, MessageIn):
            await self.message(ctx, event, person, people)
        else:
            await self.action(ctx, event, person, people)
        await self.overview.after(ctx, event, person)

    async def due(self, ctx: Context) -> None:
        """Whatever the clock has made due: follow-up dates, reminders, nudges, retention."""
        # A part that used the clock round's share of time (`Context.spent`) leaves the parts
        # after it for the next round, and only the parts with work left are asked again
        # (`Round.unfinished`), each part with work in its turn (`Turns`).
        round_ = ctx.round
        for part in self.turns.order(None if round_ is None else round_.parts):
            if round_ is not None and round_.more:
                round_.unfinished.append(part)  # its turn comes in the next round
                continue
            await part.due(ctx)
            if round_ is not None and round_.more:
                round_.unfinished.append(part)
                self.turns.had(part)
        await self.overview.refresh_homes(ctx)

    async def next_due(self, ctx: Context) -> datetime | None:
        """The next moment the clock will have something to do (for the playground's clock)."""
        times = [await part.next_due(ctx) for part in self.parts]
        return min((t for t in times if t is not None), default=None)

    def shapes(self, words_of: Callable[[str], Iterable[str]]) -> dict[str, Shape]:
        """Every command word (every language) -> the shape that tells it from an answer in
        Teams' personal chat, where commands are written without a slash."""
        return {
            word: command.shape for part in self.parts for command in part.commands for word in words_of(command.words)
        }

    def greeting(self, words_of: Callable[[str], Iterable[str]]) -> str:
        """The command a person who adds the app is answered with: the help."""
        return sorted(words_of(HELP))[0]

    # ---- /laering ----------------------------------------------------
    async def command(self, ctx: Context, cmd: CommandIn, person: Person, people: dict[str, Person]) -> None:
        words = cmd.text.split()
        verb = words[0].casefold() if words else ""
        catalog = ctx.texts.catalog
        for part in self.parts:
            for command in part.commands:
                if verb in catalog.words(command.words):
                    if command.start is not None and command.start.alone and len(words) == 1 and not cmd.mentions:
                        await self.forms.open(ctx, person, command.start, cmd.trigger)  # the word alone: its form
                    else:
                        await command.run(ctx, cmd, person, people, words[1:])
                    return
        ctx.respond(person, cmd.response_url, self.help(ctx, person, words[0] if verb else None))

    def help(self, ctx: Context, person: Person, unknown: str | None) -> Message:
        """help.body, then each part's lines: Teams reads `teams.<key>` where it is written
        without the slash command (Context.t), the others get `{cmd}`."""
        blocks: list[Block] = [Paragraph(text=ctx.t(person, "help.unknown", word=unknown))] if unknown else []
        blocks.append(Paragraph(text=ctx.t(person, "help.body")))
        blocks += [
            Paragraph(text=ctx.t(person, key, cmd=self.overview.cmd(ctx, person)))
            for part in self.parts
            for key in part.help(ctx, person)
        ]
        blocks.append(Paragraph(text=ctx.t(person, "help.footer")))
        if starts := self.forms.buttons(ctx, person):
            blocks.append(Buttons(buttons=starts))
        return Message(text=ctx.t(person, "help.text"), blocks=blocks)

    # ---- the direct message -----------------------------------------
    async def message(
        self, ctx: Context, msg: MessageIn, person: Person, people: dict[str, Person] | None = None
    ) -> None:
        for part in self.parts:
            if await part.hears(ctx, msg, person):
                return
        if msg.thread is not None:  # a reply in a channel thread nobody listens to
            return
        session = await self.conversations.current_session(ctx, person)
        if session is None:
            for part in self.parts:
                if await part.idle(ctx, person):
                    return
            ctx.post(person, paragraph(ctx.t(person, "dialog.nothing_pending")))
            return
        reply = self.reply_for(ctx, msg.text, session)
        # A person named in the answer (a leader, a supervisor): the first one the bot knows.
        named = [p for m in msg.mentions if (p := (people or {}).get(m)) and p.id != person.id and not p.is_bot]
        if isinstance(reply, engine.Answer) and named:
            reply = engine.Answer(reply.text, mention=(str(named[0].id), named[0].display_name))
        elif (
            isinstance(reply, engine.Answer) and person.external_id in msg.mentions and self._asks_person(ctx, session)
        ):
            reply = engine.Answer(reply.text, problem="dialog.not_yourself")  # named only themselves
        await self.conversations.reply(ctx, person, reply, session)

    def _asks_person(self, ctx: Context, session: DialogSession) -> bool:
        """Whether the session's question now asks for a person."""
        script = self.conversations.script(ctx, session)
        state = engine.State.model_validate(session.state)
        return state.mode in ("asking", "editing") and script.keys[state.index] in script.people

    def _picked(
        self, ctx: Context, action: ActionIn, person: Person, people: dict[str, Person], kind: str
    ) -> tuple[engine.Answer, str]:
        """A dialog picker's pick as the answer typing it would be, and how to show it."""
        picked = action.fields.get("pick", "").strip()
        if not picked:
            return engine.Answer("", problem="dialog.pick_nothing"), ""
        if kind == "date":
            day = parse_date(picked)  # YYYY-MM-DD; the question's check reads it like a typed date
            text = f"{day:%d-%m-%Y}" if day is not None else picked
            return engine.Answer(text), text
        found = people.get(picked) if picked != UNREACHED else None
        if found is None:  # a pick nobody can be written to (Teams: not found in the organisation)
            return engine.Answer("", problem="forms.unreached"), ""
        if found.id == person.id:
            return engine.Answer("", problem="dialog.not_yourself"), ""
        if found.is_bot:
            return engine.Answer("", problem="peer.checks.person"), ""
        name = found.display_name
        return engine.Answer(name, mention=(str(found.id), name)), name

    def reply_for(self, ctx: Context, text: str, session: DialogSession) -> engine.Reply:
        said = " ".join(text.split()).casefold()
        catalog = ctx.texts.catalog
        for word in _WORDS:
            if said in catalog.words(f"words.{word.word}"):
                return word
        if session.state.get("mode") == "summary":
            for word in _SUMMARY_WORDS:
                if said in catalog.words(f"words.{word.word}"):
                    return word
        return engine.Answer(text)

    # ---- buttons ------------------------------------------------------
    async def action(
        self, ctx: Context, action: ActionIn, person: Person, people: dict[str, Person] | None = None
    ) -> None:
        flow, _, step = action.action.partition(":")
        part = self.by_action.get(flow)
        if part is not None:
            await part.on_action(ctx, action, person)
            return
        if flow != "dialog":
            ctx.stale(person, action.response_url)
            return
        session_id, _, key = action.value.partition(":")
        session = await ctx.db.get(DialogSession, found) if (found := record_id(session_id)) else None
        if session is None or session.person_id != person.id or session.status != "active":
            ctx.stale(person, action.response_url)
            return
        state = engine.State.model_validate(session.state)
        if not engine.button_is_current(self.conversations.script(ctx, session), state, step, key):
            # From an earlier message (the person has moved on): it does not act again.
            ctx.respond(person, action.response_url, paragraph(ctx.t(person, "dialog.stale_step")))
            return
        if step == "pick":
            # A picker beside a question: the pick is the answer, checked like a typed one; its
            # picker closes once the question is answered.
            dialog = ctx.texts.dialogs[session.flow]
            kind = dialog.questions[key].kind if key in dialog.questions else "text"
            answer, shown = self._picked(ctx, action, person, people or {}, kind)
            await self.conversations.reply(ctx, person, answer, session)
            after = engine.State.model_validate(session.state)
            if not engine.button_is_current(self.conversations.script(ctx, session), after, step, key):
                await ctx.close_buttons(ctx.t(person, "dialog.closed_chosen", choice=shown), where=action.message)
            return
        if step == "edit_pick":
            reply: engine.Reply = engine.EditPick(key)
            dialog = ctx.texts.dialogs[session.flow]
            label = dialog.questions[key].title(ctx.language(person)) if key in dialog.questions else key
        elif step in _DIALOG_BUTTONS:
            reply, label_key = _DIALOG_BUTTONS[step]
            label = ctx.t(person, label_key)
        else:
            ctx.stale(person, action.response_url)
            return
        await ctx.close_buttons(ctx.t(person, "dialog.closed_chosen", choice=label), where=action.message)
        await self.conversations.reply(ctx, person, reply, session)


class Basics(Quiet):
    """The router's own commands: the help, and the language a person reads."""

    def __init__(self, router: Router) -> None:
        self.router = router

    @property
    def commands(self) -> tuple[Command, ...]:
        return (
            Command(HELP, self.show_help),
            Command(
                "commands.language",
                self.language,
                shape=lambda words, named: len(words) == 2 and words[1].casefold() in LANGUAGES,
            ),
        )

    async def show_help(
        self, ctx: Context, cmd: CommandIn, person: Person, people: dict[str, Person], words: list[str]
    ) -> None:
        ctx.respond(person, cmd.response_url, self.router.help(ctx, person, None))

    async def language(
        self, ctx: Context, cmd: CommandIn, person: Person, people: dict[str, Person], words: list[str]
    ) -> None:
        """`/laering sprog en`"""
        choice = words[0].casefold() if words else ""
        if choice in LANGUAGES:
            person.language_override = choice
            ctx.db.add(person)
            ctx.respond(person, cmd.response_url, paragraph(ctx.t(person, "language.set")))
        else:
            ctx.respond(person, cmd.response_url, paragraph(ctx.t(person, "language.usage")))
