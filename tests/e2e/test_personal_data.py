"""A person's own data end to end, on Slack and on Teams: `mine-data`, `slet-mine-data`, retention.

What the bot keeps is read back from the database where the promise is about the
database ("the deleted person's texts are nowhere"): every text column of every table.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import JSON, String, TypeDecorator, create_engine, select
from sqlmodel import SQLModel

from bot.storage import models  # noqa: F401  (registers the tables)
from bot.storage.db import _driver_url
from bot.storage.personal_data import months_before
from tests.e2e.files import received
from tests.e2e.harness import Chat
from tests.e2e.peer_steps import (
    ANNA,
    ANNA_OWN,
    LISE,
    MADS,
    MADS_OWN,
    SOFIE,
    answer,
    approve_both,
    contract_id,
    until_approval,
)
from tests.e2e.teams_harness import TeamsChat, teams_id
from tests.fakes import slack_signing as signing

LEADER_ANSWERS = ["Forstå demens og kommunikation", "Bruge validerende kommunikation", "Tid til e-læring hver uge"]
MADS_ANSWERS = ["Viden om demenstyper", "I morgenplejen hos borgere med demens", "Sparring med en kollega"]
ANNA_PROFILE = ["Sygeplejen Syd", "Sygeplejerske"]
CPH = ZoneInfo("Europe/Copenhagen")


@pytest.fixture
def chat(any_chat: Chat) -> Chat:
    return any_chat


# ---- reading the database --------------------------------------------------------
def rows(chat: Chat, table: str, **where: Any) -> list[dict[str, Any]]:
    engine = create_engine(_driver_url(chat.bot.database_url, asynchronous=False))
    try:
        t = SQLModel.metadata.tables[table]
        query = select(t).where(*(t.c[k] == v for k, v in where.items()))
        with engine.connect() as connection:
            return [dict(r._mapping) for r in connection.execute(query)]
    finally:
        engine.dispose()


def _inner(type_: Any) -> Any:
    """A wrapped type (SQLModel's AutoString for every `str` field) as what it wraps."""
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    return type_


def every_text(chat: Chat) -> list[tuple[str, str, str]]:
    """(table, column, text) for every text and JSON value stored anywhere."""
    found = []
    engine = create_engine(_driver_url(chat.bot.database_url, asynchronous=False))
    try:
        with engine.connect() as connection:
            for table in SQLModel.metadata.sorted_tables:
                columns = [c for c in table.columns if isinstance(_inner(c.type), (String, JSON))]
                for row in connection.execute(select(*columns)) if columns else []:
                    for column, value in zip(columns, row, strict=True):
                        if value is not None:
                            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                            found.append((table.name, column.name, text))
    finally:
        engine.dispose()
    return found


def person_id(chat: Chat, handle: str) -> int:
    external = teams_id(handle) if isinstance(chat, TeamsChat) else handle
    found = rows(chat, "person", external_id=external)
    assert found, handle
    found_id: int = found[0]["id"]
    return found_id


# ---- pressing a button again -----------------------------------------------------
def capture(chat: Chat, handle: str, label: str) -> Any:
    return chat.find_button(handle, label)


async def press_again(chat: Chat, handle: str, captured: Any) -> None:
    """The same button pressed once more: Slack sends the same press; Teams a new activity."""
    if isinstance(chat, TeamsChat):
        conversation, card_id, action = captured
        press = chat.teams.press(teams_id(handle), conversation, card_id, action["verb"], action.get("data"))
        response = await chat.bot.post(press)
        chat.teams.record_answer(teams_id(handle), response.json())
    else:
        message, element = captured
        body = signing.block_actions_body(
            handle,
            element["action_id"],
            element.get("value", ""),
            message_ts=message["ts"],
            channel_id=message["channel"],
            response_url=chat.slack.response_url(user=handle),
            block_id=element["block_id"],
        )
        response = await chat.bot.post(body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200, response.text


# ---- the contracts the scenarios need ----------------------------------------------
async def elearning_until_compared(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(LISE, "Spørgsmål 1 af 3")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    for user, answers in ((LISE, LEADER_ANSWERS), (MADS, MADS_ANSWERS)):
        for number, text in enumerate(answers, 1):
            if number > 1:
                await chat.expect(user, f"Spørgsmål {number} af 3")
            await chat.say(user, text)
        await chat.expect(user, "Intet sendes, før du trykker")
        await chat.click(user, "Send")
    await chat.expect(LISE, "LÆRINGSMÅL", "Viden om demenstyper", "[Godkend]")


async def test_my_data_holds_my_answers_and_not_the_other_partys_private_ones(chat: Chat) -> None:
    await elearning_until_compared(chat)
    await until_approval(chat)
    await chat.command(MADS, "mine-data")
    await chat.expect(MADS, "Her er alt, hvad Læringsbot har gemt om dig")
    await chat.settle()
    files = await received(chat, MADS, 2)  # uploaded into the DM on Slack, a download link on Teams
    data = json.loads(files["laeringsbot-mine-data.json"])
    markdown = files["laeringsbot-mine-data.md"].decode()

    assert data["person"]["display_name"] == "Mads"
    mine = {a["text"] for a in data["tables"]["answer"]}
    assert set(MADS_ANSWERS) <= mine and set(MADS_OWN[::2]) <= mine
    assert {p["department"] for p in data["tables"]["personprofile"]} == {"Hjemmeplejen Nord"}
    assert data["tables"]["inboxevent"], "the raw requests they sent are theirs too"
    assert '"token"' not in json.dumps(data["tables"]["inboxevent"])  # the app's secrets are not theirs
    everything = json.dumps(data, ensure_ascii=False)
    for private in (ANNA_OWN[0], ANNA_OWN[2], *ANNA_PROFILE):  # Anna's own fields: never shown to Mads
        assert private not in everything and private not in markdown
    # The messages to Mads name Lise as he read them, by name: no mention marker, no one's platform id.
    texts = json.dumps([m["payload"] for m in data["tables"]["outboxmessage"]], ensure_ascii=False)
    assert "Lise" in texts and "\ue000" not in everything and LISE not in texts

    # The readable copy: in their language, the contracts with the question as it was asked.
    assert markdown.startswith("# Dine data i Læringsbot")
    assert "ABC Demens (nr." in markdown and "Viden om demenstyper" in markdown
    assert "Hvilken viden, færdigheder eller kompetencer" in markdown or "LÆRINGSMÅL" in markdown
    assert "Mads vil blive sikker i dokumentation" in markdown
    audit = rows(chat, "auditevent", action="personal.exported")
    assert [a["actor_id"] for a in audit] == [person_id(chat, MADS)]


async def test_deleting_my_data_leaves_the_other_party_its_own(chat: Chat) -> None:
    await until_approval(chat)
    await approve_both(chat)
    number = await contract_id(chat, ANNA)
    anna_id = person_id(chat, ANNA)

    await chat.command(ANNA, "slet-mine-data")
    await chat.expect(ANNA, "Vil du slette alt, hvad Læringsbot har gemt om dig?", "[Slet mine data]")
    # Only Anna can confirm it.
    await chat.click(ANNA, "Slet mine data", as_user=MADS)
    await chat.expect(MADS, "Det er kun Anna, der kan bekræfte")
    await chat.settle()
    assert rows(chat, "person", id=anna_id)[0]["deleted_at"] is None

    button = capture(chat, ANNA, "Slet mine data")
    await chat.click(ANNA, "Slet mine data")
    await chat.expect(ANNA, "Dine data er slettet")
    await chat.expect(MADS, "har slettet sine data i Læringsbot, så kontrakten er stoppet")
    closed = await chat.updated("Dine data er slettet.")  # the confirmation keeps no live button
    assert "[Slet mine data]" not in closed
    await chat.settle()

    # The other party's copy: "slettet bruger" where Anna was, Mads's own fields and the joint ones.
    await chat.command(MADS, f"kollega {number}")
    copy = await chat.expect(MADS, "Læringskontrakt: Mads og slettet bruger")
    assert "Mads vil blive sikker i dokumentation" in copy and "Vi følges på arbejde og sparrer" in copy
    assert "Anna vil lære dosering" not in copy and "Sygeplejen Syd" not in copy
    await chat.command(SOFIE, f"kollega {number}")  # Anna's leader reads English
    await chat.expect(SOFIE, "Learning contract: Mads and deleted user")

    # Anna's texts are nowhere in the database: not in a table, a message, a request or the audit.
    theirs = [ANNA_OWN[0], ANNA_OWN[2], *ANNA_PROFILE]
    leaks = [(t, c) for t, c, text in every_text(chat) for mine in theirs if mine in text]
    assert leaks == []
    # Her name neither, but where others wrote it themselves (Mads's joint text names her).
    named = {(t, c, text) for t, c, text in every_text(chat) if re.search(r"\bAnna\b", text)}
    assert {(t, c) for t, c, _ in named} <= {("jointdraft", "fields"), ("answer", "text"), ("outboxmessage", "payload")}
    assert all("Anna viser dokumentation" in text for t, c, text in named if t == "outboxmessage"), named
    # Nor her platform id: not even in the lanes that kept her requests in order.
    external = teams_id(ANNA) if isinstance(chat, TeamsChat) else ANNA
    assert {(t, c) for t, c, text in every_text(chat) if external in text} == set()
    tombstone = rows(chat, "person", id=anna_id)[0]
    assert tombstone["display_name"] == "slettet bruger" and tombstone["deleted_at"] is not None
    assert tombstone["external_id"].startswith("deleted:") and tombstone["dm_channel"] is None
    assert rows(chat, "answer", person_id=anna_id) == [] and rows(chat, "personprofile", person_id=anna_id) == []
    assert rows(chat, "teamsuser", user_id=teams_id(ANNA)) == []
    # The audit keeps that a deletion happened, not what was deleted; her older rows lost their texts.
    deleted = rows(chat, "auditevent", action="person.deleted")
    assert [(a["actor_id"], a["detail"]) for a in deleted] == [(anna_id, {})]
    assert all(a["detail"] == {} for a in rows(chat, "auditevent", actor_id=anna_id))
    assert rows(chat, "auditevent", actor_id=anna_id, action="answers.submitted")

    # A second press, or the same press again, changes nothing.
    before = {t: len(rows(chat, t)) for t in ("contract", "answer", "party", "auditevent", "person")}
    await press_again(chat, ANNA, button)
    await chat.settle()
    if isinstance(chat, TeamsChat):  # a new activity: Anna is a new person now, and is told so
        await chat.expect(ANNA, "Den bekræftelse er allerede brugt")
    after = {t: len(rows(chat, t)) for t in ("contract", "answer", "party", "auditevent", "person")}
    assert after["person"] - before["person"] in (0, 1)  # Teams: the presser is a new person
    assert {k: v for k, v in after.items() if k != "person"} == {k: v for k, v in before.items() if k != "person"}
    assert len(rows(chat, "auditevent", action="person.deleted")) == 1

    # Anna can use the bot again, as someone new with no past.
    await chat.command(ANNA, "kollega")
    assert "Mads" not in await chat.expect(ANNA, "Dine læringskontrakter med kolleger")
    chat.check_payloads()


async def test_a_contract_under_way_stops_when_a_party_deletes_their_data(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.say(MADS, MADS_ANSWERS[0])
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    await chat.say(LISE, LEADER_ANSWERS[0])  # a draft answer, kept in her session until she sends
    await chat.expect(LISE, "Spørgsmål 2 af 3")
    await chat.command(LISE, "slet-mine-data")
    await chat.click(LISE, "Slet mine data")
    await chat.expect(LISE, "Dine data er slettet")
    await chat.expect(MADS, "har slettet sine data i Læringsbot, så kontrakten er stoppet")
    await chat.say(MADS, "Et svar til ingen")  # Mads is no longer asked anything
    await chat.expect(MADS, "Jeg venter ikke på et svar fra dig lige nu")
    await chat.settle()
    assert [c["status"] for c in rows(chat, "contract")] == ["cancelled"]
    assert LEADER_ANSWERS[0] not in json.dumps([t for *_, t in every_text(chat)], ensure_ascii=False)


async def test_keeping_my_data_changes_nothing(chat: Chat) -> None:
    await chat.command(SOFIE, "delete-my-data")
    await chat.expect(SOFIE, "Do you want to delete everything", "[Keep my data]")
    await chat.click(SOFIE, "Keep my data")
    await chat.expect(SOFIE, "Your data has not been deleted")
    await chat.settle()
    assert rows(chat, "person", id=person_id(chat, SOFIE))[0]["deleted_at"] is None


# ---- retention ---------------------------------------------------------------------
async def declined(chat: Chat) -> None:
    await chat.command(MADS, "kollega <@UANNA|anna>")
    await chat.expect(ANNA, "vil gerne lære sammen med dig", "[Nej tak]")
    await chat.click(ANNA, "Nej tak")
    await chat.expect(MADS, "har takket nej")


async def listing(chat: Chat) -> str:
    await chat.command(MADS, "kollega")
    return await chat.expect(MADS, "Dine læringskontrakter med kolleger")


async def test_finished_contracts_go_after_the_retention_period_once_a_day(chat: Chat) -> None:
    today = datetime.combine(datetime.now(CPH).date(), time(10), CPH)
    clock = chat.bot.clock
    clock.set(months_before(today, 37))
    await declined(chat)  # finished 37 months ago: goes
    await chat.command(MADS, "kollega <@UANNA|anna>")  # never answered: still under way, stays
    await chat.expect(ANNA, "vil gerne lære sammen med dig")
    clock.set(months_before(today, 36) + timedelta(hours=1))
    await declined(chat)  # 36 months old an hour after the run
    clock.set(months_before(today, 35))
    await declined(chat)  # finished 35 months ago: stays
    clock.set(today)
    ids = re.findall(r"• (\d+): Mads og Anna – (takket nej|inviteret)", await listing(chat))
    assert [s for _, s in ids] == ["takket nej", "inviteret", "takket nej", "takket nej"], ids

    await chat.bot.tick()
    left = re.findall(r"• (\d+): ", await listing(chat))
    assert left == [ids[1][0], ids[2][0], ids[3][0]]
    retention = rows(chat, "auditevent", action="retention.deleted")
    assert [r["detail"]["contracts"] for r in retention] == [1]

    # Later the same day, after a restart too, the job does not run again.
    clock.set(today + timedelta(hours=2))
    await chat.bot.restart()
    await chat.bot.tick()
    assert re.findall(r"• (\d+): ", await listing(chat)) == left
    # The next day it does.
    clock.set(today + timedelta(days=1))
    await chat.bot.tick()
    assert re.findall(r"• (\d+): ", await listing(chat)) == [ids[1][0], ids[3][0]]
    assert len(rows(chat, "auditevent", action="retention.deleted")) == 2


# ---- learning meetings --------------------------------------------------------------
async def at(chat: Chat, moment: datetime) -> None:
    chat.bot.clock.set(moment)
    await chat.bot.tick()
    await chat.settle()


async def test_a_case_person_who_deletes_their_data_leaves_the_meeting_to_the_team(chat: Chat) -> None:
    team, case, learning = "CTEAM", "En svær samtale med en pårørende", "At lytte før jeg svarer"
    await at(chat, datetime(2027, 1, 1, 10, tzinfo=CPH))
    await chat.post_in_channel(LISE, team, "møde tirsdag 09:00 <@UMADS|mads>")
    await chat.settle()
    await at(chat, datetime(2027, 1, 4, 9, 0, 30, tzinfo=CPH))
    await chat.click_in_channel(ANNA, team, "Jeg har en case")
    await chat.settle()
    await chat.expect(ANNA, "Hvad handler den om?")
    await chat.say(ANNA, case)
    await chat.settle()
    await chat.expect(ANNA, f"Casen hedder nu: {case}")
    await at(chat, datetime(2027, 1, 5, 9, 0, 10, tzinfo=CPH))
    await chat.expect_in_channel(team, "1. Casen præsenteres – 5 min", "[Næste punkt]")
    await chat.click_in_channel(MADS, team, "Næste punkt")
    await chat.settle()
    await chat.expect_in_channel(team, "2. Læringsspørgsmål – 10 min")
    await at(chat, datetime(2027, 1, 5, 9, 11, tzinfo=CPH))
    await chat.expect_in_channel(team, "3. Case-personens læring – 2 min")
    await chat.reply_in_thread(ANNA, team, learning, root="Dagsorden")
    await chat.settle()
    await at(chat, datetime(2027, 1, 5, 9, 26, tzinfo=CPH))
    await chat.expect_in_channel(team, "Opsummering – læringsmøde 5. januar 2027", case, learning)
    # Her case is in her data, as she named it.
    await chat.command(ANNA, "mine-data")
    await chat.expect(ANNA, "Her er alt, hvad Læringsbot har gemt om dig")
    await chat.settle()
    data = json.loads((await received(chat, ANNA, 2))["laeringsbot-mine-data.json"])
    assert [c["title"] for c in data["tables"]["meetingcase"]] == [case]

    await chat.command(ANNA, "slet-mine-data")
    await chat.click(ANNA, "Slet mine data")
    await chat.expect(ANNA, "Dine data er slettet")
    await chat.settle()
    stored = json.dumps([t for *_, t in every_text(chat)], ensure_ascii=False)
    assert case not in stored and learning not in stored
    # The channel's posts named her as a mention: what is kept of them names nobody, by no id.
    assert f"{ANNA}\ue001" not in stored
    assert rows(chat, "meetingnote", kind="learning") == []
    meeting = rows(chat, "meetingoccurrence", seq=0)[0]
    assert rows(chat, "meetingcase") == [] and meeting["status"] == "done"
    series = rows(chat, "meetingseries")[0]
    assert series["status"] == "active" and series["facilitator_ids"] == [person_id(chat, MADS)]


async def test_the_other_partys_copy_keeps_its_own_evaluation_after_an_erasure(chat: Chat) -> None:
    await until_approval(chat)
    await approve_both(chat)
    number = await contract_id(chat, ANNA)
    chat.bot.clock.advance(days=31)
    await chat.bot.tick()
    await chat.expect(MADS, "Hvad gik godt og mindre godt i forhold til de opstillede mål?")
    await answer(chat, MADS, ["Målene blev nået", "Godt samarbejde", "Ole hjalp", "Faste tider", "Teammøder"])
    await chat.expect(MADS, "Du ser begges svar, når Anna også har sendt")
    await chat.expect(ANNA, "Hvad gik godt og mindre godt i forhold til de opstillede mål?")
    await answer(chat, ANNA, ["Delvist nået", "Svært at finde tid", "Ole gav plan", "Mødes oftere", "Huskeliste"])
    await chat.expect(MADS, "Her er jeres svar side om side", "Delvist nået")

    await chat.command(ANNA, "slet-mine-data")
    await chat.click(ANNA, "Slet mine data")
    await chat.expect(ANNA, "Dine data er slettet")
    await chat.settle()

    await chat.command(MADS, f"kollega {number}")
    copy = await chat.expect(MADS, "Læringskontrakt: Mads og slettet bruger", "Målene blev nået", "Godt samarbejde")
    assert "Delvist nået" not in copy and "Svært at finde tid" not in copy
    assert "Ikke udfyldt endnu" in copy  # the erased party's column says it holds nothing
