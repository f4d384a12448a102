"""The bot as a person meets it in Microsoft Teams: the real ASGI app on loopback,
a stand-in of the Bot Connector, the token endpoint and the OpenID metadata on
loopback, tokens signed by a test key, and a controlled clock.

`TeamsChat` has the interface of the Slack `Chat` (person, command, say, click,
expect, count, texts, settle, updated, check_payloads), so one scenario runs on
both. People are named by the same handles ("ULISE"); a Slack-style mention
`<@UMADS|mads>` in what a test writes becomes a Teams mention entity.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx

from bot.settings import Settings
from tests.e2e.harness import FakeClock, RunningApp, settle
from tests.fakes.teams_api import (
    APP_ID,
    APP_PASSWORD,
    BOT_ID,
    BOT_NAME,
    TENANT_ID,
    FakeTeams,
    buttons,
    card_of,
    card_text,
)
from tests.support.server import LoopbackServer
from tests.support.teams_specs import (
    assert_valid_activity,
    assert_valid_card,
    assert_valid_conversation_parameters,
)

_SLACK_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")


def teams_id(handle: str) -> str:
    return f"29:1{handle}"


def channel_id(handle: str) -> str:
    """A team channel's conversation id for a Slack-style channel handle ("CTEAM")."""
    return f"19:{handle.lower()}@thread.tacv2"


@dataclass
class TeamsBot(RunningApp):
    """A running bot process (app + server) against the fake Microsoft services."""

    database_url: str
    teams: FakeTeams
    clock: FakeClock
    server: LoopbackServer | None = None
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=10))
    overrides: dict[str, Any] = field(default_factory=dict)

    def settings(self) -> Settings:
        return Settings(
            _env_file=None,
            database_url=self.database_url,
            microsoft_app_id=APP_ID,
            microsoft_app_password=APP_PASSWORD,
            microsoft_app_tenant_id=TENANT_ID,
            teams_openid_metadata_url=self.teams.metadata_url,
            teams_token_url=self.teams.token_url,
            clock_interval_seconds=3600,
            # The tests' people answer in milliseconds, faster than Slack's one post a second
            # in a DM: the platforms' pace is tested on its own (tests/e2e/test_delivery.py).
            **{"outbox_pace": False, **self.overrides},
        )

    async def post(
        self, activity: dict[str, Any] | bytes, *, token: str | None = None, signed: bool = True
    ) -> httpx.Response:
        """POST /api/messages with a token the Bot Framework would send (or the one given)."""
        assert self.server is not None
        headers = {"Content-Type": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        elif signed:
            headers["Authorization"] = f"Bearer {self.teams.token(activity if isinstance(activity, dict) else None)}"
        body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
        return await self.http.post(f"{self.server.url}/api/messages", content=body, headers=headers)


class TeamsChat:
    """A person's-eye driver for Teams, with the Slack `Chat`'s interface."""

    # What would reach people as a live mention in what the bot sends on Teams.
    # Broadcasts, which nothing the bot sends may carry live.
    live_mentions = ("@channel", "@here", "@everyone", "@team")

    def mentioned(self, body: str) -> set[str]:
        """The people a sent body mentions live (`sent_bodies`), by handle ("ULISE"): each
        `<at>` in it needs its mention entity, which names the person's Teams id."""
        found: set[str] = set()

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if node.get("type") == "mention" and isinstance(node.get("mentioned"), dict):
                    found.add(str(node["mentioned"].get("id", "")).removeprefix(teams_id("")))
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(json.loads(body))
        return found

    def __init__(self, bot: TeamsBot) -> None:
        self.bot = bot
        self.teams = bot.teams
        self.read: dict[str, int] = {}

    def person(
        self, handle: str, name: str, locale: str = "da-DK", tz: str = "Europe/Copenhagen", *, installed: bool = True
    ) -> None:
        self.teams.add_user(teams_id(handle), name, locale, tz, installed=installed)

    async def install(self, handle: str) -> None:
        """The person adds the app: Teams tells the bot (installationUpdate, conversationUpdate)."""
        user = teams_id(handle)
        for activity in (self.teams.installation(user), self.teams.conversation_update(user)):
            response = await self.bot.post(activity)
            assert response.status_code == 200, response.text

    # ---- writing -------------------------------------------------------------------------
    def activity(self, handle: str, text: str, *, id: str | None = None) -> dict[str, Any]:
        """A message in the person's chat with the bot; `<@ID|x>` becomes a Teams mention."""
        mentions: list[tuple[str, str]] = []

        def mention(match: re.Match[str]) -> str:
            user = self.teams.users.get(teams_id(match.group(1)))
            name = user.name if user else match.group(1).title()
            mentions.append((teams_id(match.group(1)), name))
            return f"<at>{name}</at>"

        return self.teams.message(teams_id(handle), _SLACK_MENTION.sub(mention, text), mentions=mentions, id=id)

    async def command(self, handle: str, text: str) -> httpx.Response:
        """Teams has no slash command: the words are written to the bot in the personal chat."""
        return await self.say(handle, text)

    async def say(self, handle: str, text: str, *, id: str | None = None) -> httpx.Response:
        response = await self.bot.post(self.activity(handle, text, id=id))
        assert response.status_code == 200, response.text
        return response

    def find_button(self, handle: str, label: str) -> tuple[str, str, dict[str, Any]]:
        """The newest card in the person's chat with a live button of that label."""
        conversation = self.teams.conversation_of(teams_id(handle))
        for sent in reversed(self.teams.activities_in(conversation)):
            card = card_of(sent.activity)
            for action in buttons(card) if card else []:
                if action.get("title") == label:
                    return conversation, sent.id, action
        raise AssertionError(f"no live button {label!r} for {handle}:\n{self.teams.dump()}")

    def _button_or_none(self, handle: str, label: str):
        try:
            return self.find_button(handle, label)
        except AssertionError:
            return None

    async def click(
        self, handle: str, label: str, *, as_user: str | None = None, id: str | None = None
    ) -> httpx.Response:
        conversation, card_id, action = await self.teams.wait_for(lambda _: self._button_or_none(handle, label))
        presser = teams_id(as_user or handle)
        press = self.teams.press(presser, conversation, card_id, action["verb"], action.get("data"), id=id)
        response = await self.bot.post(press)
        assert response.status_code == 200, response.text
        self.teams.record_answer(presser, response.json())
        return response

    def forget(self) -> None:
        self.teams.clear()
        self.read.clear()

    # ---- channels (learning meetings) ------------------------------------------------------
    def _mentioning(self, handle: str, channel: str, text: str, *, bot: bool, reply_to: str | None = None):
        self.teams.add_channel(channel_id(channel), name=channel[1:].lower())  # as Slack's: "CTEAM" is "team"
        mentions: list[tuple[str, str]] = [(BOT_ID, BOT_NAME)] if bot else []

        def mention(match: re.Match[str]) -> str:
            user = self.teams.users.get(teams_id(match.group(1)))
            name = user.name if user else match.group(1).title()
            mentions.append((teams_id(match.group(1)), name))
            return f"<at>{name}</at>"

        text = _SLACK_MENTION.sub(mention, text)
        if bot:
            text = f"<at>{BOT_NAME}</at> {text}"
        return self.teams.channel_message(
            teams_id(handle), channel_id(channel), text, mentions=mentions, reply_to=reply_to
        )

    async def post_in_channel(self, handle: str, channel: str, text: str) -> httpx.Response:
        """`@Læringsbot <text>` posted in a team channel."""
        response = await self.bot.post(self._mentioning(handle, channel, text, bot=True))
        assert response.status_code == 200, response.text
        return response

    def channel_texts(self, channel: str) -> list[str]:
        texts = []
        for call in self.teams.calls_of("send"):
            if unquote(call.path).split("/conversations/", 1)[-1].startswith(channel_id(channel)):
                card = card_of(call.body)
                texts.append(card_text(card) if card else str(call.body.get("text", "")))
        return texts

    async def expect_in_channel(self, channel: str, *fragments: str, timeout: float = 5.0) -> str:
        key = f"#{channel}"

        def found(_: FakeTeams) -> tuple[int, str] | None:
            texts = self.channel_texts(channel)
            for index in range(self.read.get(key, 0), len(texts)):
                if all(f in texts[index] for f in fragments):
                    return index, texts[index]
            return None

        index, text = await self.teams.wait_for(found, timeout=timeout)
        self.read[key] = index + 1
        return text

    def channel_count(self, channel: str, fragment: str) -> int:
        return sum(fragment in t for t in self.channel_texts(channel))

    async def reply_in_thread(self, handle: str, channel: str, text: str, *, root: str) -> httpx.Response:
        roots = [
            s
            for s in self.teams.channel_activities(channel_id(channel))
            if ";messageid=" not in s.conversation_id and root in card_text(card_of(s.activity) or {})
        ]
        assert roots, f"no post holding {root!r} in {channel}:\n{self.teams.dump()}"
        response = await self.bot.post(self._mentioning(handle, channel, text, bot=False, reply_to=roots[-1].id))
        assert response.status_code == 200, response.text
        return response

    def _channel_button(self, channel: str, label: str):
        for sent in reversed(self.teams.channel_activities(channel_id(channel))):
            card = card_of(sent.activity)
            for action in buttons(card) if card else []:
                if action.get("title") == label:
                    return sent, action
        return None

    async def channel_button(self, channel: str, label: str) -> Any:
        return await self.teams.wait_for(lambda _: self._channel_button(channel, label))

    async def click_in_channel(self, handle: str, channel: str, label: str, held: Any = None) -> httpx.Response:
        sent, action = held or await self.channel_button(channel, label)
        presser = teams_id(handle)
        press = self.teams.press(presser, sent.conversation_id, sent.id, action["verb"], action.get("data"))
        response = await self.bot.post(press)
        assert response.status_code == 200, response.text
        self.teams.record_answer(presser, response.json())
        return response

    # ---- reading ---------------------------------------------------------------------------
    def texts(self, handle: str) -> list[str]:
        """What the person was shown, in order: cards in their chat, and answers to their presses."""
        texts = []
        for shown in self.teams.shown_to(teams_id(handle)):
            if shown.kind == "post":
                card = card_of(shown.payload)
                texts.append(card_text(card) if card else str(shown.payload.get("text", "")))
            elif shown.payload.get("type") == "application/vnd.microsoft.activity.message":
                texts.append(str(shown.payload.get("value", "")))
        return texts

    async def expect(self, handle: str, *fragments: str, timeout: float = 5.0) -> str:
        def found(_: FakeTeams) -> tuple[int, str] | None:
            texts = self.texts(handle)
            for index in range(self.read.get(handle, 0), len(texts)):
                if all(f in texts[index] for f in fragments):
                    return index, texts[index]
            return None

        index, text = await self.teams.wait_for(found, timeout=timeout)
        self.read[handle] = index + 1
        return text

    def count(self, handle: str, fragment: str) -> int:
        return sum(fragment in t for t in self.texts(handle))

    async def updated(self, *fragments: str, timeout: float = 5.0) -> str:
        """The text of the newest card update that holds every fragment (waiting for one)."""

        def found(_: FakeTeams) -> str | None:
            texts = [card_text(card_of(c.body) or {}) for c in self.teams.calls_of("update")]
            return next((t for t in reversed(texts) if all(f in t for f in fragments)), None)

        return await self.teams.wait_for(found, timeout=timeout)

    def sent_bodies(self) -> list[str]:
        return [json.dumps(c.body, ensure_ascii=False) for c in self.teams.calls if c.op in ("send", "update")]

    async def settle(self) -> None:
        await settle(self.bot.runtime)

    def check_payloads(self) -> None:
        """Every activity and card the bot sent, checked against Microsoft's schemas in specs/."""
        for call in self.teams.calls:
            if call.op in ("send", "update"):
                assert_valid_activity(call.body)
                assert not any(e.get("type") == "mention" for e in call.body.get("entities") or [])
            elif call.op == "create_conversation":
                assert_valid_conversation_parameters(call.body)
        for shown in self.teams.shown:
            if shown.kind == "answer" and shown.payload.get("type") == "application/vnd.microsoft.card.adaptive":
                assert_valid_card(shown.payload["value"])
