"""Slack in many workspaces, end to end: the app installed in two workspaces through "Add to
Slack" (OAuth v2 against the stand-in's `oauth.v2.access`), a contract in each, every post
with its own workspace's token, no one seeing the other workspace, and an uninstall that
stops the sends there and keeps the rows."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlmodel import SQLModel

from bot.settings import Settings
from bot.storage.db import _driver_url
from tests.e2e.harness import SECRET, Chat, FakeClock, RunningApp
from tests.fakes import slack_signing as signing
from tests.fakes.slack_api import FakeSlack, dm_channel_id
from tests.support.server import LoopbackServer

T1, T2 = "T0AARHUS", "T0ODENSE"
LISE, MADS = "ULISE", "UMADS"  # Aarhus: a leader and her employee
KIRA, BO = "UKIRA", "UBO"  # Odense: the same
TEAM_OF = {LISE: T1, MADS: T1, KIRA: T2, BO: T2}
STATE_COOKIE = "slack-app-oauth-state"
CPH = ZoneInfo("Europe/Copenhagen")


@dataclass
class WorkspacesBot(RunningApp):
    """The bot with the app's client id and secret and no bot token: many workspaces."""

    database_url: str
    slack: FakeSlack
    clock: FakeClock
    server: LoopbackServer | None = None
    http: httpx.AsyncClient = field(default_factory=lambda: httpx.AsyncClient(timeout=10))

    def settings(self) -> Settings:
        return Settings(
            _env_file=None,
            database_url=self.database_url,
            slack_client_id=self.slack.client_id,
            slack_client_secret=self.slack.client_secret,
            slack_signing_secret=SECRET,
            slack_api_url=self.slack.api_url,
            clock_interval_seconds=3600,
        )

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url

    async def post(
        self,
        body: str,
        *,
        content_type: str,
        headers: dict[str, str] | None = None,
        signed: bool = True,
        timestamp: int | None = None,
    ) -> httpx.Response:
        all_headers = signing.request_headers(
            body, SECRET, content_type, extra=headers, signed=signed, timestamp=timestamp
        )
        return await self.http.post(f"{self.url}/slack/events", content=body, headers=all_headers)

    # ---- "Add to Slack", as a browser does it ---------------------------------------------
    async def install_page(self, language: str = "da-DK,da;q=0.9,en;q=0.5") -> httpx.Response:
        return await self.http.get(f"{self.url}/slack/install", headers={"Accept-Language": language})

    async def redirect(self, code: str, state: str, cookie: str | None) -> httpx.Response:
        # The state cookie is Secure: a browser sends it back over HTTPS; here it is given by hand.
        headers = {"Cookie": f"{STATE_COOKIE}={cookie}"} if cookie is not None else {}
        return await self.http.get(
            f"{self.url}/slack/oauth_redirect", params={"code": code, "state": state}, headers=headers
        )

    async def install(self, team: str) -> httpx.Response:
        """The install round trip: the page, "Allow" at Slack, back to the redirect."""
        state, cookie = state_of(await self.install_page())
        return await self.redirect(self.slack.authorization_code(team), state, cookie)


def state_of(page: httpx.Response) -> tuple[str, str]:
    """The state in the page's link to Slack, and the cookie set for it."""
    link = re.search(r'href="(https://slack\.com/oauth/v2/authorize\?[^"]+)"', page.text)
    assert link, page.text
    query = parse_qs(urlparse(link.group(1).replace("&amp;", "&")).query)
    cookie = re.search(rf"{STATE_COOKIE}=([^;]+)", page.headers.get("set-cookie", ""))
    assert cookie, page.headers
    return query["state"][0], cookie.group(1)


class WorkspacesChat(Chat):
    """The chat driver with each person's requests coming from their own workspace."""

    bot: WorkspacesBot  # type: ignore[assignment]

    def team(self, user: str) -> str:
        return TEAM_OF[user]

    def tokens_to(self, user: str) -> set[str]:
        """The bot tokens of every post into the user's DM."""
        return {
            c.headers["authorization"].removeprefix("Bearer ")
            for c in self.slack.calls_of("chat.postMessage", include_failed=True)
            if dm_channel_id(str(c.args.get("channel"))) == dm_channel_id(user)
        }


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    server = LoopbackServer(fake.app)
    fake.base_url = await server.start()
    yield fake
    await server.stop()


@pytest.fixture
async def bot(database_url: str, slack: FakeSlack) -> AsyncIterator[WorkspacesBot]:
    running = WorkspacesBot(database_url=database_url, slack=slack, clock=FakeClock())
    await running.start()
    yield running
    await running.stop()
    await running.http.aclose()


@pytest.fixture
def tokens(slack: FakeSlack) -> dict[str, str]:
    return {T1: slack.add_workspace(T1, "Aarhus Kommune"), T2: slack.add_workspace(T2, "Odense Kommune")}


@pytest.fixture
async def chat(bot: WorkspacesBot, slack: FakeSlack, tokens: dict[str, str]) -> WorkspacesChat:
    c = WorkspacesChat(bot)  # type: ignore[arg-type]
    for user, name in ((LISE, "Lise"), (MADS, "Mads"), (KIRA, "Kira"), (BO, "Bo")):
        slack.add_user(user, name, team=TEAM_OF[user])
    for team in (T1, T2):
        assert (await bot.install(team)).status_code == 200
    return c


def rows(bot: WorkspacesBot, table: str, **where: Any) -> list[dict[str, Any]]:
    engine = create_engine(_driver_url(bot.database_url, asynchronous=False))
    try:
        t = SQLModel.metadata.tables[table]
        with engine.connect() as connection:
            return [
                dict(r._mapping) for r in connection.execute(select(t).where(*(t.c[k] == v for k, v in where.items())))
            ]
    finally:
        engine.dispose()


# ---- installing -----------------------------------------------------------------------------
async def test_add_to_slack_installs_the_app_in_a_workspace(bot: WorkspacesBot, slack: FakeSlack) -> None:
    token = slack.add_workspace(T1, "Aarhus Kommune")
    page = await bot.install_page()
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "Tilføj til Slack" in page.text and 'lang="da"' in page.text
    state, cookie = state_of(page)
    link = parse_qs(urlparse(re.search(r'href="([^"]+)"', page.text).group(1).replace("&amp;", "&")).query)  # type: ignore[union-attr]
    assert link["client_id"] == [slack.client_id]
    assert set(link["scope"][0].split(",")) >= {"chat:write", "commands", "users:read", "im:history"}
    assert rows(bot, "slack_bots") == []

    done = await bot.redirect(slack.authorization_code(T1, installer="UADMIN"), state, cookie)
    assert done.status_code == 200, done.text
    assert "Læringsbot er nu installeret i Aarhus Kommune" in done.text
    (exchange,) = slack.calls_of("oauth.v2.access")
    assert exchange.args["code"]
    (installed,) = rows(bot, "slack_bots")
    assert (installed["team_id"], installed["bot_token"], installed["team_name"]) == (T1, token, "Aarhus Kommune")
    # Nothing of the person who pressed "Allow" is kept.
    assert [r["user_id"] for r in rows(bot, "slack_installations")] == [""]
    # The state was used: the same redirect again is refused.
    again = await bot.redirect(slack.authorization_code(T1), state, cookie)
    assert again.status_code == 401 and "Linket er udløbet eller er allerede brugt" in again.text


async def test_the_install_page_in_english_when_the_browser_prefers_it(bot: WorkspacesBot) -> None:
    page = await bot.install_page("en-GB,en;q=0.9,da;q=0.3")
    assert "Add to Slack" in page.text and "Tilføj" not in page.text and 'lang="en"' in page.text


@pytest.mark.parametrize("case", ["unknown state", "another browser", "expired"])
async def test_a_wrong_or_expired_state_installs_nothing(bot: WorkspacesBot, slack: FakeSlack, case: str) -> None:
    slack.add_workspace(T1, "Aarhus Kommune")
    state, cookie = state_of(await bot.install_page())
    if case == "unknown state":  # a forged redirect: its state was never issued
        response = await bot.redirect(slack.authorization_code(T1), "forged", "forged")
        assert response.status_code == 401
    elif case == "another browser":  # the state, but not the browser that began
        response = await bot.redirect(slack.authorization_code(T1), state, None)
        assert response.status_code == 400
    else:  # eleven minutes at Slack's consent page: the state lasts ten
        bot.clock.advance(minutes=11)
        response = await bot.redirect(slack.authorization_code(T1), state, cookie)
        assert response.status_code == 401
    assert "Installationen lykkedes ikke" in response.text and "Linket er udløbet" in response.text
    assert slack.calls_of("oauth.v2.access") == []  # the code was never exchanged
    assert rows(bot, "slack_bots") == []


# ---- two workspaces ---------------------------------------------------------------------------
async def start_contracts(chat: WorkspacesChat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Lise har startet en læringskontrakt med dig om *ABC Demens*")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.command(KIRA, "kontrakt <@UBO|bo> Forflytning")
    await chat.expect(BO, "Kira har startet en læringskontrakt med dig om *Forflytning*")
    await chat.expect(BO, "Spørgsmål 1 af 3")


async def test_two_workspaces_each_run_a_contract_with_their_own_token(
    chat: WorkspacesChat, tokens: dict[str, str]
) -> None:
    await start_contracts(chat)
    for user, answer in ((MADS, "Viden om demenstyper"), (BO, "Sikre forflytninger")):
        await chat.say(user, answer)
        await chat.expect(user, "Spørgsmål 2 af 3")
    await chat.settle()
    for user in (LISE, MADS):
        assert chat.tokens_to(user) == {tokens[T1]}
    for user in (KIRA, BO):
        assert chat.tokens_to(user) == {tokens[T2]}
    # Each person was read with their own workspace's token, and belongs to it.
    people = {r["external_id"]: r["team_id"] for r in rows(chat.bot, "person")}
    assert people == TEAM_OF
    assert {r["team_id"] for r in rows(chat.bot, "outboxmessage") if r["person_id"]} == {T1, T2}


async def test_no_one_sees_the_other_workspace(chat: WorkspacesChat) -> None:
    await start_contracts(chat)
    await chat.command(LISE, "mine")
    mine = await chat.expect(LISE, "ABC Demens")
    assert "Forflytning" not in mine and "Bo" not in mine and "Kira" not in mine
    await chat.command(KIRA, "mine")
    mine = await chat.expect(KIRA, "Forflytning")
    assert "ABC Demens" not in mine and "Mads" not in mine and "Lise" not in mine
    # Kira names Mads, of the other workspace, whom the bot has met there: he is no one here.
    before = len(chat.texts(MADS))
    await chat.command(KIRA, "kontrakt <@UMADS|mads> Hygiejne")
    await chat.expect(KIRA, "Jeg kan ikke finde brugeren UMADS")
    await chat.settle()
    assert len(chat.texts(MADS)) == before
    assert not [r for r in rows(chat.bot, "contract") if "Hygiejne" in r["title"]]


# ---- uninstalling --------------------------------------------------------------------------
def revocation(kind: str, team: str) -> str:
    event: dict[str, Any] = {"type": kind, "event_ts": "1700000000.000100"}
    if kind == "tokens_revoked":
        event["tokens"] = {"oauth": [], "bot": ["UBOT"]}
    return signing.event_body(event, team_id=team)


@pytest.mark.parametrize("kind", ["app_uninstalled", "tokens_revoked"])
async def test_an_uninstall_stops_the_sends_there_and_keeps_the_rows(
    chat: WorkspacesChat, slack: FakeSlack, tokens: dict[str, str], kind: str
) -> None:
    await start_contracts(chat)
    await chat.settle()
    response = await chat.bot.post(revocation(kind, T2), content_type="application/json")
    assert response.status_code == 200
    slack.uninstall(T2)
    assert [r["team_id"] for r in rows(chat.bot, "slack_bots")] == [T1]  # Odense's token is gone

    # Days later both employees are reminded of their unanswered questions: in Aarhus they are.
    calls_before = len(slack.calls)
    chat.bot.clock.advance(days=5)
    await chat.bot.tick()
    await chat.expect(MADS, "Mads", "ABC Demens")
    await chat.settle()
    since = slack.calls[calls_before:]
    assert since and not [c for c in since if c.headers.get("authorization") == f"Bearer {tokens[T2]}"]
    # Odense's rows are kept: its people, its contract, and the reminder that could not go, with why.
    assert {r["external_id"] for r in rows(chat.bot, "person", team_id=T2)} == {KIRA, BO}
    assert [r["title"] for r in rows(chat.bot, "contract") if "Forflytning" in r["title"]]
    unsent = [r for r in rows(chat.bot, "outboxmessage", team_id=T2) if r["status"] == "failed"]
    assert unsent and all("not installed" in r["last_error"] for r in unsent)
    # A request that claims to come from Odense now is not taken in.
    inbox_before = len(rows(chat.bot, "inboxevent"))
    await chat.say(BO, "Sikre forflytninger")
    assert len(rows(chat.bot, "inboxevent")) == inbox_before


# ---- at the server --------------------------------------------------------------------------
async def test_check_config_asks_each_installed_workspace(
    chat: WorkspacesChat, slack: FakeSlack, tmp_path: Path
) -> None:
    from tests.e2e.test_ops_admin import laeringsbot

    env = {
        "DATABASE_URL": chat.bot.database_url,
        "SLACK_CLIENT_ID": slack.client_id,
        "SLACK_CLIENT_SECRET": slack.client_secret,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
        "PUBLIC_URL": "https://laeringsbot.kommune.dk",
    }
    code, out, err = await laeringsbot("check-config", cwd=tmp_path, **env)
    assert code == 0, out + err
    assert "ok    slack: many workspaces, 2 installed: Aarhus Kommune (T0AARHUS), Odense Kommune (T0ODENSE)" in out
    assert "install at https://laeringsbot.kommune.dk/slack/install" in out
    slack.uninstall(T2)  # its token revoked without the bot hearing of it
    code, out, _ = await laeringsbot("check-config", cwd=tmp_path, **env)
    assert code == 1
    assert (
        "FAIL  slack: 1 of 2 workspaces: Odense Kommune (T0ODENSE): Slack refused the bot token: token_revoked" in out
    )
    del env["SLACK_CLIENT_SECRET"]
    code, out, _ = await laeringsbot("check-config", cwd=tmp_path, **env)
    assert "FAIL  slack: many workspaces need SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET" in out


async def test_an_administrator_sees_the_contracts_of_their_own_workspace(
    chat: WorkspacesChat, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADMIN_USER_IDS", f"{LISE},{KIRA}")
    await chat.bot.restart()
    await start_contracts(chat)
    await chat.command(KIRA, "admin status")
    status = await chat.expect(KIRA, "Status for læringskontrakter")
    assert "I alt 1 kontrakter" in status
    (csv_file,) = await slack.wait_for(lambda s: s.files_to(KIRA))
    text = (csv_file.data or b"").decode("utf-8-sig")
    assert "Forflytning" in text and "ABC Demens" not in text and "Mads" not in text


async def test_a_learning_meeting_runs_in_its_workspaces_channel_with_its_token(
    chat: WorkspacesChat, slack: FakeSlack, tokens: dict[str, str]
) -> None:
    """Odense's meeting: its channel's posts with Odense's token, and an action that names
    Mads of Aarhus is Kira's own (he is no one there)."""
    channel = "C0ODENSETEAM"
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")  # Mads is someone in Aarhus
    await chat.expect(MADS, "Spørgsmål 1 af 3")

    async def at(moment: datetime) -> None:
        chat.bot.clock.set(moment)
        await chat.bot.tick()
        await chat.settle()

    await at(datetime(2027, 1, 1, 10, 0, tzinfo=CPH))
    await chat.post_in_channel(KIRA, channel, "møde tirsdag 09:00 <@UBO|bo>")
    await chat.expect_in_channel(channel, "Kira har oprettet en serie")
    await at(datetime(2027, 1, 4, 9, 0, 30, tzinfo=CPH))
    await chat.expect_in_channel(channel, "Læringsmøde 5. januar 2027 kl. 09:00", "[Jeg har en case]")
    await chat.click_in_channel(BO, channel, "Jeg har en case")
    await chat.settle()
    await chat.expect(BO, "Hvad handler den om?")
    await chat.say(BO, "En svær forflytning")
    await at(datetime(2027, 1, 5, 9, 0, 10, tzinfo=CPH))
    await chat.expect_in_channel(channel, "1. Casen præsenteres – 5 min")
    for moment in ((9, 6), (9, 16), (9, 18), (9, 26)):  # each step runs out on the clock
        await at(datetime(2027, 1, 5, *moment, tzinfo=CPH))
    await chat.expect_in_channel(channel, "5. Fælles refleksion og tiltag – 5 min", "[Tilføj tiltag]")
    await chat.click_in_channel(KIRA, channel, "Tilføj tiltag")
    await chat.settle()
    await chat.expect(KIRA, "Hvilket tiltag vil I sætte i gang?")
    await chat.say(KIRA, "Ny plan for forflytninger <@UMADS|mads>")
    await chat.settle()
    await chat.expect(KIRA, "Tiltaget er noteret: Ny plan for forflytninger", "(ansvarlig: Kira)")
    posts = [c for c in slack.calls_of("chat.postMessage", include_failed=True) if c.args.get("channel") == channel]
    assert posts and {c.headers["authorization"] for c in posts} == {f"Bearer {tokens[T2]}"}
    assert [r["team_id"] for r in rows(chat.bot, "meetingseries")] == [T2]


async def test_the_contract_form_opens_and_starts_with_the_workspaces_token(
    chat: WorkspacesChat, slack: FakeSlack, tokens: dict[str, str]
) -> None:
    """`/laering kontrakt` alone opens the modal with Kira's workspace's token; picking Mads of
    the other workspace in it starts nothing; picking Bo starts the contract."""
    from tests.e2e.test_elearning_form_slack import fill

    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")  # Mads is someone in Aarhus
    await chat.expect(MADS, "Spørgsmål 1 af 3")

    async def open_form(trigger: str) -> dict[str, Any]:
        body = signing.slash_command_body(
            text="kontrakt",
            user_id=KIRA,
            channel_id="DKIRA",
            team_id=T2,
            response_url=slack.response_url(user=KIRA),
            trigger_id=trigger,
        )
        before = len(slack.views)
        assert (await chat.bot.post(body, content_type="application/x-www-form-urlencoded")).status_code == 200
        await slack.wait_for(lambda fake: len(fake.views) > before)
        assert slack.calls_of("views.open")[-1].headers["authorization"] == f"Bearer {tokens[T2]}"
        return slack.views[-1]

    async def submit(employee: str) -> None:
        view = await open_form(f"trigger-{employee}")
        values = fill(view, employee=employee, course="Hygiejne")
        submission = signing.view_submission_body(KIRA, view, values, team_id=T2)
        response = await chat.bot.post(submission, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 200, response.text

    await submit(MADS)
    await chat.expect(KIRA, "Jeg kan ikke finde brugeren UMADS")
    assert not [r for r in rows(chat.bot, "contract") if r["title"] == "Hygiejne"]
    assert not any("Hygiejne" in t for t in chat.texts(MADS))
    await submit(BO)
    await chat.expect(BO, "Kira har startet en læringskontrakt med dig om *Hygiejne*")
    assert chat.tokens_to(BO) == {tokens[T2]}
