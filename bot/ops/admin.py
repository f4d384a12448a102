"""An operator's commands at the server: `laeringsbot outbox list|retry|drop` and
`laeringsbot check-config`.

The outbox commands work on the database while the bots run: a row put back (`retry`) is
found by a running instance within a second (its dispatcher looks for due rows), and a
row given up (`drop`) is finished as failed, as the bot itself finishes a message the
platform refused, so an update waiting for it is given up too. They show who a message
was for and why it failed, never what it said.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import and_, or_, update
from sqlalchemy.engine import make_url
from sqlmodel import col, select

from bot.flows.context import Texts
from bot.ops import credentials
from bot.settings import Settings
from bot.storage import schema
from bot.storage.db import Database
from bot.storage.models import OutboxMessage, Person, table_of

UNSENT = ("pending", "sending")
DROPPED = "dropped by an operator"


def _now() -> datetime:
    return datetime.now(UTC)


def _short(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


# ---- outbox ---------------------------------------------------------------------------------
async def outbox_list(settings: Settings, *, everything: bool, limit: int) -> list[str]:
    """Failed messages and those that have failed at least once and wait for another try;
    with `everything`, every message not sent yet."""
    db = Database(settings.database_url)
    try:
        async with db.transaction() as s:
            query = select(OutboxMessage, Person.display_name).join(
                Person, col(Person.id) == col(OutboxMessage.person_id), isouter=True
            )
            if everything:
                query = query.where(col(OutboxMessage.status).in_((*UNSENT, "failed")))
            else:
                query = query.where(
                    or_(
                        col(OutboxMessage.status) == "failed",
                        and_(col(OutboxMessage.status).in_(UNSENT), col(OutboxMessage.attempts) > 0),
                    )
                )
            rows = (await s.exec(query.order_by(col(OutboxMessage.id)).limit(limit))).all()
    finally:
        await db.dispose()
    lines = [f"{'id':>7}  {'status':8} {'platform':8} {'kind':7} {'tries':>5}  {'next try (UTC)':19}  to  /  error"]
    for row, name in rows:
        to = name or row.channel or ("a response_url" if row.response_url else row.lane)
        next_try = _short(row.next_attempt_at) if row.status in UNSENT else "-"
        error = (row.last_error or "").replace("\n", " ")[:120]
        lines.append(
            f"{row.id:>7}  {row.status:8} {row.platform:8} {row.kind:7} {row.attempts:>5}  {next_try:19}  {to}"
            + (f"  /  {error}" if error else "")
        )
    if not rows:
        lines.append("(none)")
    return lines


async def outbox_retry(settings: Settings, ids: list[int], *, all_failed: bool = False) -> list[str]:
    """Try the rows again now: failed ones from the start, waiting ones without waiting longer."""
    if all_failed:
        db = Database(settings.database_url)
        try:
            async with db.transaction() as s:
                failed = (
                    await s.exec(
                        select(OutboxMessage.id).where(
                            OutboxMessage.status == "failed", ~col(OutboxMessage.last_error).startswith(DROPPED)
                        )
                    )
                ).all()
        finally:
            await db.dispose()
        ids = [*ids, *(number for number in failed if number is not None)]
    if not ids:
        return ["no failed messages"]
    return await _change(settings, ids, retry=True)


async def outbox_drop(settings: Settings, ids: list[int]) -> list[str]:
    return await _change(settings, ids, retry=False)


async def _change(settings: Settings, ids: list[int], *, retry: bool) -> list[str]:
    db = Database(settings.database_url)
    table = table_of(OutboxMessage)
    lines = []
    try:
        async with db.transaction() as s:
            found = {
                row.id: row
                for row in (
                    await s.exec(select(OutboxMessage).where(col(OutboxMessage.id).in_(ids)).with_for_update())
                ).all()
            }
            connection = await s.connection()
            for number in ids:
                row = found.get(number)
                if row is None:
                    lines.append(f"{number}: no such message")
                elif row.status == "sent":
                    lines.append(f"{number}: already sent; left as it is")
                elif retry:
                    # A row in `sending` stays so: it may have arrived, and is looked for first.
                    values: dict[str, object] = {"next_attempt_at": _now()}
                    if row.status == "failed":
                        values |= {"status": "pending", "attempts": 0}
                    await connection.execute(update(table).where(table.c.id == number).values(**values))
                    lines.append(f"{number}: will be sent again now (was {row.status})")
                elif row.status == "failed" and (row.last_error or "").startswith(DROPPED):
                    lines.append(f"{number}: dropped already")
                else:
                    error = f"{DROPPED} at {_short(_now())} UTC" + (
                        f"; before: {row.last_error}" if row.last_error else ""
                    )
                    await connection.execute(
                        update(table).where(table.c.id == number).values(status="failed", last_error=error[:2000])
                    )
                    lines.append(f"{number}: dropped (was {row.status}); it will not be sent")
    finally:
        await db.dispose()
    return lines


# ---- check-config ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    what: str
    verdict: str  # ok | FAIL | skip
    detail: str

    def line(self) -> str:
        return f"{self.verdict:5} {self.what}: {self.detail}"


def _database_name(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


async def _database(settings: Settings) -> Check:
    name = _database_name(settings.database_url)
    try:
        state = await asyncio.to_thread(schema.state, settings.database_url)
    except Exception as exc:
        return Check("database", "FAIL", f"{name} cannot be reached: {str(exc).splitlines()[0][:200]}")
    if state.behind:
        return Check("database", "FAIL", f"{name}: the schema is {state.describe()}; run `laeringsbot migrate`")
    return Check("database", "ok", f"{name}: the schema is {state.describe()}")


def _dialogs(settings: Settings, load_texts: Callable[[Settings], Texts]) -> Check:
    from bot.core.dialogs import DialogError

    try:
        texts = load_texts(settings)
    except DialogError as exc:
        return Check("dialogs", "FAIL", f"{settings.dialogs_dir} has problems:\n{exc}")
    except Exception as exc:  # a folder that is not there, a file that cannot be read
        return Check("dialogs", "FAIL", f"{settings.dialogs_dir}: {exc!r}")
    return Check(
        "dialogs",
        "ok",
        f"{settings.dialogs_dir}: {len(texts.dialogs)} flows, {len(texts.plans)} education plans, the messages",
    )


async def _platform(settings: Settings, name: str) -> Check:
    verdict = await credentials.check(settings, name)
    if verdict.ok:
        return Check(name, "ok", verdict.detail)
    word = "refused" if verdict.outcome == credentials.REFUSED else "no answer"
    return Check(name, "FAIL", f"{word}: {verdict.detail}")


def _slack_requests(settings: Settings) -> Check:
    if settings.slack_signing_secret and settings.slack_app_token:
        return Check("slack requests", "ok", "POST /slack/events (signing secret) and Socket Mode (app token)")
    if settings.slack_signing_secret:
        return Check("slack requests", "ok", "POST /slack/events, checked with the signing secret")
    if settings.slack_app_token:
        return Check("slack requests", "ok", "Socket Mode (app token)")
    return Check("slack requests", "FAIL", "set SLACK_SIGNING_SECRET (HTTP) or SLACK_APP_TOKEN (Socket Mode)")


async def _slack_workspaces(settings: Settings) -> Check:
    """Many workspaces: each installed workspace's bot token asked with auth.test."""
    from bot.storage.workspaces import InstallationStore

    assert settings.slack_client_id
    db = Database(settings.database_url)
    try:
        store = InstallationStore(settings.slack_client_id, db.engine)
        bots = store.bots
        query = select(bots.c.team_id, bots.c.team_name, bots.c.bot_token).where(
            bots.c.client_id == settings.slack_client_id, bots.c.bot_token.is_not(None)
        )
        async with db.engine.connect() as conn:
            installed = {team: (name, token) for team, name, token in (await conn.execute(query)).all()}
    except Exception as exc:
        return Check("slack", "FAIL", f"the installed workspaces cannot be read: {str(exc).splitlines()[0][:200]}")
    finally:
        await db.dispose()
    install = f"install at {settings.link_base}/slack/install"
    if not installed:
        return Check(
            "slack", "ok", f"many workspaces (client id {settings.slack_client_id}), none installed yet; {install}"
        )
    refused = []
    for team, (name, token) in sorted(installed.items()):
        verdict = await credentials.slack(token, settings.slack_api_url)
        if not verdict.ok:
            refused.append(f"{name} ({team}): {verdict.detail}")
    if refused:
        return Check("slack", "FAIL", f"{len(refused)} of {len(installed)} workspaces: " + "; ".join(refused))
    names = ", ".join(f"{name} ({team})" for team, (name, _) in sorted(installed.items()))
    return Check("slack", "ok", f"many workspaces, {len(installed)} installed: {names}; {install}")


async def check_config(settings: Settings, load_texts: Callable[[Settings], Texts]) -> list[Check]:
    """`load_texts`: bot.app's, as `serve` loads the dialogs (passed in: nothing here imports the app)."""
    checks = [await _database(settings), _dialogs(settings, load_texts)]
    if settings.slack_bot_token:
        checks += [await _platform(settings, "slack"), _slack_requests(settings)]
    elif settings.slack_workspaces:
        checks.append(await _slack_workspaces(settings))
    elif settings.slack_client_id or settings.slack_client_secret:
        checks.append(
            Check("slack", "FAIL", "many workspaces need SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_SIGNING_SECRET")
        )
    else:
        checks.append(Check("slack", "skip", "neither SLACK_BOT_TOKEN nor SLACK_CLIENT_ID is set"))
    if settings.teams_configured:
        checks.append(await _platform(settings, "teams"))
    elif settings.microsoft_app_id or settings.microsoft_app_password:
        checks.append(Check("teams", "FAIL", "set both MICROSOFT_APP_ID and MICROSOFT_APP_PASSWORD"))
    else:
        checks.append(Check("teams", "skip", "MICROSOFT_APP_ID is not set"))
    if settings.serves_playground:
        checks.append(Check("playground", "ok", "served (no platform credentials, or PLAYGROUND=1)"))
    return checks
