"""An action noted in a learning meeting gets its owner picked as well as named with @: the
confirmation in the DM offers a people picker (Slack users_select, Teams' people picker whose
pick is an Azure AD object id, no mention entity). The pick is checked as a typed @mention is;
nobody picked is told so, a redelivered pick or one from an old picker changes nothing."""

from __future__ import annotations

from sqlmodel import select

from bot.storage.models import MeetingAction, Person
from tests.e2e.harness import Chat
from tests.e2e.teams_harness import TeamsChat
from tests.e2e.test_dialog_pickers import pick_person, redeliver
from tests.e2e.test_meetings import TEAM, at, local

ACTION = "Ny procedure for pårørendesamtaler"
STALE = "Den knap hører til en samtale, der er afsluttet eller ikke er din."


async def owner(chat: Chat | TeamsChat) -> str:
    async with chat.bot.runtime.db.transaction() as s:
        [row] = (await s.exec(select(MeetingAction))).all()
        person = await s.get(Person, row.owner_id)
        assert person is not None
        name: str = person.display_name
        return name


async def test_the_owner_of_an_action_is_picked(any_chat: Chat | TeamsChat) -> None:
    chat = any_chat
    await at(chat, local(2027, 1, 4, 10, 0))
    await chat.post_in_channel("ULISE", TEAM, "møde tirsdag 09:00 <@UMADS|mads>")
    await chat.expect_in_channel(TEAM, "[Jeg har en case]")
    await chat.click_in_channel("UANNA", TEAM, "Jeg har en case")
    await chat.settle()
    for minute in (0, 6, 16, 18, 27):  # the steps run out on the clock, to the fifth
        await at(chat, local(2027, 1, 5, 9, minute, 10))
    await chat.expect_in_channel(TEAM, "5. Fælles refleksion og tiltag", "[Tilføj tiltag]")
    await chat.click_in_channel("ULISE", TEAM, "Tilføj tiltag")
    await chat.settle()
    await chat.expect("ULISE", "Hvilket tiltag vil I sætte i gang?")
    await chat.say("ULISE", ACTION)  # no @: Lise owns it, and is offered the picker
    await chat.settle()
    await chat.expect("ULISE", f"Tiltaget er noteret: {ACTION} (ansvarlig: Lise)")
    await chat.expect_in_channel(TEAM, f"Nyt tiltag: {ACTION} (ansvarlig: Lise, noteret af Lise)")

    await pick_person(chat, "ULISE", None)  # nobody
    await chat.settle()
    await chat.expect("ULISE", "Du valgte ingen.")
    await pick_person(chat, "ULISE", "ULISE")  # herself: she owns it already
    await chat.settle()
    await chat.expect("ULISE", f"Lise er allerede ansvarlig for »{ACTION}«.")
    assert await owner(chat) == "Lise"

    picked = await pick_person(chat, "ULISE", "UMADS")
    await chat.settle()
    await chat.updated(f"Ansvarlig for »{ACTION}«: Mads")  # the picker closes with the choice
    await chat.updated(f"Nyt tiltag: {ACTION} (ansvarlig: Mads, noteret af Lise)")  # the thread's post
    assert await owner(chat) == "Mads"

    # The pick redelivered, or a pick in the old picker a client still shows: nothing changes.
    await redeliver(chat, picked)
    await chat.settle()
    await pick_person(chat, "ULISE", "USOFIE", held=picked.held)
    await chat.settle()
    await chat.expect("ULISE", STALE)
    assert await owner(chat) == "Mads"
