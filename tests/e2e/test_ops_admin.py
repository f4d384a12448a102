"""An operator at the server: `laeringsbot outbox list|retry|drop` on the database of a running
bot, and `laeringsbot check-config` against stand-ins of Slack and Microsoft's token endpoint.
The commands run as child processes, as an operator runs them."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from sqlmodel import col, select

from bot.storage.models import OutboxMessage
from tests.e2e.harness import SECRET, TOKEN, Chat
from tests.fakes.slack_api import FakeSlack
from tests.fakes.teams_api import APP_ID, APP_PASSWORD, TENANT_ID, FakeTeams
from tests.ops.support import environment

LISE, MADS = "ULISE", "UMADS"


async def laeringsbot(*args: str, cwd: Path, **settings: str) -> tuple[int, str, str]:
    """The CLI in a child process, without blocking this loop (the stand-ins run in it)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        cwd=cwd,
        env=environment(**settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def rows(chat: Chat, *statuses: str) -> list[OutboxMessage]:
    async with chat.bot.runtime.db.transaction() as s:
        query = select(OutboxMessage).order_by(col(OutboxMessage.id))
        if statuses:
            query = query.where(col(OutboxMessage.status).in_(statuses))
        return list((await s.exec(query)).all())


async def test_a_message_slack_refused_is_listed_sent_again_or_dropped(chat: Chat, tmp_path: Path) -> None:
    url = chat.bot.database_url
    chat.slack.fail_next("chat.postMessage", 200, error="channel_not_found")
    await chat.command(LISE, "kontrakt <@UMADS|mads> Hemmeligt Kursus")
    await chat.settle()
    [failed] = await rows(chat, "failed")
    assert failed.last_error == "slack channel_not_found"

    code, out, _ = await laeringsbot("outbox", "list", cwd=tmp_path, DATABASE_URL=url)
    assert code == 0
    [header, line] = out.splitlines()
    assert header.split()[:5] == ["id", "status", "platform", "kind", "tries"]
    assert line.split()[:4] == [str(failed.id), "failed", "slack", failed.kind]
    assert line.endswith("/  slack channel_not_found") and ("Lise" in line or "Mads" in line)
    assert "Hemmeligt" not in out  # who and why, never what it said

    sent_before = len([c for c in chat.slack.calls_of("chat.postMessage") if not c.failed])
    code, out, _ = await laeringsbot("outbox", "retry", str(failed.id), cwd=tmp_path, DATABASE_URL=url)
    assert code == 0 and out.strip() == f"{failed.id}: will be sent again now (was failed)"
    for _ in range(100):  # the running bot's dispatcher finds it within a second
        if [r.status for r in await rows(chat) if r.id == failed.id] == ["sent"]:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the message was not sent again")
    assert len([c for c in chat.slack.calls_of("chat.postMessage") if not c.failed]) == sent_before + 1

    # Slack rate-limits Mads' DM for an hour: the next question waits, and the operator gives it up.
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    chat.slack.fail_next("chat.postMessage", 429, retry_after=3600)
    await chat.say(MADS, "Viden om demenstyper")
    await chat.settle()
    [waiting] = await rows(chat, "pending", "sending")
    code, out, _ = await laeringsbot("outbox", "list", cwd=tmp_path, DATABASE_URL=url)
    assert [line.split()[:5] for line in out.splitlines()[1:]] == [[str(waiting.id), "pending", "slack", "post", "1"]]
    code, out, _ = await laeringsbot(
        "outbox", "drop", str(waiting.id), str(failed.id), "999999", cwd=tmp_path, DATABASE_URL=url
    )
    assert code == 0
    assert out.splitlines() == [
        f"{waiting.id}: dropped (was pending); it will not be sent",
        f"{failed.id}: already sent; left as it is",
        "999999: no such message",
    ]
    [dropped] = [r for r in await rows(chat) if r.id == waiting.id]
    assert dropped.status == "failed" and dropped.last_error is not None
    assert dropped.last_error.startswith("dropped by an operator at ") and "slack 429" in dropped.last_error
    code, out, _ = await laeringsbot("outbox", "retry", "--all-failed", cwd=tmp_path, DATABASE_URL=url)
    assert out.strip() == "no failed messages"  # a dropped message is not failed for --all-failed
    chat.bot.clock.advance(hours=2)
    await chat.settle()
    assert chat.count(MADS, "Spørgsmål 2 af 3") == 0  # never sent


def slack_env(slack: FakeSlack, database_url: str, token: str = TOKEN) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "SLACK_BOT_TOKEN": token,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": slack.api_url,
    }


async def test_check_config_says_ok_for_each_part_of_a_working_setup(
    database_url: str, slack: FakeSlack, teams: FakeTeams, tmp_path: Path
) -> None:
    teams_env = {
        "MICROSOFT_APP_ID": APP_ID,
        "MICROSOFT_APP_PASSWORD": APP_PASSWORD,
        "MICROSOFT_APP_TENANT_ID": TENANT_ID,
        "TEAMS_TOKEN_URL": teams.token_url,
    }
    code, out, err = await laeringsbot("check-config", cwd=tmp_path, **slack_env(slack, database_url), **teams_env)
    assert code == 0, out + err
    verdicts = {line.split()[1].rstrip(":"): line.split()[0] for line in out.splitlines()[:-1]}
    assert verdicts == {"database": "ok", "dialogs": "ok", "slack": "ok", "teams": "ok"}, out
    assert "workspace" in out and "the schema is at head" in out and "requests: POST /slack/events" in out
    assert out.splitlines()[-1] == "0 problems"
    assert len(slack.calls_of("auth.test")) == 1 and len(teams.calls_of("token")) == 1
    assert "HTTP Request" not in err  # httpx's line per request is quiet at the default level


async def test_check_config_says_what_is_wrong_with_each(
    database_url: str, slack: FakeSlack, teams: FakeTeams, tmp_path: Path
) -> None:
    (tmp_path / "dialogs").mkdir()  # empty: no flows, no messages
    code, out, _ = await laeringsbot(
        "check-config",
        cwd=tmp_path,
        **slack_env(slack, database_url, token="xoxb-revoked"),
        DIALOGS_DIR=str(tmp_path / "dialogs"),
        MICROSOFT_APP_ID=APP_ID,
        MICROSOFT_APP_PASSWORD="wrong",
        TEAMS_TOKEN_URL=teams.token_url,
    )
    assert code == 1
    lines = out.splitlines()
    assert "FAIL  slack: refused: Slack refused the bot token: invalid_auth" in lines
    assert any(line.startswith("FAIL  teams: refused: the token endpoint refused") for line in lines), out
    assert any(line.startswith(f"FAIL  dialogs: {tmp_path / 'dialogs'}") for line in lines), out
    assert lines[-1] == "3 problems: dialogs, slack, teams"

    # The database away (its password is not printed), Slack not answering.
    slack.fail_next("auth.test", 503)
    code, out, _ = await laeringsbot(
        "check-config",
        cwd=tmp_path,
        **slack_env(slack, "postgresql://laeringsbot:s3cret@127.0.0.1:1/laeringsbot"),
    )
    assert code == 1
    assert "FAIL  database: postgresql://laeringsbot:***@127.0.0.1:1/laeringsbot cannot be reached" in out
    assert "s3cret" not in out
    assert "FAIL  slack: no answer: Slack answered 503" in out
    assert "skip  teams: MICROSOFT_APP_ID is not set" in out


async def test_an_operator_exports_and_erases_someone_who_has_left(chat: Chat, tmp_path: Path) -> None:
    """`laeringsbot person export|erase`: the same files and erasure as mine-data and
    slet-mine-data, for Mads, who can no longer use the chat; Lise, left in the contract, is told."""
    from sqlmodel import select as select_

    from bot.storage.models import Answer, Person

    url = chat.bot.database_url
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.say(MADS, "Mads vil kende demenstyperne")
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    await chat.say(MADS, "Bruge det i morgenplejen")
    await chat.expect(MADS, "Spørgsmål 3 af 3")
    await chat.say(MADS, "Sparring med Anna")
    await chat.click(MADS, "Send")
    await chat.settle()

    code, out, err = await laeringsbot(
        "person", "export", "slack", MADS, "--out", "files", cwd=tmp_path, DATABASE_URL=url
    )
    assert code == 0, err
    data = (tmp_path / "files" / f"laeringsbot-slack-{MADS}.json").read_text(encoding="utf-8")
    markdown = (tmp_path / "files" / f"laeringsbot-slack-{MADS}.md").read_text(encoding="utf-8")
    assert '"display_name": "Mads"' in data and "Mads vil kende demenstyperne" in data
    assert markdown.startswith("# Dine data i Læringsbot") and "ABC Demens" in markdown
    code, _, err = await laeringsbot("person", "export", "slack", "UNOBODY", cwd=tmp_path, DATABASE_URL=url)
    assert code == 1 and "No one is stored as slack UNOBODY" in err

    code, out, _ = await laeringsbot("person", "erase", "slack", MADS, cwd=tmp_path, DATABASE_URL=url)
    assert code == 2 and "--yes" in out  # asked first
    code, out, err = await laeringsbot("person", "erase", "slack", MADS, "--yes", cwd=tmp_path, DATABASE_URL=url)
    assert code == 0, err
    await chat.settle()  # the running bot sends what the erasure wrote
    await chat.expect(LISE, "har slettet sine data i Læringsbot, så kontrakten er stoppet")
    async with chat.bot.runtime.db.transaction() as s:
        mads = (await s.exec(select_(Person).where(Person.display_name == "slettet bruger"))).one()
        assert mads.deleted_at is not None and mads.external_id.startswith("deleted:")
        assert (await s.exec(select_(Answer).where(Answer.person_id == mads.id))).all() == []
    code, _, err = await laeringsbot("person", "erase", "slack", MADS, "--yes", cwd=tmp_path, DATABASE_URL=url)
    assert code == 1 and "erased already" in err  # once
