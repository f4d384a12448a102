"""`laeringsbot serve | migrate | check-config | check-dialogs | outbox | person | slack-manifest | teams-package`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:
    import uvicorn

    from bot.storage.schema import SchemaState

PLAYGROUND = """\
Læringsbot's playground: open {url} in your browser.
  No Slack or Teams credentials are set, so the bot runs as a local web page
  on {database}. Play every role, and move the clock forward to see reminders.
  For Slack, set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN):
  see README.md, "Running it against Slack".
"""


# argparse's on/off option, by name: tests read every quoted action keyword in bot/ as a button id.
FLAG = "store_true"

BEHIND = """\
The database schema is {state}.
  `laeringsbot serve` does not migrate: run `laeringsbot migrate` first, once per deploy
  (it takes a lock, so instances started together never race). See README.md, "Deploying".
"""


def serve(settings: Settings) -> int:
    import uvicorn

    from bot.app import create_app
    from bot.storage import schema
    from bot.storage.db import is_sqlite, upgrade

    # The playground on its own SQLite file is one local process: it migrates by itself, so the
    # quick start stays one command. Everywhere else migrating is a deploy step of its own.
    if settings.serves_playground and is_sqlite(settings.database_url):
        upgrade(settings.database_url)
    else:
        state = usable_schema(settings)
        if state is None:
            return 3
        if state.verdict == schema.AHEAD:
            logging.getLogger(__name__).warning(
                "the database schema is %s: a newer release migrated it", state.describe()
            )
    app = create_app(settings, check_credentials=True)
    url = f"http://{settings.bot_host}:{settings.port}/"
    if settings.serves_playground:
        print(PLAYGROUND.format(url=url, database=settings.database_url), flush=True)
    platforms = [
        name
        for name, on in (
            ("Slack: POST /slack/events", settings.slack_configured),
            ("Teams: POST /api/messages", settings.teams_configured),
        )
        if on
    ]
    probes = "health: GET /livez, /readyz, /metrics"
    print(f"Læringsbot listens on {url} ({'; '.join([*platforms, probes])})", flush=True)
    # SIGTERM: stop accepting, give requests under way a few seconds, then the lifespan's
    # graceful stop (bot/app.py: sends under way finish, the lanes are handed back).
    # uvicorn's own logging stays off (log_config=None): its lines go through ours (text or
    # JSON), and the access log is bot/ops/logs.py's, which knows the request id and no bodies.
    config = uvicorn.Config(
        app,
        host=settings.bot_host,
        port=settings.port,
        log_level="warning",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    _server(config).run()
    return 0


def _server(config: uvicorn.Config) -> uvicorn.Server:
    """uvicorn's server, ending a graceful stop with exit status 0.

    uvicorn raises the SIGTERM or SIGINT it caught again once it has shut down, so the
    process would end by the signal; a stop that went as planned is a success."""
    import contextlib

    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            with super().capture_signals():
                try:
                    yield
                finally:
                    captured = getattr(self, "_captured_signals", None)
                    if isinstance(captured, list):
                        captured.clear()

    return Server(config)


def migrate(settings: Settings) -> int:
    """Upgrade the database to this version's schema, under a lock (bot/storage/db.py `upgrade`)."""
    from bot.storage import schema
    from bot.storage.db import upgrade

    try:
        before = upgrade(settings.database_url)  # what it found once it held the lock
        after = schema.state(settings.database_url)
    except Exception as exc:
        print(f"Migrating failed: {exc}", file=sys.stderr)
        return 1
    if before == after.current:
        print(f"The database schema is {after.describe()}: nothing to do.")
    else:
        print(f"Migrated the database from {', '.join(sorted(before)) or 'empty'} to {after.describe()}.")
    return 0 if after.verdict != schema.BEHIND else 1


def check_dialogs(settings: Settings) -> int:
    from bot.app import load_texts
    from bot.core.dialogs import DialogError

    try:
        texts = load_texts(settings)
    except DialogError as exc:
        print(f"dialogs/ has problems:\n{exc}", file=sys.stderr)
        return 1
    for dialog in texts.dialogs.values():
        counts = ", ".join(f"{key}: {len(phase.questions)}" for key, phase in dialog.phases.items())
        print(f"ok  {dialog.id}  ({dialog.name.da}; {counts})")
    if texts.agenda is not None:
        minutes = ", ".join(f"{s.key}: {s.minutes or 'rest'}" for s in texts.agenda.steps)
        print(f"ok  meeting  ({texts.agenda.name.da}; {minutes} min)")
    for plan in texts.plans.values():
        print(f"ok  plans/{plan.id}  ({plan.name.da}; {len(plan.competencies)} competencies)")
    print("ok  messages/da.yaml, messages/en.yaml")
    return 0


def slack_manifest(host: str, output: str) -> int:
    from pathlib import Path

    from bot.ops.manifests import ManifestError, slack_manifest as manifest

    try:
        text = manifest(host)
    except ManifestError as exc:
        print(exc, file=sys.stderr)
        return 2
    if output == "-":
        sys.stdout.write(text)
        return 0
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    Path(output).write_text(text, encoding="utf-8")
    print(
        f"Wrote {output}: at https://api.slack.com/apps choose Create New App -> From a manifest, pick the "
        f"workspace and paste it (or, for an existing app, App Manifest -> paste and Save)."
    )
    return 0


def teams_package(settings: Settings, output: str, host: str | None) -> int:
    from pathlib import Path

    from bot.teams.package import PackageError, write

    if not settings.microsoft_app_id:
        print(
            'Set MICROSOFT_APP_ID to the Azure bot\'s app id (README.md, "Running it against Teams").', file=sys.stderr
        )
        return 2
    try:
        path = write(settings.microsoft_app_id, Path(output), host=host)
    except PackageError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(
        f"Wrote {path}: upload it in Teams (Apps → Manage your apps → Upload an app) "
        f"or in the Teams admin center (Teams apps → Manage apps → Upload new app)."
    )
    if host is None:
        print(
            "Its website, privacy and terms links name laeringsbot.example.org: give --host for yours.",
            file=sys.stderr,
        )
    return 0


def usable_schema(settings: Settings) -> SchemaState | None:
    """The database's schema, when it can be used; else None, once the operator is told why
    (it cannot be reached, or it is behind this version: `laeringsbot migrate`)."""
    from bot.storage import schema

    try:
        state = schema.state(settings.database_url)
    except Exception as exc:
        print(f"The database cannot be reached: {exc}", file=sys.stderr)
        return None
    if state.behind:
        print(BEHIND.format(state=state.describe()), file=sys.stderr, end="")
        return None
    return state


def outbox(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio

    from bot.ops import admin

    if usable_schema(settings) is None:
        return 3
    if args.action == "list":
        lines = asyncio.run(admin.outbox_list(settings, everything=args.all, limit=args.limit))
    elif args.action == "retry":
        if not args.ids and not args.all_failed:
            print("Name the messages to send again (ids from `laeringsbot outbox list`), or --all-failed.")
            return 2
        lines = asyncio.run(admin.outbox_retry(settings, args.ids, all_failed=args.all_failed))
    else:
        lines = asyncio.run(admin.outbox_drop(settings, args.ids))
    print("\n".join(lines))
    return 0


def person(settings: Settings, args: argparse.Namespace) -> int:
    import asyncio
    from pathlib import Path

    from bot.app import load_texts
    from bot.ops import people

    if usable_schema(settings) is None:
        return 3
    who = f"{args.platform} {args.user_id}"
    try:
        if args.action == "export":
            paths = asyncio.run(
                people.export(settings, load_texts(settings), args.platform, args.user_id, Path(args.out))
            )
            print(f"Exported everything stored about {who}: " + ", ".join(str(p) for p in paths))
            return 0
        if not args.yes:
            print(f"This erases everything stored about {who} and stops their live contracts. Add --yes to do it.")
            return 2
        asyncio.run(people.erase(settings, load_texts(settings), args.platform, args.user_id))
    except people.NoSuchPerson:
        print(f"No one is stored as {who} (or they were erased already).", file=sys.stderr)
        return 1
    print(f"Erased {who}: their live contracts are stopped, and the other parties are told by a running bot.")
    return 0


def check_config(settings: Settings) -> int:
    import asyncio

    from bot.app import load_texts
    from bot.ops.admin import check_config as checks

    results = asyncio.run(checks(settings, load_texts))
    for check in results:
        print(check.line())
    failed = [c.what for c in results if c.verdict == "FAIL"]
    print(f"{len(failed)} problem{'s' if len(failed) != 1 else ''}" + (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="laeringsbot", description="Læringsbot for Slack and Teams")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the bot (HTTP server); the database must be migrated")
    commands.add_parser("migrate", help="upgrade the database schema (one instance at a time, under a lock)")
    commands.add_parser("check-dialogs", help="validate the dialogs/ folder")
    commands.add_parser("check-config", help="check the database, the dialogs and the platforms' credentials")
    box = commands.add_parser("outbox", help="messages that could not be sent: list, send again, or give up")
    actions = box.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="failed messages, and those waiting after a failure")
    listing.add_argument("--all", action=FLAG, help="every message not sent yet")
    listing.add_argument("--limit", type=int, default=100)
    retry = actions.add_parser("retry", help="send these again now")
    retry.add_argument("ids", type=int, nargs="*")
    retry.add_argument("--all-failed", action=FLAG, help="every failed message not dropped")
    drop = actions.add_parser("drop", help="give these up: they are never sent")
    drop.add_argument("ids", type=int, nargs="+")
    host_help = "the public host name people and the platform reach the bot at, e.g. laeringsbot.kommune.dk"
    someone = commands.add_parser("person", help="export or erase what is stored about someone who has left")
    person_actions = someone.add_subparsers(dest="action", required=True)
    for name, what in (("export", "write their data (JSON and Markdown) to files"), ("erase", "erase their data")):
        action = person_actions.add_parser(name, help=what)
        action.add_argument("platform", choices=("slack", "teams"), help="the platform they used")
        action.add_argument("user_id", help="their user id there (Slack U…, Teams 29:…)")
        if name == "export":
            action.add_argument("--out", default=".", help="the folder to write the two files to")
        else:
            action.add_argument("--yes", action=FLAG, help="erase without asking")
    slack = commands.add_parser("slack-manifest", help="write the Slack app manifest with your host in it")
    slack.add_argument("--host", required=True, help=host_help)
    slack.add_argument("--output", "-o", default="laeringsbot-slack.yaml", help="where to write it (- for stdout)")
    package = commands.add_parser("teams-package", help="write the Teams app package (zip) to upload")
    package.add_argument("--host", help=host_help + " (in the package's links; without it they stay a placeholder)")
    package.add_argument("--output", "-o", default="laeringsbot-teams.zip", help="where to write the zip")
    args = parser.parse_args(argv)
    settings = Settings()
    from bot.ops.logs import configure

    configure(settings.log_format, settings.log_level)
    if args.command == "serve":
        return serve(settings)
    if args.command == "migrate":
        return migrate(settings)
    if args.command == "check-dialogs":
        return check_dialogs(settings)
    if args.command == "check-config":
        return check_config(settings)
    if args.command == "outbox":
        return outbox(settings, args)
    if args.command == "person":
        return person(settings, args)
    if args.command == "slack-manifest":
        return slack_manifest(args.host, args.output)
    return teams_package(settings, args.output, args.host)


if __name__ == "__main__":
    sys.exit(main())
