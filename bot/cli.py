"""`laeringsbot serve | check-dialogs | teams-package`."""

from __future__ import annotations

import argparse
import logging
import sys

from bot.settings import Settings

NO_PLATFORM = """\
Læringsbot has no platform to talk to: none of these settings is set.

  Slack:  SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (HTTP, POST /slack/events),
          or SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Socket Mode).
          Create the app from manifest/slack.yaml at https://api.slack.com/apps
          ("Create New App" → "From an app manifest"); the bot token is under
          "OAuth & Permissions", the signing secret under "Basic Information".

Put them in the environment or in a .env file beside where you run the bot.
(The local playground, which needs no credentials, is not built yet.)
"""


def serve(settings: Settings) -> int:
    if not settings.slack_configured:
        print(NO_PLATFORM, file=sys.stderr)
        return 2
    import uvicorn

    from bot.app import create_app
    from bot.storage.db import upgrade

    upgrade(settings.database_url)
    app = create_app(settings)
    print(f"Læringsbot listens on http://{settings.bot_host}:{settings.port}/ "
          f"(Slack: POST /slack/events; health: GET /healthz)", flush=True)
    uvicorn.run(app, host=settings.bot_host, port=settings.port, log_level="info")
    return 0


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
    print("ok  messages/da.yaml, messages/en.yaml")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="laeringsbot", description="Læringsbot for Slack and Teams")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="run the bot (HTTP server)")
    commands.add_parser("check-dialogs", help="validate the dialogs/ folder")
    commands.add_parser("teams-package", help="write the Teams app package (not yet available)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    settings = Settings()
    if args.command == "serve":
        return serve(settings)
    if args.command == "check-dialogs":
        return check_dialogs(settings)
    print("The Teams app package comes with Teams support (not built yet).", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
