"""The playground's web page and its small JSON API.

GET  /                 the page (plain HTML/CSS/JS from page/)
GET  /favicon.ico      the page's icon, for what asks for it there
GET  /api/state        what one person sees: their DM, the people, the clock
POST /api/say          a person writes (a `/laering …` line is a command)
POST /api/click        a person presses a button
POST /api/submit       a person sends a form
POST /api/clock        move time forward (hour, day, next) and let the clock tick
POST /api/language     the page's and the people's language (da, en)
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.core.forms import SUBMIT, Choice, FormView
from bot.core.i18n import format_moment
from bot.core.messages import Message
from bot.flows.context import Context
from bot.playground.cast import BY_ID, CAST
from bot.playground.clock import OffsetClock
from bot.playground.platform import CHANNEL, CHANNEL_NAME, COMMAND, PLATFORM, Place, PlaygroundPlatform
from bot.storage.models import DialogSession, InboxEvent, OutboxMessage, Person, StoredFile
from bot.workers.platform import file_message

if TYPE_CHECKING:
    from bot.host import Host

PAGE = Path(__file__).resolve().parent / "page"
MAX_TEXT = 20_000  # the bot itself refuses answers over 4,000 characters, with a message
# A message as the page shows it, with what orders it: when, and the person's words first.
Shown = tuple[datetime, int, dict[str, Any]]


def routes(runtime: Host, platform: PlaygroundPlatform, clock: OffsetClock) -> list[Route | Mount]:
    catalog = runtime.texts.catalog
    tz = runtime.settings.bot_timezone

    def language() -> str:
        return platform.locale

    def texts() -> dict[str, str]:
        keys = [
            "title",
            "intro",
            "people",
            "channel",
            "dm_with",
            "placeholder",
            "send",
            "hint",
            "clock",
            "hour",
            "day",
            "next",
            "next_none",
            "only_you",
            "you",
            "bot",
            "waiting",
            "channel_empty",
            "other_language",
            "dm_tab",
            "channel_name",
            "channel_hint",
            "reply_in_thread",
            "replying_to",
            "stop_replying",
        ]
        found = {k: catalog.text(language(), f"playground.{k}") for k in keys}
        found |= {f"role_{m.role}": catalog.text(language(), f"playground.roles.{m.role}") for m in CAST}
        return found

    async def person_id(name: str) -> int | None:
        async with runtime.db.transaction() as s:
            person = (
                await s.exec(select(Person).where(Person.platform == PLATFORM, Person.external_id == name))
            ).first()
            return person.id if person else None

    async def index(request: Request) -> Response:
        return FileResponse(PAGE / "index.html", headers={"Cache-Control": "no-store"})

    async def favicon(request: Request) -> Response:
        """The page names its icon; this is for what asks the usual place without looking."""
        return FileResponse(PAGE / "favicon.svg", media_type="image/svg+xml")

    async def state(request: Request) -> Response:
        who = request.query_params.get("person", CAST[0].id)
        if who not in BY_ID:
            return JSONResponse({"error": "unknown person"}, status_code=404)
        pid = await person_id(who)
        messages: list[tuple[datetime, int, dict[str, Any]]] = []
        waiting: set[int] = set()
        async with runtime.db.transaction() as s:
            if pid is not None:
                for row in (
                    await s.exec(
                        select(OutboxMessage)
                        .where(
                            OutboxMessage.person_id == pid,
                            col(OutboxMessage.kind).in_(("post", "respond", "file", "form")),
                            OutboxMessage.status == "sent",
                        )
                        .order_by(col(OutboxMessage.id))
                    )
                ).all():
                    if Place.of(row.response_url) is not None:
                        continue  # a reply to something done in the channel: shown there
                    if row.kind == "form":
                        shown_form(messages, row)
                        continue
                    payload = await file_payload(s, row) if row.kind == "file" else row.payload
                    messages.append(
                        (
                            row.created_at,
                            1,
                            {"id": row.id, "from": "bot", "only_you": row.kind == "respond", "message": payload},
                        )
                    )
            for said in (
                await s.exec(
                    select(InboxEvent)
                    .where(
                        InboxEvent.platform == PLATFORM,
                        col(InboxEvent.dedupe_key).startswith(f"pg:{who}:"),
                        col(InboxEvent.kind).in_(("command", "message")),
                    )
                    .order_by(col(InboxEvent.id))
                )
            ).all():
                text = said.payload["text"]
                shown = f"{COMMAND} {text}" if said.kind == "command" else text
                messages.append((said.received_at, 0, {"id": f"in{said.id}", "from": "me", "text": shown}))
            ctx = Context(db=s, now=runtime.now(), settings=runtime.settings, texts=runtime.texts)
            waiting = await waited_for(ctx)
            next_due = await runtime.router.next_due(ctx)
            ids = {p.external_id: p.id for p in (await s.exec(select(Person).where(Person.platform == PLATFORM))).all()}
            channel = await channel_view(s, pid)
        messages.sort(key=lambda m: (m[0], m[1]))
        return JSONResponse(
            {
                "person": who,
                "language": language(),
                "texts": texts(),
                "now": format_moment(runtime.now(), language(), tz),
                "next_due": format_moment(next_due, language(), tz) if next_due else None,
                "people": [
                    {"id": m.id, "name": m.name, "role": m.role, "waiting": ids.get(m.id) in waiting} for m in CAST
                ],
                "messages": [m[2] for m in messages],
                "channel": channel,
            }
        )

    def shown_form(messages: list[Shown], row: OutboxMessage) -> None:
        """A form in the DM (bot/core/forms.py). One shown again (its problems at the fields, or
        sent) takes the place of the one the person sent."""
        view = FormView.model_validate(row.payload["form"])
        if sent := row.payload.get("sent"):
            view = view.model_copy(update={"done": sent})
        # A channel field offers the playground's one channel, the bot's, whatever it knows of it.
        ours = Choice(value=CHANNEL, label=f"#{CHANNEL_NAME}")
        view.fields = [
            f.model_copy(update={"choices": [ours, *(c for c in f.choices if c.value != CHANNEL)]})
            if f.kind == "channel"
            else f
            for f in view.fields
        ]
        item = {
            "id": row.id,
            "from": "bot",
            "form": view.model_dump(),
            "people": [{"id": m.id, "name": m.name} for m in CAST],
        }
        where = row.payload.get("where") or {}
        for index, (created, order, shown) in enumerate(messages):
            if shown.get("form") is not None and str(shown["id"]) == str(where.get("message_id")):
                messages[index] = (created, order, item | {"id": shown["id"]})
                return
        messages.append((row.created_at, 1, item))

    async def waited_for(ctx: Context) -> set[int]:
        """Who the bot waits for (the red dot): a question open in their DM, or a decision
        that is theirs to make, such as an approval (an item of the overview's "waiting
        for you" with the flow's buttons)."""
        answering = select(DialogSession.person_id).where(DialogSession.status == "active")
        waiting = set((await ctx.db.exec(answering)).all())
        cast = (
            await ctx.db.exec(
                select(Person).where(Person.platform == PLATFORM, col(Person.external_id).in_(list(BY_ID)))
            )
        ).all()
        for person in cast:
            if person.id is not None and person.id not in waiting:
                mine = (await runtime.router.overview.items(ctx, person))["you"]
                if any(item.buttons for item in mine):
                    waiting.add(person.id)
        return waiting

    async def file_payload(s: AsyncSession, row: OutboxMessage) -> dict[str, Any]:
        """A file row as the page shows it: the caption and a signed link, while the file lasts."""
        stored = (await s.exec(select(StoredFile).where(StoredFile.key == row.payload.get("file")))).first()
        links = runtime.outbox.links
        if stored is None or links is None or stored.expires_at <= runtime.now():
            return Message.model_validate(row.payload).model_dump()
        # The page is served by this server: a link relative to it works whatever PUBLIC_URL says.
        return file_message(row, "/files/" + links.token(stored.key, stored.expires_at)).model_dump()

    async def channel_view(s: AsyncSession, viewer: int | None) -> list[dict[str, Any]]:
        """The channel: the bot's posts with their threads, what people wrote there, and the
        bot's replies that only the viewer sees (Slack's ephemeral messages)."""
        names = {m.id: m.name for m in CAST}
        items: list[tuple[datetime, int, dict[str, Any]]] = []
        threads: dict[int, list[tuple[datetime, int, dict[str, Any]]]] = {}
        for yours, in_thread in await only_yours(s, viewer):
            if in_thread is not None and in_thread.isdigit():
                threads.setdefault(int(in_thread), []).append(yours)
            else:
                items.append(yours)
        for row in (
            await s.exec(
                select(OutboxMessage)
                .where(
                    OutboxMessage.platform == PLATFORM,
                    OutboxMessage.channel == CHANNEL,
                    col(OutboxMessage.kind).in_(("post", "reply")),
                    OutboxMessage.status == "sent",
                )
                .order_by(col(OutboxMessage.id))
            )
        ).all():
            item: tuple[datetime, int, dict[str, Any]] = (
                row.created_at,
                1,
                {"id": row.id, "from": "bot", "message": row.payload, "replies": []},
            )
            if row.kind == "reply" and row.update_ref:
                threads.setdefault(int(row.update_ref.split(":", 1)[1]), []).append(item)
            else:
                items.append(item)
        for said in (
            await s.exec(
                select(InboxEvent)
                .where(InboxEvent.platform == PLATFORM, col(InboxEvent.dedupe_key).startswith("pgch:"))
                .order_by(col(InboxEvent.id))
            )
        ).all():
            text = said.payload["text"]
            shown = f"{COMMAND} {text}" if said.kind == "command" else text
            item = (
                said.received_at,
                0,
                {"id": f"in{said.id}", "from": "person", "name": names.get(said.payload["person"], ""), "text": shown},
            )
            thread = said.payload.get("thread")
            if thread and str(thread).isdigit():
                threads.setdefault(int(thread), []).append(item)
            else:
                items.append(item)
        items.sort(key=lambda i: (i[0], i[1]))
        for _, _, shown_item in items:
            if shown_item["from"] == "bot":
                replies = sorted(threads.get(shown_item["id"], []), key=lambda r: (r[0], r[1]))
                shown_item["replies"] = [r[2] for r in replies]
        return [i[2] for i in items]

    async def only_yours(s: AsyncSession, viewer: int | None) -> list[tuple[Shown, str | None]]:
        """The viewer's replies to what they did in the channel, each with its thread (or None).
        A `replace` shows in the place of the reply it was pressed in, as Slack's does."""
        if viewer is None:
            return []
        shown: dict[str, tuple[Shown, str | None]] = {}
        for row in (
            await s.exec(
                select(OutboxMessage)
                .where(
                    OutboxMessage.platform == PLATFORM,
                    OutboxMessage.person_id == viewer,
                    col(OutboxMessage.kind).in_(("respond", "replace")),
                    OutboxMessage.status == "sent",
                    col(OutboxMessage.response_url).startswith(Place.prefix(CHANNEL)),
                )
                .order_by(col(OutboxMessage.id))
            )
        ).all():
            place = Place.of(row.response_url)
            assert place is not None  # the query chose rows with a place
            item: dict[str, Any] = {
                "id": row.id,
                "from": "bot",
                "only_you": True,
                "message": row.payload,
                "replies": [],
            }
            if row.kind == "replace" and place.message in shown:  # in the place (and thread) of the pressed one
                (created, order, _), thread = shown.pop(place.message)
                shown[str(row.id)] = ((created, order, item), thread)
            else:
                shown[str(row.id)] = ((row.created_at, 1, item), place.thread)
        return list(shown.values())

    async def say(request: Request) -> Response:
        body = await request.json()
        who, text = body.get("person"), str(body.get("text", ""))[:MAX_TEXT]
        if who not in BY_ID or not text.strip():
            return JSONResponse({"error": "person and text are required"}, status_code=400)
        in_channel = body.get("where") == "channel"
        key = f"{'pgch' if in_channel else 'pg'}:{who}:{body.get('id') or uuid.uuid4().hex}"
        words = text.strip()
        place = {"channel": CHANNEL} if in_channel else {}
        if in_channel and body.get("thread"):
            place["thread"] = str(body["thread"])
        if words == COMMAND or words.startswith(COMMAND + " "):
            await runtime.inbox.store(
                PLATFORM, key, "command", {"person": who, "text": words[len(COMMAND) :].strip(), **place}
            )
        else:
            await runtime.inbox.store(PLATFORM, key, "message", {"person": who, "text": text, **place})
        return JSONResponse({"ok": True})

    async def click(request: Request) -> Response:
        body = await request.json()
        who = body.get("person")
        if who not in BY_ID or not body.get("action"):
            return JSONResponse({"error": "person and action are required"}, status_code=400)
        key = f"pgclick:{who}:{body.get('message_id')}:{body['action']}:{body.get('value', '')}"
        # A dialog picker's pick (bot/core/messages.py `Picker`): a person of the cast, or a date.
        pick = {}
        if isinstance(body.get("pick"), str):
            key += f":{body['pick'][:40]}"
            pick = {"fields": {"pick": body["pick"][:40]}, "people": ["pick"] if body.get("picks") == "person" else []}
        await runtime.inbox.store(
            PLATFORM,
            key,
            "action",
            {
                **pick,
                "person": who,
                "action": body["action"],
                "value": str(body.get("value", "")),
                "message_id": str(body.get("message_id", "")),
                **({"channel": CHANNEL} if body.get("where") == "channel" else {}),
                **({"thread": str(body["thread"])} if body.get("where") == "channel" and body.get("thread") else {}),
            },
        )
        return JSONResponse({"ok": True})

    async def submit(request: Request) -> Response:
        """A form sent: what was filled in, by field, and which fields name people."""
        body = await request.json()
        who, fields = body.get("person"), body.get("fields")
        if who not in BY_ID or not isinstance(fields, dict) or not isinstance(body.get("value"), str):
            return JSONResponse({"error": "person, value and fields are required"}, status_code=400)
        await runtime.inbox.store(
            PLATFORM,
            f"pgform:{who}:{uuid.uuid4().hex}",
            "action",
            {
                "person": who,
                "action": SUBMIT,
                "value": body["value"],
                "message_id": str(body.get("message_id", "")),
                "fields": {str(k): str(v)[:MAX_TEXT] for k, v in fields.items() if isinstance(v, str)},
                "people": [str(k) for k in body.get("people") or [] if isinstance(k, str)],
            },
        )
        return JSONResponse({"ok": True})

    async def move_clock(request: Request) -> Response:
        step = (await request.json()).get("advance")
        if step == "hour":
            clock.advance(timedelta(hours=1))
        elif step == "day":
            clock.advance(timedelta(days=1))
        elif step == "next":
            async with runtime.db.transaction() as s:
                ctx = Context(db=s, now=runtime.now(), settings=runtime.settings, texts=runtime.texts)
                due = await runtime.router.next_due(ctx)
            if due is not None:
                clock.advance(due - runtime.now() + timedelta(seconds=1))
        else:
            return JSONResponse({"error": "advance is hour, day or next"}, status_code=400)
        await runtime.tick()
        return JSONResponse({"ok": True, "now": format_moment(runtime.now(), language(), tz)})

    async def set_language(request: Request) -> Response:
        chosen = (await request.json()).get("language")
        if chosen not in ("da", "en"):
            return JSONResponse({"error": "language is da or en"}, status_code=400)
        platform.locale = chosen
        async with runtime.db.transaction() as s:
            for person in (await s.exec(select(Person).where(Person.platform == PLATFORM))).all():
                person.platform_locale = chosen
                s.add(person)
        return JSONResponse({"ok": True})

    return [
        Route("/", index, methods=["GET"]),
        Route("/favicon.ico", favicon, methods=["GET"]),
        Route("/api/state", state, methods=["GET"]),
        Route("/api/say", say, methods=["POST"]),
        Route("/api/click", click, methods=["POST"]),
        Route("/api/submit", submit, methods=["POST"]),
        Route("/api/clock", move_clock, methods=["POST"]),
        Route("/api/language", set_language, methods=["POST"]),
        Mount("/static", app=StaticFiles(directory=PAGE), name="static"),
    ]
