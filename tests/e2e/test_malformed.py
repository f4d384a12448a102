"""Malformed requests against the real app over HTTP, fuzzed but seeded and bounded
(a few hundred, a few seconds): unsigned ones get 401; signed but malformed ones 400
(413 when too large); signed ones with odd values are ignored, or answered as an
unknown number is. None gets a 5xx, nothing fails later in the inbox, nobody is sent
anything for what was ignored, and a conversation afterwards works as ever."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from sqlalchemy import func, or_
from sqlmodel import col, select

from bot.storage.models import InboxEvent, OutboxMessage
from tests.e2e.harness import SECRET, Chat, RunningApp
from tests.e2e.teams_harness import TeamsChat, teams_id
from tests.fakes import slack_signing as signing
from tests.fakes.slack_api import dm_channel_id
from tests.fakes.teams_api import FakeTeams

SEED = 15
JSON, FORM = "application/json", "application/x-www-form-urlencoded"
LISE, MADS = "ULISE", "UMADS"
HUGE = "9" * 30  # no integer column holds it
ODD_NUMBERS = (HUGE, f"{HUGE}:1", "99999999999", "²", "١٢", "-1", "0", "1e5", "")
# Buttons of every flow, pressed with numbers that name no record.
ACTIONS = (
    "dialog:resume",
    "dialog:send",
    "dialog:edit_pick",
    "elearning:approve",
    "peer:accept",
    "peer:approve",
    "clinical:agree",
    "clinical:competency",
    "visit:accept",
    "visit:share",
    "meeting:case",
    "meeting:done",
    "overview:page",
    "personal:erase",
    "export:copy",
)
SLACK_SENDS = (
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "response_url",
    "views.publish",
    "files.completeUploadExternal",
)
TEAMS_SENDS = ("send", "update", "create_conversation")


@dataclass
class Case:
    what: str
    body: bytes
    expected: int
    content_type: str = JSON
    headers: dict[str, Any] | None = None  # None: signed as the platform signs


def made(what: str, body_and_type: tuple[bytes, str], expected: int) -> Case:
    body, content_type = body_and_type
    return Case(what, body, expected, content_type)


def deep(rng: random.Random, levels: int) -> str:
    opener, closer = rng.choice([('{"a":', "}"), ("[", "]")])
    return opener * levels + "1" + closer * levels


async def no_failures(app: RunningApp) -> None:
    async with app.runtime.db.transaction() as s:
        bad = (
            await s.exec(
                select(func.count())
                .select_from(InboxEvent)
                .where(or_(col(InboxEvent.status) == "failed", col(InboxEvent.attempts) > 0))
            )
        ).one()
        pending = (
            await s.exec(select(func.count()).select_from(InboxEvent).where(InboxEvent.status == "pending"))
        ).one()
    assert (bad, pending) == (0, 0)


async def queued(app: RunningApp) -> int:
    """Messages the bot has written to send to anyone (sent or not yet)."""
    async with app.runtime.db.transaction() as s:
        count: int = (await s.exec(select(func.count()).select_from(OutboxMessage))).one()
        return count


def check_statuses(results: list[tuple[Case, httpx.Response]]) -> None:
    assert [c.what for c, r in results if r.status_code >= 500] == []
    wrong = [(c.what, c.expected, r.status_code) for c, r in results if r.status_code != c.expected]
    assert wrong == []


# ---- Slack ----------------------------------------------------------------------------
def event(user: str | None = LISE, **fields: Any) -> dict[str, Any]:
    message = signing.dm_message_event(user or LISE, "hej") | fields
    if user is None:
        del message["user"]
    parsed: dict[str, Any] = json.loads(signing.event_body(message))
    return parsed


AS_SENT = object()


def press(
    user: Any = AS_SENT,
    action_id: str = "dialog:resume",
    value: str = "1",
    block_id: str = "b",
    response_url: str = "https://hooks.slack.invalid/x",
) -> dict[str, Any]:
    """Lise's press as Slack sends it; `user` replaces how Slack names the presser (`...`: not at all)."""
    body = signing.block_actions_body(
        LISE,
        action_id,
        value,
        message_ts="1700000000.000100",
        channel_id=dm_channel_id(LISE),
        response_url=response_url,
        block_id=block_id,
    )
    payload: dict[str, Any] = json.loads(dict(parse_qsl(body))["payload"])
    if user is ...:
        del payload["user"]
    elif user is not AS_SENT:
        payload["user"] = user
    return payload


def form(payload: Any) -> bytes:
    return urlencode({"payload": payload if isinstance(payload, str) else json.dumps(payload)}).encode()


def command(text: str = "hjælp", response_url: str | None = None, **fields: str | None) -> bytes:
    body = dict(parse_qsl(signing.slash_command_body(text=text, user_id=LISE, response_url=response_url)))
    return urlencode({k: v for k, v in (body | fields).items() if v is not None}).encode()


def signature(timestamp: str | bytes, body: bytes, secret: str = SECRET) -> str:
    stamp = timestamp if isinstance(timestamp, bytes) else timestamp.encode()
    return "v0=" + hmac.new(secret.encode(), b"v0:" + stamp + b":" + body, hashlib.sha256).hexdigest()


def unsigned_slack(rng: random.Random, n: int) -> list[Case]:
    now = int(time.time())
    good = str(now)
    stamps: list[str | bytes] = [
        "",
        "abc",
        "12.5",
        "-60",
        "0x10",
        "1e9",
        "9" * 40,
        str(now - 301),
        str(now + 301),
        "１７００".encode(),  # noqa: RUF001  (fullwidth digits: int() reads them)
        good + "a",
    ]
    cases = []
    for i in range(n):
        body = rng.choice(
            [
                command(),
                json.dumps(event()).encode(),
                form(press()),
                deep(rng, 500).encode(),
                b"\xff\xfe",
                b"payload=not-json",
                b"",
            ]
        )
        wrong = rng.randrange(8)
        headers: dict[str, Any] = {"X-Slack-Request-Timestamp": good}
        if wrong == 0:
            headers = {}
        elif wrong == 1:  # a timestamp that is not one (or too old, too new), signed as if it were
            stamp = rng.choice(stamps)
            headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature(stamp, body)}
        elif wrong == 2:
            headers = {"X-Slack-Signature": signature(good, body)}
        elif wrong == 3:
            headers["X-Slack-Signature"] = rng.choice(
                [
                    "",
                    "v0=",
                    "v0=" + "0" * 64,
                    "v1=" + signature(good, body)[3:],
                    signature(good, body).upper(),
                    "v0=æ".encode() + b"0" * 62,
                ]
            )
        elif wrong == 4:
            headers["X-Slack-Signature"] = signature(good, body, "a-guessed-secret")
        elif wrong == 5:  # signed, then changed on the way
            headers["X-Slack-Signature"] = signature(good, body + b" ")
        elif wrong == 6:
            headers["X-Slack-Signature"] = signature(str(now - 1), body)
        cases.append(Case(f"unsigned #{i} (kind {wrong})", body, 401, rng.choice([JSON, FORM]), headers))
    return cases


def malformed_slack(rng: random.Random, n: int) -> list[Case]:
    valid = json.dumps(event())
    odd_shapes: list[Callable[[], dict[str, Any]]] = [
        lambda: event() | {"event": rng.choice([[], "x", None, 5])},
        lambda: event() | {rng.choice(["user", "team", "enterprise", "channel"]): rng.choice([5, [1], 1.5, True])},
        lambda: event() | {rng.choice(["team", "user"]): {"id": rng.choice([5, [], {}])}},
        lambda: event() | {"authorizations": rng.choice(["x", [5], [None], 7, {}])},
        lambda: event() | {"type": rng.choice([5, [], {}])},
        lambda: event() | {"event": event()["event"] | {rng.choice(["user", "channel", "team"]): rng.choice([5, [1]])}},
        lambda: event() | {"event": event()["event"] | {"message": rng.choice(["x", 5, []])}},
        lambda: press() | {"actions": rng.choice([[], "x", [5], [{"action_id": 5}], None, {}])},
        lambda: press() | {rng.choice(["container", "view", "message"]): rng.choice([[], "x", 5])},
        lambda: press() | {"response_urls": rng.choice([[5], "x"])},
    ]
    makers: list[Callable[[], tuple[bytes, str]]] = [
        lambda: (bytes(rng.randrange(128, 256) for _ in range(rng.randrange(1, 40))), rng.choice([JSON, FORM])),
        lambda: (valid.encode()[:-1] + b"\xff}", JSON),
        lambda: (valid[: rng.randrange(1, len(valid) - 1)].encode(), JSON),
        lambda: (rng.choice(["[]", "5", '"x"', "null", "true", "[{}]"]).encode(), JSON),
        lambda: (deep(rng, rng.choice([70, 200, 5000, 100_000])).encode(), JSON),
        lambda: (valid.replace('"hej"', rng.choice(['"\\ud800"', '"a\\udc00b"', '"\\u0000"'])).encode(), JSON),
        lambda: (valid.replace('"hej"', rng.choice(["NaN", "Infinity", "-Infinity", "1e400"])).encode(), JSON),
        lambda: (valid.replace('"text"', '"\\ud83d"').encode(), JSON),  # a lone surrogate as a key
        lambda: (
            rng.choice(
                [
                    b"payload=not-json",
                    b"payload=",
                    b"payload=%7B",
                    b"payload=%5B1%5D",
                    b"payload=%FF",
                    b"payload=%22x%22",
                    form(deep(rng, 100)),
                    b"&".join(b"f%d=1" % i for i in range(500)),
                    b"command=%2Flaering&text=%00",
                    b"command=%2Flaering&text=%C3",
                ]
            ),
            FORM,
        ),
        lambda: (b"", rng.choice([JSON, FORM])),
        lambda: (form(rng.choice(odd_shapes)()), FORM),
        lambda: (json.dumps(rng.choice(odd_shapes)()).encode(), JSON),
    ]
    cases = [made(f"malformed #{i}", rng.choice(makers)(), 400) for i in range(n)]
    cases.append(Case("too large (JSON)", b"{" + b" " * 1_100_000 + b"}", 413, JSON))
    cases.append(Case("too large (form)", b"payload=" + b"1" * 1_100_000, 413, FORM))
    return cases


def ignored_slack(rng: random.Random, n: int) -> list[Case]:
    """Signed and well-formed, but naming nobody the bot can answer, or nothing it listens to."""
    nobody = [None, "", "U" * 300, {"id": LISE}, {"id": None}]
    makers: list[Callable[[], tuple[bytes, str]]] = [
        lambda: (json.dumps(event(None)).encode(), JSON),
        lambda: (json.dumps(event() | {"event": event()["event"] | {"user": rng.choice(nobody)}}).encode(), JSON),
        lambda: (json.dumps(event() | {"event": {"type": "app_home_opened", "tab": "home"}}).encode(), JSON),
        lambda: (json.dumps(event(subtype=rng.choice(["message_changed", "bot_message"]))).encode(), JSON),
        lambda: (json.dumps(event(bot_id="BBOT")).encode(), JSON),
        lambda: (json.dumps(event(channel_type="channel", channel="CTEAM")).encode(), JSON),
        lambda: (command(user_id=rng.choice([None, ""])), FORM),
        lambda: (
            form(
                press(
                    user=rng.choice([..., LISE, {"id": None}, {"name": "lise"}, "U" * 300]),
                    block_id=rng.choice(["b", f"posted:{HUGE}"]),
                )
            ),
            FORM,
        ),
    ]
    return [made(f"ignored #{i}", rng.choice(makers)(), 200) for i in range(n)]


def odd_numbers_slack(rng: random.Random, chat: Chat, n: int) -> list[Case]:
    """From a real person: numbers that name no record, in buttons and in commands."""
    cases = []
    for i in range(n):
        reply_to = chat.slack.response_url(user=LISE)
        if rng.random() < 0.7:
            body = form(
                press(
                    user={"id": LISE, "username": "lise", "name": "lise", "team_id": "T1"},
                    action_id=rng.choice(ACTIONS),
                    value=rng.choice(ODD_NUMBERS),
                    block_id=rng.choice([f"posted:{HUGE}", f"posted:{HUGE}:2", "posted:²", "b"]),
                    response_url=reply_to,
                )
            )
        else:
            words = rng.choice(["eksport", "kollega", "kollega 1", "klinisk", "mine"])
            body = command(f"{words} {rng.choice(ODD_NUMBERS)}", response_url=reply_to)
        cases.append(Case(f"odd number #{i}", body, 200, FORM))
    return cases


async def send_slack(chat: Chat, cases: list[Case]) -> list[tuple[Case, httpx.Response]]:
    bot = chat.bot
    assert bot.server is not None
    results = []
    for case in cases:
        headers = case.headers
        if headers is None:
            headers = signing.sign(case.body, SECRET)
        response = await bot.http.post(
            f"{bot.server.url}/slack/events", content=case.body, headers={"Content-Type": case.content_type, **headers}
        )
        results.append((case, response))
    return results


async def test_malformed_slack_requests_are_refused_or_ignored_and_nothing_breaks(chat: Chat) -> None:
    rng = random.Random(SEED)
    refused = unsigned_slack(rng, 80) + malformed_slack(rng, 120) + ignored_slack(rng, 60)
    rng.shuffle(refused)
    check_statuses(await send_slack(chat, refused))
    await chat.settle()
    await no_failures(chat.bot)
    assert await queued(chat.bot) == 0
    assert [c for c in chat.slack.calls if c.method in SLACK_SENDS] == []

    # Numbers no record has, from a person: answered like any unknown number, never raised on.
    check_statuses(await send_slack(chat, odd_numbers_slack(rng, chat, 60)))
    await chat.settle()
    await no_failures(chat.bot)
    await chat.expect(LISE, "Den knap hører til en samtale, der er afsluttet eller ikke er din.")
    await chat.expect(LISE, "Du kan ikke få en kopi af kontrakt 99999999999: enten findes den ikke")

    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.say(MADS, "Mit første svar")
    await chat.expect(MADS, "Spørgsmål 2 af 3")


# ---- Teams ----------------------------------------------------------------------------
def teams_unsigned(rng: random.Random, teams: FakeTeams, n: int) -> list[tuple[str, Any, str | None, bool]]:
    cases = []
    for i in range(n):
        activity: Any = rng.choice([teams.message(teams_id(LISE), "hjælp"), deep(rng, 500).encode(), b"\xff"])
        token = rng.choice(
            [
                None,
                "not-a-jwt",
                teams.token(None, audience="11111111-2222-3333-4444-555555555555"),
                teams.token(None, algorithm="none"),
            ]
        )
        cases.append((f"unsigned #{i}", activity, token, token is not None))
    return cases


def teams_malformed(rng: random.Random, teams: FakeTeams, n: int) -> list[tuple[str, bytes, int]]:
    valid = json.dumps(teams.message(teams_id(LISE), "hej"))
    makers: list[Callable[[], bytes]] = [
        lambda: bytes(rng.randrange(128, 256) for _ in range(rng.randrange(1, 40))),
        lambda: valid.encode()[:-1] + b"\xff}",
        lambda: valid[: rng.randrange(1, len(valid) - 1)].encode(),
        lambda: rng.choice([b"[]", b"5", b'"x"', b"null", b"[{}]", b""]),
        lambda: deep(rng, rng.choice([70, 200, 5000, 100_000])).encode(),
        lambda: valid.replace('"hej"', rng.choice(['"\\ud800"', '"a\\udc00b"', '"\\u0000"'])).encode(),
        lambda: valid.replace('"hej"', rng.choice(["NaN", "Infinity", "1e400"])).encode(),
        lambda: json.dumps(json.loads(valid) | {"value": json.loads(deep(rng, 80))}).encode(),
    ]
    cases = [(f"malformed #{i}", rng.choice(makers)(), 400) for i in range(n)]
    cases.append(("too large", b'{"text": "' + b"x" * 1_100_000 + b'"}', 413))
    return cases


def teams_ignored(rng: random.Random, teams: FakeTeams, n: int) -> list[tuple[str, dict[str, Any]]]:
    """Signed activities with odd types where the bot reads who and where: nothing to answer."""
    odd = [5, -1, 10**30, 1.5, True, None, [], [1, "x"], "", "x" * 300, {"a": [None]}]
    cases = []
    for i in range(n):
        activity = teams.message(teams_id(LISE), "hjælp")
        change = rng.randrange(7)
        if change == 0:
            activity["from"] = rng.choice([*odd, {"id": rng.choice(odd)}])
        elif change == 1:
            activity["conversation"] = rng.choice([*odd, {"id": rng.choice(odd)}])
        elif change == 2:
            activity["type"] = rng.choice([*odd, "unknown"])
        elif change == 3:
            activity["text"] = rng.choice([o for o in odd if not isinstance(o, str)])
        elif change == 4:  # a press whose action or data is not ours
            activity = teams.press(teams_id(LISE), teams.conversation_of(teams_id(LISE)), "1", "dialog:resume", {})
            activity["value"] = rng.choice(
                [
                    *odd,
                    {"action": rng.choice(odd)},
                    {"action": {"verb": rng.choice(odd), "data": {}}},
                    {"action": {"verb": "dialog:resume", "data": {"value": [1]}}},
                    {"action": {"verb": "dialog:resume", "data": {"value": {"a": 1}}}},
                ]
            )
        elif change == 5:  # Action.Submit with an action that is no verb
            activity["value"] = {"action": rng.choice([5, [1], {"a": 1}, True])}
        else:  # a bot (the bot's own words never come back; another bot's are not a person's), or no one
            activity["from"] = {"id": teams_id(LISE), "role": "bot"} if rng.random() < 0.5 else {"name": "Lise"}
        cases.append((f"ignored #{i} (change {change})", activity))
    return cases


def teams_odd_extras(rng: random.Random, teams: FakeTeams, n: int) -> list[tuple[str, dict[str, Any]]]:
    """From a real person, with odd values where the bot reads only extras, or numbers no record has."""
    odd = [5, 10**30, True, None, [], [1, "x", None], "x" * 300, {"a": 1}]
    cases = []
    for i in range(n):
        activity = teams.message(
            teams_id(LISE),
            rng.choice(
                [
                    "hjælp",
                    f"eksport {HUGE}",
                    f"kollega {HUGE}",
                    f"kollega 1 {HUGE}",
                    f"klinisk {HUGE}",
                    "mine 99999999999",
                ]
            ),
        )
        key = rng.choice(
            [
                "entities",
                "membersAdded",
                "channelData",
                "locale",
                "localTimezone",
                "recipient",
                "id",
                "replyToId",
                "value",
                "textFormat",
            ]
        )
        activity[key] = rng.choice(
            [
                *odd,
                [{"type": "mention", "mentioned": rng.choice(odd)}],
                [{"type": "clientInfo", "locale": rng.choice(odd)}],
            ]
        )
        if rng.random() < 0.3:
            activity = teams.press(
                teams_id(LISE),
                teams.conversation_of(teams_id(LISE)),
                "1",
                rng.choice(ACTIONS),
                {"value": rng.choice(ODD_NUMBERS), "posted": 10**30},
            )
        cases.append((f"odd extras #{i} ({key})", activity))
    return cases


async def test_malformed_teams_activities_are_refused_or_ignored_and_nothing_breaks(teams_chat: TeamsChat) -> None:
    bot, teams, rng = teams_chat.bot, teams_chat.teams, random.Random(SEED)
    sent_before = sum(len(teams.calls_of(op)) for op in TEAMS_SENDS)
    queued_before = await queued(bot)
    results: list[tuple[str, int, int]] = []
    for what, activity, token, signed in teams_unsigned(rng, teams, 30):
        results.append((what, 401, (await bot.post(activity, token=token, signed=signed)).status_code))
    for what, body, expected in teams_malformed(rng, teams, 80):
        results.append((what, expected, (await bot.post(body)).status_code))
    for what, activity in teams_ignored(rng, teams, 80):
        results.append((what, 200, (await bot.post(activity)).status_code))
    assert [w for w, _, status in results if status >= 500] == []
    assert [(w, e, s) for w, e, s in results if e != s] == []
    await teams_chat.settle()
    await no_failures(bot)
    assert await queued(bot) == queued_before
    assert sum(len(teams.calls_of(op)) for op in TEAMS_SENDS) == sent_before

    answered = [(what, (await bot.post(activity)).status_code) for what, activity in teams_odd_extras(rng, teams, 50)]
    assert [(w, s) for w, s in answered if s != 200] == []
    await teams_chat.settle()
    await no_failures(bot)

    await teams_chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await teams_chat.expect(MADS, "Spørgsmål 1 af 3")
    await teams_chat.say(MADS, "Mit første svar")
    await teams_chat.expect(MADS, "Spørgsmål 2 af 3")
