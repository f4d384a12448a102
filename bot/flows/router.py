"""From a neutral inbound event to the flow that handles it."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.core import engine
from bot.core.dates import numeric_date
from bot.core.events import ActionIn, CommandIn, Incoming, MessageIn
from bot.core.ids import record_id
from bot.core.messages import Message, Paragraph, paragraph
from bot.flows.context import Context
from bot.flows.conversations import Conversations
from bot.flows.admin import AdminFlow
from bot.flows.clinical.lifecycle import ClinicalFlow
from bot.flows.clinical.copy import copy_for as clinical_copy_for
from bot.flows.clinical.overview import ClinicalOverview
from bot.flows.elearning.lifecycle import ElearningFlow
from bot.flows.export import ExportFlow
from bot.flows.meeting.lifecycle import MeetingFlow
from bot.flows.overview import Overview
from bot.flows.elearning.overview import ElearningOverview
from bot.flows.meeting.overview import MeetingOverview
from bot.flows.peer.overview import PeerOverview
from bot.flows.visit.overview import VisitOverview
from bot.flows.peer.lifecycle import PeerFlow
from bot.flows.personal import PersonalFlow
from bot.flows.reminders import next_nudge, nudge_silent
from bot.flows.visit.lifecycle import VisitFlow
from bot.storage.models import DialogSession, Person

_WORDS = ("back", "skip", "pause", "resume", "cancel")
# Buttons of the dialog engine: action step -> engine word and the label shown once pressed.
_DIALOG_BUTTONS = {
    "send": "dialog.send", "edit": "dialog.edit", "skip": "dialog.skip", "resume": "dialog.resume",
    "cancel_yes": "dialog.cancel_yes", "cancel_no": "dialog.cancel_no",
}


class Router:
    def __init__(self) -> None:
        self.conversations = Conversations({})
        self.elearning = ElearningFlow(self.conversations)
        self.meetings = MeetingFlow()
        self.peer = PeerFlow(self.conversations)
        self.clinical = ClinicalFlow(self.conversations)
        self.export = ExportFlow()
        self.export.copies["clinical"] = clinical_copy_for
        self.admin = AdminFlow()
        # What `/laering mine` and the Slack App Home show: one source per flow (bot/flows/overview.py).
        self.overview = Overview([ElearningOverview(), PeerOverview(), MeetingOverview(), ClinicalOverview(), VisitOverview()])
        self.visits = VisitFlow(self.conversations, self.meetings)
        self.personal = PersonalFlow(self.conversations)

    async def handle(self, ctx: Context, event: Incoming, people: dict[str, Person]) -> None:
        person = people[event.user]
        since = await self.overview.mark(ctx)
        if isinstance(event, CommandIn):
            await self.command(ctx, event, person, people)
        elif isinstance(event, MessageIn):
            await self.message(ctx, event, person, people)
        else:
            await self.action(ctx, event, person)
        await self.overview.after(ctx, event, person, since)

    async def due(self, ctx: Context) -> None:
        """Whatever the clock has made due: follow-up dates, nudges."""
        since = await self.overview.mark(ctx)
        await self.elearning.due(ctx)
        await self.meetings.due(ctx)
        await self.peer.due(ctx)
        await self.clinical.due(ctx)
        await self.export.due(ctx)
        await self.visits.due(ctx)
        await nudge_silent(ctx, self.conversations)
        await self.personal.due(ctx)
        await self.overview.refresh_homes(ctx, since)

    async def next_due(self, ctx: Context) -> datetime | None:
        """The next moment the clock will have something to do (for the playground's clock)."""
        times = [await self.elearning.next_due(ctx), await self.meetings.next_due(ctx), await self.peer.next_due(ctx), await next_nudge(ctx),
                 await self.visits.next_due(ctx)]
        times.append(await self.clinical.next_due(ctx))
        times.append(await self.personal.next_due(ctx))
        return min((t for t in times if t is not None), default=None)

    # ---- /laering ----------------------------------------------------
    async def command(self, ctx: Context, cmd: CommandIn, person: Person, people: dict[str, Person]) -> None:
        words = cmd.text.split()
        verb = words[0].casefold() if words else ""
        catalog = ctx.texts.catalog
        if verb in catalog.words("commands.contract"):
            await self.start_contract(ctx, cmd, person, people, words[1:])
        elif verb in catalog.words("meeting.commands.meeting"):
            await self.meetings.command(ctx, cmd, person, people, words[1:])
        elif verb in catalog.words("peer.commands.peer"):
            await self.start_peer(ctx, cmd, person, people, words[1:])
        elif verb in catalog.words("visit.commands.visit"):
            await self.visits.command(ctx, cmd, person, people, words[1:])
        elif verb in catalog.words("clinical.commands.clinical"):
            await self.start_clinical(ctx, cmd, person, people, words[1:])
        elif verb in catalog.words("clinical.commands.folder"):
            await self.clinical_folder(ctx, cmd, person, people)
        elif verb in catalog.words("peer.commands.profile"):
            await self.peer.edit_profile(ctx, person)
            ctx.respond(person, cmd.response_url, paragraph(ctx.t(person, "peer.profile_in_dm")))
        elif verb in catalog.words("overview.commands.mine"):
            await self.overview.command(ctx, cmd, person, words[1:])
        elif verb in catalog.words("export.commands.export"):
            await self.export.command(ctx, cmd, person, words[1:])
        elif verb in catalog.words("personal.commands.export") | catalog.words("personal.commands.erase"):
            await self.personal.command(ctx, cmd, person, verb)
        elif verb in catalog.words("admin.commands.admin"):
            await self.admin.command(ctx, cmd, person, words[1:])
        elif verb in catalog.words("commands.language"):
            choice = words[1].casefold() if len(words) > 1 else ""
            if choice in ("da", "en"):
                person.language_override = choice
                ctx.db.add(person)
                ctx.respond(person, cmd.response_url, paragraph(ctx.t(person, "language.set")))
            else:
                ctx.respond(person, cmd.response_url, paragraph(ctx.t(person, "language.usage")))
        else:
            unknown = verb and verb not in catalog.words("commands.help")
            ctx.respond(person, cmd.response_url, self.help(ctx, person, words[0] if unknown else None))

    # The help's lines after help.body, in this order; Teams reads `teams.<key>` where it is written
    # without the slash command (Context.t), the others get `{cmd}`.
    HELP_LINES = ("clinical.help", "meeting.help", "visit.help", "overview.help", "export.help", "personal.help")

    def help(self, ctx: Context, person: Person, unknown: str | None) -> Message:
        lines = [*self.HELP_LINES, *(("admin.help",) if person.external_id in ctx.settings.admins else ())]
        blocks = [Paragraph(text=ctx.t(person, "help.unknown", word=unknown))] if unknown else []
        blocks.append(Paragraph(text=ctx.t(person, "help.body")))
        blocks += [Paragraph(text=ctx.t(person, key, cmd=self.overview.cmd(person))) for key in lines]
        blocks.append(Paragraph(text=ctx.t(person, "help.footer")))
        return Message(text=ctx.t(person, "help.text"), blocks=blocks)

    async def start_contract(self, ctx: Context, cmd: CommandIn, leader: Person,
                             people: dict[str, Person], words: list[str]) -> None:
        def refuse(key: str, **values: object) -> None:
            text = ctx.t(leader, key, **values)
            usage = ctx.t(leader, "elearning.usage")
            ctx.respond(leader, cmd.response_url, Message(text=text, blocks=[Paragraph(text=text),
                                                                              Paragraph(text=usage)]))

        if not cmd.mentions:
            refuse("elearning.usage")
            return
        employees: list[Person] = []
        for external_id in dict.fromkeys(cmd.mentions):
            employee = people.get(external_id)
            if employee is None:
                refuse("elearning.unknown_user", user=external_id)
                return
            if employee.is_bot:
                refuse("elearning.bot_user", name=employee.display_name)
                return
            if employee.id == leader.id:
                refuse("elearning.not_yourself")
                return
            if not employee.reachable:
                refuse("elearning.unreachable", name=employee.display_name)
                return
            employees.append(employee)
        followup = None
        if words and (date := numeric_date(words[-1])) is not None:
            written, words = words[-1], words[:-1]
            followup = datetime.combine(date, time(9), ZoneInfo(ctx.tz(leader)))
            if followup <= ctx.now:
                refuse("elearning.bad_date", date=written, example="15-01-2027")
                return
        await self.elearning.start(ctx, leader, employees, " ".join(words).strip(), followup, cmd.response_url)

    async def start_peer(self, ctx: Context, cmd: CommandIn, starter: Person,
                         people: dict[str, Person], words: list[str]) -> None:
        """`/laering kollega @kollega` starts; without a mention it lists or shows (`kollega 12 [version]`)."""
        if not cmd.mentions:
            if all(w.isdigit() for w in words[:2]) and len(words) <= 2:
                await self.peer.show(ctx, starter, words, cmd.response_url)
            else:
                ctx.respond(starter, cmd.response_url, paragraph(ctx.t(starter, "peer.usage")))
            return
        colleague = people.get(cmd.mentions[0])
        problem = None
        if colleague is None:
            problem = ctx.t(starter, "elearning.unknown_user", user=cmd.mentions[0])
        elif colleague.is_bot:
            problem = ctx.t(starter, "elearning.bot_user", name=colleague.display_name)
        elif colleague.id == starter.id:
            problem = ctx.t(starter, "peer.not_yourself")
        elif not colleague.reachable:
            problem = ctx.t(starter, "peer.unreachable", name=colleague.display_name)
        elif len(dict.fromkeys(cmd.mentions)) > 1:
            problem = ctx.t(starter, "peer.one_colleague")
        if problem or colleague is None:
            usage = ctx.t(starter, "peer.usage")
            ctx.respond(starter, cmd.response_url, Message(text=problem or usage, blocks=[
                Paragraph(text=problem or usage), Paragraph(text=usage)]))
            return
        await self.peer.start(ctx, starter, colleague, cmd.response_url)

    async def start_clinical(self, ctx: Context, cmd: CommandIn, supervisor: Person,
                             people: dict[str, Person], words: list[str]) -> None:
        """`/laering klinisk @uddannelsessøgende` starts; `/laering klinisk 12` shows contract 12."""
        if not cmd.mentions:
            if len(words) == 1 and words[0].isdigit():
                await self.clinical.show(ctx, supervisor, words[0], cmd.response_url)
            else:
                ctx.respond(supervisor, cmd.response_url, paragraph(ctx.t(supervisor, "clinical.usage")))
            return
        trainee = people.get(cmd.mentions[0])
        problem = None
        if trainee is None:
            problem = ctx.t(supervisor, "elearning.unknown_user", user=cmd.mentions[0])
        elif trainee.is_bot:
            problem = ctx.t(supervisor, "elearning.bot_user", name=trainee.display_name)
        elif trainee.id == supervisor.id:
            problem = ctx.t(supervisor, "clinical.not_yourself")
        elif not trainee.reachable:
            problem = ctx.t(supervisor, "clinical.unreachable", name=trainee.display_name)
        elif len(dict.fromkeys(cmd.mentions)) > 1:
            problem = ctx.t(supervisor, "clinical.one_trainee")
        if problem or trainee is None:
            usage = ctx.t(supervisor, "clinical.usage")
            ctx.respond(supervisor, cmd.response_url, Message(text=problem or usage, blocks=[
                Paragraph(text=problem or usage), Paragraph(text=usage)]))
            return
        await self.clinical.start(ctx, supervisor, trainee, cmd.response_url)

    async def clinical_folder(self, ctx: Context, cmd: CommandIn, viewer: Person,
                              people: dict[str, Person]) -> None:
        """`/laering mappe [@uddannelsessøgende]`: the folder of a trainee's clinical contracts."""
        trainee = people.get(cmd.mentions[0]) if cmd.mentions else None
        if cmd.mentions and (trainee is None or trainee.is_bot):
            ctx.respond(viewer, cmd.response_url, paragraph(ctx.t(viewer, "clinical.folder.usage")))
            return
        await self.clinical.show_folder(ctx, viewer, trainee, cmd.response_url)

    # ---- the direct message -----------------------------------------
    async def message(self, ctx: Context, msg: MessageIn, person: Person,
                      people: dict[str, Person] | None = None) -> None:
        if msg.thread is not None:  # a reply in a channel thread: only meetings listen there
            await self.meetings.on_thread_reply(ctx, msg, person)
            return
        if await self.meetings.on_prompt_reply(ctx, msg, person):
            return
        session = await self.conversations.current_session(ctx, person)
        if session is None:
            if await self.clinical.on_idle_message(ctx, person):
                return
            ctx.post(person, paragraph(ctx.t(person, "dialog.nothing_pending")))
            return
        reply = self.reply_for(ctx, msg.text, session)
        # A person named in the answer (a leader, a supervisor): the first one the bot knows.
        named = [p for m in msg.mentions if (p := (people or {}).get(m)) and p.id != person.id and not p.is_bot]
        if isinstance(reply, engine.Answer) and named:
            reply = engine.Answer(reply.text, mention=(str(named[0].id), named[0].display_name))
        await self.conversations.reply(ctx, person, reply, session)

    def reply_for(self, ctx: Context, text: str, session: DialogSession) -> engine.Reply:
        said = " ".join(text.split()).casefold()
        catalog = ctx.texts.catalog
        for word in _WORDS:
            if said in catalog.words(f"words.{word}"):
                return engine.Word(word)  # type: ignore[arg-type]
        if session.state.get("mode") == "summary":
            for word in ("send", "edit"):
                if said in catalog.words(f"words.{word}"):
                    return engine.Word(word)  # type: ignore[arg-type]
        return engine.Answer(text)

    # ---- buttons ------------------------------------------------------
    async def action(self, ctx: Context, action: ActionIn, person: Person) -> None:
        flow, _, step = action.action.partition(":")
        if flow == "elearning":
            await self.elearning.on_action(ctx, action, person)
            return
        if flow == "meeting":
            await self.meetings.on_action(ctx, action, person)
            return
        if flow == "peer":
            await self.peer.on_action(ctx, action, person)
            return
        if flow == "clinical":
            await self.clinical.on_action(ctx, action, person)
            return
        if flow == "export":
            await self.export.on_action(ctx, action, person)
            return
        if flow == "personal":
            await self.personal.on_action(ctx, action, person)
            return
        if flow == "overview":
            await self.overview.on_action(ctx, action, person)
            return
        if flow == "visit":
            await self.visits.on_action(ctx, action, person)
            return
        if flow != "dialog":
            ctx.stale(person, action.response_url)
            return
        session_id, _, key = action.value.partition(":")
        session = await ctx.db.get(DialogSession, found) if (found := record_id(session_id)) else None
        if session is None or session.person_id != person.id or session.status != "active":
            ctx.stale(person, action.response_url)
            return
        if step == "edit_pick":
            reply: engine.Reply = engine.EditPick(key)
            dialog = ctx.texts.dialogs[session.flow]
            label = dialog.questions[key].title(ctx.language(person)) if key in dialog.questions else key
        elif step in _DIALOG_BUTTONS:
            reply = engine.Word(step)  # type: ignore[arg-type]
            label = ctx.t(person, _DIALOG_BUTTONS[step])
        else:
            ctx.stale(person, action.response_url)
            return
        await ctx.close_buttons(ctx.t(person, "dialog.closed_chosen", choice=label), where=action.message)
        await self.conversations.reply(ctx, person, reply, session)
