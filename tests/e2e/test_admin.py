"""`/laering admin status`: counts per flow and status, and a CSV of the contracts, for the
administrators named in ADMIN_USER_IDS; everyone else is refused."""

from __future__ import annotations

import csv
import io

import pytest

from tests.e2e.files import received
from tests.e2e.harness import Chat
from tests.e2e.peer_steps import add_person
from tests.e2e.teams_harness import TeamsChat, teams_id
from tests.e2e.test_elearning_contract import answer_all

ADMIN, LISE, MADS, ANNA = "UADMIN", "ULISE", "UMADS", "UANNA"


@pytest.fixture(autouse=True)
def admins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_USER_IDS", f"{ADMIN},{teams_id(ADMIN)}")


@pytest.fixture
def chat(any_chat: Chat) -> Chat:
    return any_chat


async def test_an_admin_gets_counts_and_a_csv_without_answers(chat: Chat) -> None:
    await add_person(chat, ADMIN, "Ada")
    await chat.command(LISE, "kontrakt <@UMADS|mads> <@UANNA|anna> ABC Demens")
    await chat.expect(LISE, "Spørgsmål 1 af 3")
    await answer_all(chat, LISE, ["Et hemmeligt svar", "L2", "L3"], 3)
    await chat.click(LISE, "Send")
    await chat.command(MADS, "kollega <@UANNA|anna>")
    await chat.expect(MADS, "Jeg har spurgt Anna")

    await chat.command(ADMIN, "hjælp")
    await chat.expect(ADMIN, "admin status")
    await chat.command(ADMIN, "admin status")
    status = await chat.expect(ADMIN, "Status for læringskontrakter")
    assert "Læringskontrakt med medarbejderen* (2): venter på svar 2" in status
    assert "Lær af en kollega* (1): inviteret 1" in status
    assert "I alt 3 kontrakter" in status

    files = await received(chat, ADMIN, 1)
    ((name, data),) = files.items()
    assert name.startswith("laeringsbot-kontrakter-") and name.endswith(".csv")
    text = data.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["id"], r["flow"], r["status"]) for r in rows] == [
        ("1", "elearning", "before"),
        ("2", "elearning", "before"),
        ("3", "peer", "invited"),
    ]
    lise = teams_id(LISE) if isinstance(chat, TeamsChat) else LISE
    assert rows[0]["parties"].startswith(f"leader: Lise ({lise}); employee: Mads")
    assert rows[0]["title"] == "ABC Demens" and rows[0]["created_at"] and rows[0]["followup_at"]
    assert "hemmeligt" not in text  # what people answered is not the administrator's


async def test_someone_not_named_admin_is_refused(chat: Chat) -> None:
    await chat.command(MADS, "admin status")
    await chat.expect(MADS, "Kun administratorer kan bruge")
    await chat.command(MADS, "hjælp")
    assert "admin status" not in await chat.expect(MADS, "eksport")
    await add_person(chat, ADMIN, "Ada")
    await chat.command(ADMIN, "admin")
    await chat.expect(ADMIN, "admin status", "antal kontrakter pr. forløb og status")
    await chat.settle()
    if isinstance(chat, TeamsChat):
        from tests.e2e.files import file_links

        assert not file_links(chat, MADS) and not file_links(chat, ADMIN)
    else:
        assert not chat.slack.files_to(MADS) and not chat.slack.files_to(ADMIN)
