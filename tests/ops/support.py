"""What the operations tests share: the CLI as a child process, and an empty database."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
# What a child must not inherit from the test run's environment (a developer's shell).
FOREIGN = ("SLACK_", "MICROSOFT_", "TEAMS_", "DATABASE_URL", "PLAYGROUND", "PORT", "BOT_", "LOG_", "PUBLIC_URL")


def environment(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)}
    return env | {"PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"} | settings


def cli(*args: str, cwd: Path, **settings: str) -> subprocess.CompletedProcess[str]:
    """`laeringsbot <args>` in `cwd` (no .env of the checkout is read), settings as environment variables."""
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=environment(**settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


def popen(*args: str, cwd: Path, **settings: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd,
        env=environment(**settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@contextmanager
def empty_database(tmp_path: Path, tag: str) -> Iterator[str]:
    """A database with no tables at all: a new SQLite file, or (TEST_DATABASE_URL) a new
    PostgreSQL schema of this test's own, dropped afterwards."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / f'{tag}.db'}"
        return
    schema = f"lb_{tag}_{os.getpid()}"
    engine = create_engine(base.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in base else "?"
        yield f"{base}{separator}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()
