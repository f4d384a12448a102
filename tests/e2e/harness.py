"""The bot as a person meets it: the real ASGI app on loopback, a stand-in of
the Slack Web API on loopback, signed requests, and a controlled clock."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bot.app import create_app
from bot.settings import Settings
from tests.fakes import slack_signing as signing
from tests.fakes.slack_api import FakeSlack, dm_channel_id
from tests.support.server import LoopbackServer
from tests.support.slack_specs import assert_valid_message, check_blocks, check_modal

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"


async def settle(runtime: Any, passes: int = 3) -> None:
    """Let the bot finish what it was asked, and check that it has: once the inbox and the
    outbox have drained, neither may have a lane with work due. Work found then means a
    drain returned early; it is drained again with a warning (so the run says so), and a
    test fails if it is still there after `passes` drains."""
    late: list[str] = []
    for _ in range(passes):
        await runtime.inbox.process_pending()
        await runtime.outbox.send_due()
        async with runtime.db.transaction() as s:
            left = [
                f"{worker.prefix}{lane}"
                for worker in (runtime.inbox, runtime.outbox)
                for lane in await worker.due_lanes(s, [], 10)
            ]
        if not left:
            if late:
                warnings.warn(f"settle: work was due after a drain: {late}", stacklevel=2)
            return
        late.extend(left)
    raise AssertionError(f"settle: work still due after {passes} drains: {late}")


class FakeClock:
    """The bot's `now`: real time until a test moves it."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)

    def set(self, moment: datetime) -> None:
        """Jump to a moment (forward or back): the bot's now becomes `moment`, then runs on."""
        self.offset = moment - datetime.now(UTC)


class RunningApp:
    """Start, stop and restart the real app on loopback; subclasses say which platform."""

    server: LoopbackServer | None
    clock: FakeClock

    def settings(self) -> Settings:
        raise NotImplementedError

    async def start(self) -> None:
        self.app = create_app(self.settings(), now=self.clock)
        self.server = LoopbackServer(self.app)
        await self.server.start()

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None

    async def restart(self) -> None:
        """A new process in all but name: a new app, engine and workers on the same database."""
        await self.stop()
        await self.start()

    @property
    def runtime(self):
        return self.app.state.runtime

    async def tick(self) -> None:
        """What the clock's next wake-up does."""
        await self.runtime.tick()


@dataclass
class Bot(RunningApp):
    """A running bot process (app + server) against the fake Slack."""

    database_url: str
    slack: FakeSlack
    clock: FakeClock
    server: LoopbackServer | None = None
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=10))
    # Settings a test gives the bot (read at the next start or restart), as an operator's .env does.
    overrides: dict[str, Any] = field(default_factory=dict)

    def settings(self) -> Settings:
        return Settings(
            _env_file=None,
            database_url=self.database_url,
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=self.slack.api_url,
            clock_interval_seconds=3600,
            # The tests' people answer in milliseconds, faster than Slack's one post a second
            # in a DM: the platforms' pace is tested on its own (tests/e2e/test_delivery.py).
            **{"outbox_pace": False, **self.overrides},
        )

    # ---- raw requests -------------------------------------------------
    async def post(
        self,
        body: str,
        *,
        content_type: str,
        headers: dict[str, str] | None = None,
        signed: bool = True,
        timestamp: int | None = None,
    ) -> httpx.Response:
        assert self.server is not None
        all_headers = signing.request_headers(
            body, SECRET, content_type, extra=headers, signed=signed, timestamp=timestamp
        )
        return await self.http.post(f"{self.server.url}/slack/events", content=body, headers=all_headers)


class Chat:
    """A person's-eye driver: say, command, click, and read what came back."""

    # What would reach people as a live mention in what the bot sends on Slack.
    # Broadcasts, which nothing the bot sends may carry live.
    live_mentions = ("<!channel>", "<!here>", "<!everyone>", "@channel", "@here", "@everyone")

    def mentioned(self, body: str) -> set[str]:
        """The people a sent body mentions live (`sent_bodies`), by handle ("ULISE")."""
        return set(re.findall(r"<@([UW][A-Z0-9]+)>", body))

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.slack = bot.slack
        # Per person: how many of their messages earlier expectations have read.
        self.read: dict[str, int] = {}

    def person(self, user_id: str, name: str, locale: str = "da-DK", tz: str = "Europe/Copenhagen") -> None:
        self.slack.add_user(user_id, name, locale=locale, tz=tz)

    def team(self, user: str) -> str:
        """The workspace a person's requests come from: one, unless a test has several."""
        return "T1"

    async def command(self, user: str, text: str, **headers: str) -> httpx.Response:
        body = signing.slash_command_body(
            text=text, user_id=user, team_id=self.team(user), response_url=self.slack.response_url(user=user)
        )
        response = await self.bot.post(body, content_type="application/x-www-form-urlencoded", headers=headers)
        assert response.status_code == 200, response.text
        return response

    async def say(
        self, user: str, text: str, *, event_id: str | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        event = signing.dm_message_event(user, text, channel=dm_channel_id(user))
        body = signing.event_body(event, event_id=event_id, team_id=self.team(user))
        response = await self.bot.post(body, content_type="application/json", headers=headers)
        assert response.status_code == 200, response.text
        return response

    def _button_or_none(self, user: str, label: str):
        try:
            return self.find_button(user, label)
        except AssertionError:
            return None

    def find_button(self, user: str, label: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """The newest message in the user's DM with a live button of that label."""
        for (channel, _ts), message in reversed(list(self.slack.messages.items())):
            if channel != dm_channel_id(user):
                continue
            for block in message.get("blocks") or []:
                for element in block.get("elements", []) if block.get("type") == "actions" else []:
                    # A picker beside a question (users_select, datepicker) has no label.
                    if element.get("text", {}).get("text") == label:
                        # Slack sends the block's id with the press, as it was posted.
                        return message | {"channel": channel}, element | {"block_id": block.get("block_id", "b")}
        raise AssertionError(f"no live button {label!r} for {user}:\n{self.slack.dump()}")

    async def click(
        self, user: str, label: str, *, as_user: str | None = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        message, element = await self.slack.wait_for(lambda _: self._button_or_none(user, label))
        presser = as_user or user
        body = signing.block_actions_body(
            presser,
            element["action_id"],
            element.get("value", ""),
            message_ts=message["ts"],
            channel_id=message["channel"],
            response_url=self.slack.response_url(user=presser),
            block_id=element["block_id"],
            team_id=self.team(presser),
        )
        response = await self.bot.post(body, content_type="application/x-www-form-urlencoded", headers=headers)
        assert response.status_code == 200, response.text
        return response

    def forget(self) -> None:
        """Clear the stand-in's record and pending faults; read from the start again."""
        self.slack.clear()
        self.read.clear()

    # ---- channels (learning meetings) ------------------------------------
    async def post_in_channel(self, user: str, channel: str, text: str) -> httpx.Response:
        """`/laering <text>` written in a channel."""
        body = signing.slash_command_body(
            text=text,
            user_id=user,
            channel_id=channel,
            team_id=self.team(user),
            response_url=self.slack.response_url(user=user),
        )
        response = await self.bot.post(body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200, response.text
        return response

    def channel_texts(self, channel: str) -> list[str]:
        """Every post in the channel and its threads, in order, as first posted."""
        return [
            message_text(c.args, self.slack.shown)
            for c in self.slack.calls_of("chat.postMessage")
            if c.args.get("channel") == channel
        ]

    async def expect_in_channel(self, channel: str, *fragments: str, timeout: float = 5.0) -> str:
        """Wait for the next post in the channel (or a thread of it) that holds every fragment."""
        key = f"#{channel}"

        def found(_: FakeSlack) -> tuple[int, str] | None:
            texts = self.channel_texts(channel)
            for index in range(self.read.get(key, 0), len(texts)):
                if all(f in texts[index] for f in fragments):
                    return index, texts[index]
            return None

        index, text = await self.slack.wait_for(found, timeout=timeout)
        self.read[key] = index + 1
        return text

    def channel_count(self, channel: str, fragment: str) -> int:
        return sum(fragment in t for t in self.channel_texts(channel))

    async def reply_in_thread(self, user: str, channel: str, text: str, *, root: str) -> httpx.Response:
        """A reply in the thread of the newest root post in the channel that holds `root`."""
        roots = [
            (ts, m)
            for (c, ts), m in self.slack.messages.items()
            if c == channel and not m.get("thread_ts") and root in message_text(m)
        ]
        assert roots, f"no post holding {root!r} in {channel}:\n{self.slack.dump()}"
        event = signing.dm_message_event(user, text, channel=channel)
        event |= {"channel_type": "channel", "thread_ts": roots[-1][0]}
        response = await self.bot.post(
            signing.event_body(event, team_id=self.team(user)), content_type="application/json"
        )
        assert response.status_code == 200, response.text
        return response

    def _channel_button(self, channel: str, label: str):
        for (c, _ts), message in reversed(list(self.slack.messages.items())):
            if c != channel:
                continue
            for block in message.get("blocks") or []:
                for element in block.get("elements", []) if block.get("type") == "actions" else []:
                    if element["text"]["text"] == label:
                        return message | {"channel": c}, element | {"block_id": block.get("block_id", "b")}
        return None

    async def channel_button(self, channel: str, label: str) -> Any:
        """The newest live button of that label in the channel, held to be pressed later (as
        someone whose client still shows the message before it changed)."""
        return await self.slack.wait_for(lambda _: self._channel_button(channel, label))

    async def click_in_channel(self, user: str, channel: str, label: str, held: Any = None) -> httpx.Response:
        """`user` presses the newest live button of that label in the channel (or its threads),
        or the `held` one."""
        message, element = held or await self.channel_button(channel, label)
        body = signing.block_actions_body(
            user,
            element["action_id"],
            element.get("value", ""),
            message_ts=message["ts"],
            channel_id=channel,
            response_url=self.slack.response_url(user=user),
            block_id=element["block_id"],
            team_id=self.team(user),
        )
        response = await self.bot.post(body, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200, response.text
        return response

    # ---- reading ------------------------------------------------------
    def texts(self, user: str) -> list[str]:
        return [message_text(m, self.slack.shown) for m in self.slack.messages_to(user)]

    async def expect(self, user: str, *fragments: str, timeout: float = 5.0) -> str:
        """Wait for the next message to `user` that holds every fragment; return its text.

        Messages are read in order: what an earlier expectation read is not read again.
        """

        def found(_: FakeSlack) -> tuple[int, str] | None:
            texts = self.texts(user)
            for index in range(self.read.get(user, 0), len(texts)):
                if all(f in texts[index] for f in fragments):
                    return index, texts[index]
            return None

        index, text = await self.slack.wait_for(found, timeout=timeout)
        self.read[user] = index + 1
        return text

    def count(self, user: str, fragment: str) -> int:
        return sum(fragment in t for t in self.texts(user))

    async def updated(self, *fragments: str, timeout: float = 5.0) -> str:
        """The text of the newest message update that holds every fragment (waiting for one)."""

        def found(_: FakeSlack) -> str | None:
            texts = [message_text(c.args, self.slack.shown) for c in self.slack.calls_of("chat.update")]
            return next((t for t in reversed(texts) if all(f in t for f in fragments)), None)

        return await self.slack.wait_for(found, timeout=timeout)

    def sent_bodies(self) -> list[str]:
        return [
            str(c.args) for c in self.slack.calls if c.method in ("chat.postMessage", "chat.update", "response_url")
        ]

    async def settle(self) -> None:
        await settle(self.bot.runtime)

    def check_payloads(self) -> None:
        """Every message the bot sent, checked against the Block Kit limits in specs/."""
        for call in self.slack.calls:
            if call.method in ("chat.postMessage", "chat.update", "response_url"):
                assert_valid_message(call.args)
            elif call.method == "views.publish":  # the App Home: a view of up to 100 blocks
                assert not check_blocks(call.args["view"]["blocks"], "home"), check_blocks(
                    call.args["view"]["blocks"], "home"
                )
            elif call.method == "views.open":  # a form's modal
                assert not check_modal(call.args["view"]), check_modal(call.args["view"])


def message_text(args: dict[str, Any], shown: Callable[[str], str] = lambda text: text) -> str:
    """Everything a person reads in a message: its blocks' texts, or its text; `shown` shows
    its mentions as a Slack client does (`FakeSlack.shown`: "@Lise")."""
    parts: list[str] = []
    for block in args.get("blocks") or []:
        if isinstance(block.get("text"), dict):
            parts.append(block["text"]["text"])
        for f in block.get("fields") or []:
            parts.append(f["text"])
        for element in block.get("elements") or []:
            if isinstance(element.get("text"), dict):
                parts.append("[" + element["text"]["text"] + "]")
            elif isinstance(element.get("text"), str):
                parts.append(element["text"])
    return shown("\n".join(parts) if parts else str(args.get("text", "")))


def dump_json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=1)
