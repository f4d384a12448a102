"""Each party's own copy of a contract, as Markdown and PDF, on Slack (uploaded into the DM)
and on Teams (a signed download link that expires), with only what that person may see."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.files import copy_texts, download, file_links, plain, received
from tests.e2e.harness import Chat
from tests.e2e.peer_steps import (
    ANNA,
    ANNA_OWN,
    LISE,
    MADS,
    MADS_OWN,
    OLE,
    PLAN,
    PURPOSE,
    SOFIE,
    SUPERVISION,
    add_person,
    approve_both,
    contract_id,
    until_approval,
)
from tests.e2e.teams_harness import TeamsChat
from tests.e2e.test_elearning_contract import answer_all

ADMIN = "UADMIN"


@pytest.fixture(autouse=True)
def admins(monkeypatch: pytest.MonkeyPatch) -> None:
    """ADMIN_USER_IDS from the environment, as an operator sets it (Slack and Teams ids)."""
    monkeypatch.setenv("ADMIN_USER_IDS", f"{ADMIN}, 29:1{ADMIN}")


@pytest.fixture
def chat(any_chat: Chat) -> Chat:
    return any_chat


async def approved_elearning(chat: Chat, employee: str = MADS) -> str:
    """Lise and the employee agree on an e-learning contract; its number, as the copy shows it."""
    await chat.command(LISE, f"kontrakt <@{employee}|x> ABC Demens")
    await chat.expect(LISE, "Spørgsmål 1 af 3")
    await answer_all(chat, LISE, ["Forstå demens", "Validerende kommunikation", "Tid hver uge"], 3)
    await chat.click(LISE, "Send")
    english = employee == SOFIE
    await chat.expect(employee, "Question 1 of 3" if english else "Spørgsmål 1 af 3")
    for number, text in enumerate(["Viden om demenstyper æøå", "I morgenplejen", "Sparring med kolleger"], 1):
        if number > 1:
            await chat.expect(employee, f"Question {number} of 3" if english else f"Spørgsmål {number} af 3")
        await chat.say(employee, text)
    await chat.click(employee, "Send")
    await chat.click(LISE, "Godkend")
    await chat.expect(employee, "[Export]" if english else "[Eksportér]")
    await chat.click(employee, "Export" if english else "Eksportér")
    markdown, _ = copy_texts(await received(chat, employee, 2))
    found = re.search(r"(?:Kontrakt|Contract) (\d+)", plain(markdown))
    assert found, markdown
    return found.group(1)


async def test_each_party_of_an_elearning_contract_gets_their_copy_and_others_are_refused(chat: Chat) -> None:
    await add_person(chat, ADMIN, "Ada")
    number = await approved_elearning(chat)
    await chat.expect(MADS, f"Din kopi af kontrakt {number} kommer som to filer")

    # The employee's copy, from the button: both sets of answers (both have sent), in Danish.
    files = await received(chat, MADS, 2)
    assert sorted(files) == [f"laeringskontrakt-{number}.md", f"laeringskontrakt-{number}.pdf"]
    markdown, pdf = copy_texts(files)
    for text in (plain(markdown), pdf):
        assert "Læringskontrakt: ABC Demens" in text and "godkendt" in text
        assert "Viden om demenstyper æøå" in text and "Forstå demens" in text
        assert "Før kurset" in text and "Godkendt af Lise" in text
        assert "Din kopi, Mads" in text
    assert markdown.startswith("# Læringskontrakt: ABC Demens")

    # The leader's copy, by command.
    await chat.command(LISE, f"eksport {number}")
    await chat.expect(LISE, f"Din kopi af kontrakt {number}")
    markdown, pdf = copy_texts(await received(chat, LISE, 2))
    assert "Viden om demenstyper æøå" in pdf and "Din kopi, Lise" in pdf
    assert "Din kopi, Lise" in plain(markdown)

    # Not a party: a colleague, and an administrator too (administrators see counts, not answers).
    # A number that is no contract gets the same answer, so numbers cannot be tried out.
    for outsider in (ANNA, ADMIN):
        await chat.command(outsider, f"eksport {number}")
        someone_elses = await chat.expect(outsider, f"Du kan ikke få en kopi af kontrakt {number}")
        await chat.command(outsider, "eksport 99999")
        unknown = await chat.expect(outsider, "Du kan ikke få en kopi af kontrakt 99999")
        assert unknown == someone_elses.replace(str(number), "99999")
    await chat.command(ANNA, "eksport")
    await chat.expect(ANNA, "og kontraktens nummer, fx")
    await chat.settle()
    if isinstance(chat, TeamsChat):
        assert not file_links(chat, ANNA) and not file_links(chat, ADMIN)
    else:
        assert not chat.slack.files_to(ANNA) and not chat.slack.files_to(ADMIN)


async def test_a_phase_the_other_party_has_not_sent_is_not_in_the_copy(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(LISE, "Spørgsmål 1 af 3")
    await answer_all(chat, LISE, ["Lises hemmelige mål", "L2", "L3"], 3)
    await chat.click(LISE, "Send")
    await chat.expect(LISE, "Når Mads også har sendt")
    await chat.command(MADS, "eksport 1")  # the first contract of a fresh bot
    markdown, pdf = copy_texts(await received(chat, MADS, 2))
    assert "Lises hemmelige mål" not in plain(markdown) and "Lises hemmelige mål" not in pdf
    assert "Svarene fra Lise ser du, når I begge har sendt" in pdf


async def test_an_english_copy(chat: Chat) -> None:
    number = await approved_elearning(chat, SOFIE)
    files = await received(chat, SOFIE, 2)
    assert sorted(files) == [f"learning-contract-{number}.md", f"learning-contract-{number}.pdf"]
    markdown, pdf = copy_texts(files)
    for text in (plain(markdown), pdf):
        assert "Learning contract: ABC Demens" in text and "Before the course" in text
        assert "Approved by Lise" in text and "Your copy, Sofie" in text
        assert "Viden om demenstyper æøå" in text  # her own words stay as she wrote them


async def test_everyone_on_a_peer_contract_gets_the_one_document_and_a_stranger_none(chat: Chat) -> None:
    await until_approval(chat)
    await approve_both(chat)
    number = await contract_id(chat, ANNA)
    await add_person(chat, "USTRANGER", "Sara")
    copies: dict[str, str] = {}
    for user in (MADS, ANNA, LISE, SOFIE, OLE):
        await chat.command(user, f"eksport {number}")
        markdown, pdf = copy_texts(await received(chat, user, 2))
        assert plain(markdown).count("Vi følges på arbejde og sparrer") == 1
        # In the template's order: the purpose, the goals and leaders, then the plan and activities
        # (its own prompt's answer first, the continuous evaluation last).
        text = plain(markdown)
        at = [text.index(t) for t in (PURPOSE, MADS_OWN[0], ANNA_OWN[2], SUPERVISION[1], PLAN[0], PLAN[1], PLAN[6])]
        assert at == sorted(at), user
        copies[user] = pdf
        assert "Vi følges på arbejde og sparrer" in pdf  # the joint fields: everyone
    # A mutual contract: both parties' goals and their leaders' tasks, for both parties, both
    # leaders and the supervisor (what stays between a party and its leader: test_peer_contract).
    for user in (MADS, ANNA, LISE, SOFIE, OLE):
        assert MADS_OWN[0] in copies[user] and ANNA_OWN[0] in copies[user], user
        assert MADS_OWN[2] in copies[user] and ANNA_OWN[2] in copies[user], user
    assert "Learning contract: Mads and Anna" in copies[SOFIE]  # in her language
    await chat.command("USTRANGER", f"eksport {number}")
    await chat.expect("USTRANGER", f"Du kan ikke få en kopi af kontrakt {number}")

    # The button on the message that says the contract is active.
    await chat.click(MADS, "Eksportér")
    _, pdf = copy_texts(await received(chat, MADS, 2))
    assert MADS_OWN[0] in pdf and ANNA_OWN[0] in pdf and "Din kopi, Mads" in pdf


async def test_a_failed_slack_upload_is_tried_again_and_the_file_arrives_once(slack_chat: Chat) -> None:
    chat = slack_chat
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(LISE, "Spørgsmål 1 af 3")
    chat.slack.fail_next("upload_url", 500)
    await chat.command(LISE, "eksport 1")
    await chat.expect(LISE, "Din kopi af kontrakt 1")
    await chat.settle()
    assert [c.status for c in chat.slack.calls_of("upload_url", include_failed=True)][:1] == [500]
    assert not chat.slack.files_to(LISE)  # held back, not lost
    # Slack is back only after the file's day is over: still sent (the clock keeps what waits).
    chat.bot.clock.advance(hours=25)
    await chat.bot.tick()
    files = await received(chat, LISE, 2)
    assert sorted(files) == ["laeringskontrakt-1.md", "laeringskontrakt-1.pdf"]
    await chat.bot.tick()
    shared = chat.slack.files_to(LISE)
    assert len(shared) == 2 and all(f.completions == 1 for f in shared)
    assert len(chat.slack.calls_of("files.completeUploadExternal")) == 2
    assert all(f.title and f.title.startswith("Læringskontrakt 1") for f in shared)
    assert all(f.channel == "DLISE" and "Her er din fil" in (f.initial_comment or "") for f in shared)


async def test_a_teams_link_works_until_it_expires_and_not_when_tampered_with(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(LISE, "Spørgsmål 1 af 3")
    await chat.command(LISE, "eksport 1")
    await chat.expect(LISE, "Her er din fil", "[Hent laeringskontrakt-1.md]", "Linket virker til")
    await chat.teams.wait_for(lambda _: len(file_links(chat, LISE)) == 2)
    (_, md_url), (_, pdf_url) = file_links(chat, LISE)
    assert md_url.startswith(chat.bot.runtime.settings.link_base + "/files/")
    response = await download(chat, pdf_url)
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")

    # A link changed by hand: refused, and not the file.
    key, expires, signature = md_url.rsplit("/", 1)[1].split(".")
    for forged in (
        f"{key}.{int(expires) + 86400}.{signature}",
        f"{key}.{expires}.{'y' if signature[0] == 'x' else 'x'}{signature[1:]}",  # always another one
        f"{key[:-1]}A.{expires}.{signature}",
        "nonsense",
    ):
        response = await download(chat, f"/files/{forged}")
        assert response.status_code in (403, 404) and b"%PDF" not in response.content and b"#" not in response.content

    # After a day the link has expired, and the clock deletes the file.
    chat.bot.clock.advance(hours=25)
    response = await download(chat, md_url)
    assert response.status_code == 404
    await chat.bot.tick()
    from sqlmodel import select

    from bot.storage.models import StoredFile

    async with chat.bot.runtime.db.transaction() as s:
        assert (await s.exec(select(StoredFile))).all() == []


async def test_the_playground_shows_the_copy_as_a_link_the_page_can_open(database_url: str) -> None:
    import asyncio

    import httpx

    from bot.app import create_app
    from bot.settings import Settings
    from tests.support.server import LoopbackServer

    server = LoopbackServer(
        create_app(Settings(_env_file=None, database_url=database_url, playground=True, clock_interval_seconds=3600))
    )
    url = await server.start()
    try:
        async with httpx.AsyncClient(base_url=url, timeout=10) as http:
            await http.post("/api/say", json={"person": "lise", "text": "/laering kontrakt @mads ABC Demens"})
            await http.post("/api/say", json={"person": "lise", "text": "/laering eksport 1"})
            links: list[dict[str, Any]] = []
            for _ in range(250):
                state = (await http.get("/api/state", params={"person": "lise"})).json()
                links = [
                    b
                    for m in state["messages"]
                    if m["from"] == "bot"
                    for b in m["message"]["blocks"]
                    if b["kind"] == "link"
                ]
                if len(links) == 2:
                    break
                await asyncio.sleep(0.02)
            assert [b["label"] for b in links] == ["Hent laeringskontrakt-1.md", "Hent laeringskontrakt-1.pdf"]
            assert links[1]["url"].startswith("/files/")
            response = await http.get(links[1]["url"])
            assert response.status_code == 200 and response.content.startswith(b"%PDF-")
            assert "Læringskontrakt: ABC Demens" in copy_texts({"a.md": b"", "a.pdf": response.content})[1]
    finally:
        await server.stop()
