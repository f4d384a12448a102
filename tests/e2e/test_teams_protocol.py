"""What the Bot Framework demands on Teams: tokens, redeliveries, presses by the
wrong person, connector errors, proactive messages and people who cannot be
reached, commands written to the bot, and restarts that lose nothing."""

from __future__ import annotations

import time

from sqlalchemy import func
from sqlmodel import col, select

from bot.storage.models import Approval, Contract, InboxEvent, OutboxMessage, TeamsConversation, TeamsUser
from bot.teams.invokes import CARD, MESSAGE
from tests.e2e.teams_harness import TeamsBot, TeamsChat, teams_id
from tests.e2e.test_elearning_contract import answer_all
from tests.e2e.test_elearning_paths import both_answer_before
from tests.fakes.teams_api import BOT_ID, TENANT_ID, FakeTeams, _rsa, card_text
from tests.support.teams_specs import assert_valid_card

LISE, MADS, ANNA = "ULISE", "UMADS", "UANNA"


async def count(bot: TeamsBot, model, *where) -> int:
    async with bot.runtime.db.transaction() as s:
        found: int = (await s.exec(select(func.count()).select_from(model).where(*where))).one()
        return found


# ---- tokens ---------------------------------------------------------------------------
async def test_requests_without_a_valid_bot_framework_token_get_401_and_change_nothing(
    teams_bot: TeamsBot, teams: FakeTeams
) -> None:
    teams.add_user(teams_id(LISE), "Lise")
    teams.add_user(teams_id(MADS), "Mads")
    activity = teams.message(teams_id(LISE), "kontrakt <at>Mads</at> ABC Demens", mentions=[(teams_id(MADS), "Mads")])
    forged = {
        "no token": None,
        "not a token": "not-a-jwt",
        "unsigned (alg none)": teams.token(activity, algorithm="none"),
        "a shared-secret signature": teams.token(activity, algorithm="HS256"),
        "signed by a key Microsoft never published": teams.token(activity, key=_rsa("a-forger's key")),
        "for another bot": teams.token(activity, audience="11111111-2222-3333-4444-555555555555"),
        "from another issuer": teams.token(activity, issuer="https://sts.windows.net/evil/"),
        "expired beyond the clock skew": teams.token(activity, issued_ago=3600 + 600),
        "not valid yet beyond the clock skew": teams.token(activity, issued_ago=-600),
        "for another serviceUrl": teams.token(activity, serviceurl="https://evil.example.org/"),
        "without a serviceurl claim": teams.token(activity, serviceurl=None),
        "naming a key nobody knows": teams.token(activity, kid="no-such-key"),
    }
    for what, token in forged.items():
        response = await teams_bot.post(activity, token=token, signed=token is not None)
        assert response.status_code == 401, what
    # A channel the signing key does not endorse.
    elsewhere = activity | {"channelId": "skype"}
    assert (await teams_bot.post(elsewhere)).status_code == 401
    # The serviceUrl in the activity changed after signing.
    token = teams.token(activity)
    moved = activity | {"serviceUrl": "https://evil.example.org/"}
    assert (await teams_bot.post(moved, token=token)).status_code == 401

    await teams_bot.runtime.inbox.process_pending()
    await teams_bot.runtime.outbox.send_due()
    for model in (InboxEvent, TeamsConversation, TeamsUser, OutboxMessage):
        assert await count(teams_bot, model) == 0, model
    assert teams.calls_of("send") == [] and teams.calls_of("token") == []

    # Within the five minutes of clock skew a token is still good.
    response = await teams_bot.post(activity, token=teams.token(activity, issued_ago=3600 + 120))
    assert response.status_code == 200
    assert await count(teams_bot, InboxEvent) == 1


async def test_a_new_signing_key_is_fetched_when_a_token_names_it(teams_bot: TeamsBot, teams: FakeTeams) -> None:
    teams.add_user(teams_id(LISE), "Lise")
    # Microsoft's metadata is away at first: "try again", and nothing is kept.
    teams.fail_next("metadata", 503)
    hello = teams.message(teams_id(LISE), "hjælp")
    assert (await teams_bot.post(hello)).status_code == 503
    assert await count(teams_bot, InboxEvent) == 0
    assert (await teams_bot.post(hello)).status_code == 200
    assert len(teams.calls_of("keys")) == 1
    # An unknown key id right after a fetch: refused, and the keys are not fetched again at once.
    again = teams.message(teams_id(LISE), "hjælp")
    assert (await teams_bot.post(again, token=teams.token(again, kid="key-2"))).status_code == 401
    assert len(teams.calls_of("keys")) == 1
    # Microsoft rotates its keys; a little later a token signed with the new one arrives.
    new = teams.rotate_key("key-2")
    teams_bot.clock.advance(minutes=6)
    rotated = teams.message(teams_id(LISE), "hjælp")
    assert (await teams_bot.post(rotated, token=teams.token(rotated, kid="key-2", key=new.private))).status_code == 200
    assert len(teams.calls_of("keys")) == 2
    # A made-up key id does not make the bot fetch keys on every request.
    for _ in range(3):
        made_up = teams.message(teams_id(LISE), "hjælp")
        assert (await teams_bot.post(made_up, token=teams.token(made_up, kid="key-9"))).status_code == 401
    assert len(teams.calls_of("keys")) == 2
    # And once a day the keys are fetched again anyway.
    teams_bot.clock.advance(hours=25)
    daily = teams.message(teams_id(LISE), "hjælp")
    assert (await teams_bot.post(daily)).status_code == 200
    assert len(teams.calls_of("keys")) == 3


# ---- redeliveries and presses ---------------------------------------------------------------
async def test_a_redelivered_message_is_answered_once(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    # Teams sends the same activity again when the bot was slow: same id.
    await chat.say(MADS, "Mit første svar", id="1700000000001")
    await chat.say(MADS, "Mit første svar", id="1700000000001")
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    await chat.settle()
    assert chat.count(MADS, "Spørgsmål 2 af 3") == 1
    assert chat.count(MADS, "Spørgsmål 3 af 3") == 0
    assert await count(chat.bot, InboxEvent, InboxEvent.dedupe_key.endswith(":1700000000001")) == 1


async def test_a_press_answers_with_the_closed_card_and_a_redelivery_or_second_press_changes_nothing(
    teams_chat: TeamsChat,
) -> None:
    chat = teams_chat
    await both_answer_before(chat)
    conversation, card_id, approve = chat.find_button(LISE, "Godkend")
    response = await chat.click(LISE, "Godkend", id="f:press-1")
    answer = response.json()
    # Teams shows the presser the card as it now stands: decided, no live button.
    assert answer["statusCode"] == 200 and answer["type"] == CARD
    assert_valid_card(answer["value"])
    assert "Godkendt af Lise" in card_text(answer["value"]) and "[Godkend]" not in card_text(answer["value"])
    await chat.expect(MADS, "Lise har godkendt")
    assert "[Godkend]" not in await chat.updated("Godkendt af Lise")  # for every device, too
    await chat.settle()
    sends, puts = len(chat.teams.calls_of("send")), len(chat.teams.calls_of("update"))

    # The same press again (a redelivery, same activity id), then a second press on the old card.
    redelivered = chat.teams.press(
        teams_id(LISE), conversation, card_id, approve["verb"], approve["data"], id="f:press-1"
    )
    again = await chat.bot.post(redelivered)
    assert again.status_code == 200 and again.json()["type"] == CARD
    assert "[Godkend]" not in card_text(again.json()["value"])
    second = chat.teams.press(teams_id(LISE), conversation, card_id, approve["verb"], approve["data"])
    answer = (await chat.bot.post(second)).json()
    assert answer["type"] == MESSAGE and "allerede behandlet" in answer["value"]
    await chat.settle()
    assert await count(chat.bot, Approval) == 1
    assert chat.count(MADS, "Lise har godkendt") == 1
    assert len(chat.teams.calls_of("update")) == puts
    # Nothing new in anyone's chat: the second press was answered in Teams' reply to it.
    assert len(chat.teams.calls_of("send")) == sends


async def test_a_press_by_someone_else_is_explained_to_them_alone_and_changes_nothing(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    await both_answer_before(chat)
    await chat.settle()
    updates, sends = len(chat.teams.calls_of("update")), len(chat.teams.calls_of("send"))
    response = await chat.click(LISE, "Godkend", as_user=MADS)
    answer = response.json()
    assert answer["type"] == MESSAGE
    assert answer["value"] == "Kun Lise, der har startet kontrakten, kan gøre det."
    await chat.expect(MADS, "Kun Lise, der har startet kontrakten, kan gøre det.")
    await chat.click(LISE, "Godkend", as_user=ANNA)
    await chat.expect(ANNA, "Kun Lise, der har startet kontrakten, kan gøre det.")
    await chat.settle()
    assert await count(chat.bot, Approval) == 0
    assert len(chat.teams.calls_of("update")) == updates
    assert len(chat.teams.calls_of("send")) == sends  # told in the answer to the press, not in a chat
    assert chat.count(LISE, "Kun Lise") == 0
    # The leader's own button still works.
    await chat.click(LISE, "Godkend")
    await chat.expect(MADS, "Lise har godkendt")


# ---- the Bot Connector misbehaves ----------------------------------------------------------
async def test_connector_errors_are_retried_and_a_message_that_cannot_go_yet_is_kept(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.settle()
    # 429 with Retry-After: the outbox waits that long (not a polling interval), and the message arrives.
    chat.teams.fail_next("send", 429, retry_after=1)
    started = time.monotonic()
    await chat.say(MADS, "M1")
    await chat.expect(MADS, "Spørgsmål 2 af 3", timeout=10)
    assert 0.9 <= time.monotonic() - started < 4
    assert [c.status for c in chat.teams.calls_of("send", include_failed=True)][-2:] == [429, 201]
    assert await count(chat.bot, OutboxMessage, OutboxMessage.attempts > 0) == 1
    # The Bot Connector is down for a while: the message waits in the outbox.
    chat.teams.fail_next("send", 503, times=10)
    await chat.say(MADS, "M2")
    await chat.settle()
    assert chat.count(MADS, "Spørgsmål 3 af 3") == 0
    assert await count(chat.bot, OutboxMessage, col(OutboxMessage.status).in_(("pending", "sending"))) >= 1
    chat.forget()  # Teams is back
    chat.bot.clock.advance(minutes=5)
    await chat.bot.tick()
    await chat.expect(MADS, "Spørgsmål 3 af 3")
    assert chat.count(MADS, "Spørgsmål 3 af 3") == 1
    assert await count(chat.bot, OutboxMessage, OutboxMessage.status != "sent") == 0


async def test_the_app_token_is_reused_and_renewed_when_the_connector_refuses_it(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.settle()
    assert len(chat.teams.calls_of("token")) == 1  # one token for every message so far
    # A single-tenant bot gets its token from its own tenant, not from botframework.com.
    assert chat.teams.calls_of("token")[0].path == f"/login/{TENANT_ID}/oauth2/v2.0/token"
    chat.teams.expire_tokens()  # revoked early: the connector answers 401
    await chat.say(MADS, "M1")
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    assert len(chat.teams.calls_of("token")) == 2
    # The token endpoint itself fails for a while: the message is kept and sent later.
    chat.teams.expire_tokens()
    chat.teams.fail_next("token", 503, times=3)
    await chat.say(MADS, "M2")
    await chat.settle()
    assert chat.count(MADS, "Spørgsmål 3 af 3") == 0
    for _ in range(3):  # each try after its backoff
        chat.bot.clock.advance(minutes=5)
        await chat.bot.tick()
    await chat.expect(MADS, "Spørgsmål 3 af 3")
    assert chat.count(MADS, "Spørgsmål 3 af 3") == 1


# ---- proactive messages ---------------------------------------------------------------------
async def test_a_colleague_who_has_the_app_gets_the_first_message_and_one_who_has_not_is_named_to_the_leader(
    teams_chat: TeamsChat,
) -> None:
    chat = teams_chat
    chat.person("UOLE", "Ole")
    await chat.install("UOLE")  # Ole added the app (Teams told the bot) but never wrote to it
    chat.person("UBO", "Bo")  # Bo has the app (installed by an admin), but the bot never heard of it
    chat.person("UEVA", "Eva", installed=False)  # Eva never added the app
    await chat.settle()
    chat.read = {h: len(chat.texts(h)) for h in ("UOLE", "UBO", "UEVA", LISE)}
    creates = len(chat.teams.calls_of("create_conversation"))

    # The references are in the database: a restart forgets nothing.
    await chat.bot.restart()
    await chat.command(LISE, "kontrakt <@UOLE|ole> ABC Demens")
    await chat.expect("UOLE", "Lise har startet en læringskontrakt med dig om *ABC Demens*")
    await chat.expect("UOLE", "Spørgsmål 1 af 3")
    assert len(chat.teams.calls_of("create_conversation")) == creates  # the stored reference sufficed

    # Bo: the bot opens the 1:1 chat itself.
    await chat.command(LISE, "kontrakt <@UBO|bo> ABC Demens")
    await chat.expect("UBO", "Spørgsmål 1 af 3")
    created = chat.teams.calls_of("create_conversation")[-1]
    assert created.body["members"] == [{"id": teams_id("UBO")}] and created.body["tenantId"] == TENANT_ID
    assert created.body["bot"] == {"id": BOT_ID}

    # Eva: the leader is told why nothing started; nothing is kept waiting for her.
    contracts = await count(chat.bot, Contract)
    await chat.command(LISE, "kontrakt <@UEVA|eva> ABC Demens")
    await chat.expect(LISE, "Jeg kan ikke skrive til Eva endnu, fordi Eva ikke har tilføjet Læringsbot i Teams")
    await chat.settle()
    assert await count(chat.bot, Contract) == contracts
    assert chat.texts("UEVA") == []
    assert await count(chat.bot, OutboxMessage, OutboxMessage.status != "sent") == 0

    # When Eva adds the app, the same command works.
    chat.teams.users[teams_id("UEVA")].installed = True
    await chat.install("UEVA")
    await chat.command(LISE, "kontrakt <@UEVA|eva> ABC Demens")
    await chat.expect("UEVA", "Spørgsmål 1 af 3")


async def test_a_colleague_who_removed_the_app_cannot_be_started_with(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    chat.teams.users[teams_id(ANNA)].installed = False
    assert (await chat.bot.post(chat.teams.installation(teams_id(ANNA), action="remove"))).status_code == 200
    await chat.command(LISE, "kontrakt <@UANNA|anna> ABC Demens")
    await chat.expect(LISE, "Jeg kan ikke skrive til Anna endnu")


# ---- commands written to the bot -----------------------------------------------------------
async def test_commands_in_the_personal_chat_and_in_a_channel(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    await chat.say(LISE, "hjælp")
    help_text = await chat.expect(LISE, "*Kommandoer*", "kontrakt @medarbejder")
    assert "/laering" not in help_text
    await chat.say(LISE, "/laering hjælp")  # the Slack habit works too
    await chat.expect(LISE, "*Kommandoer*")
    await chat.say(LISE, "flyv")
    await chat.expect(LISE, "Jeg venter ikke på et svar fra dig lige nu", "hjælp")
    await chat.command(LISE, "kontrakt <@ULISE|lise> ABC")
    await chat.expect(LISE, "Du kan ikke lave en læringskontrakt med dig selv", "kontrakt @medarbejder ABC Demens")

    # In a channel the bot hears only what @mentions it, and its own mention is not a person.
    channel = {
        "id": "19:team-general@thread.tacv2;messageid=1700000000100",
        "conversationType": "channel",
        "tenantId": TENANT_ID,
    }
    unaddressed = chat.teams.message(teams_id(LISE), "hjælp", conversation=channel)
    assert (await chat.bot.post(unaddressed)).status_code == 200
    unknown = chat.teams.message(
        teams_id(LISE), "<at>Læringsbot</at> flyv", conversation=channel, mentions=[(BOT_ID, "Læringsbot")]
    )
    assert (await chat.bot.post(unknown)).status_code == 200
    await chat.expect(LISE, "Den kommando kender jeg ikke", "flyv")
    start = chat.teams.message(
        teams_id(LISE),
        "<at>Læringsbot</at> kontrakt <at>Mads</at> ABC Demens",
        conversation=channel,
        mentions=[(BOT_ID, "Læringsbot"), (teams_id(MADS), "Mads")],
    )
    assert (await chat.bot.post(start)).status_code == 200
    await chat.expect(LISE, "Læringskontrakten om *ABC Demens* er startet med Mads")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.settle()
    # The greeting, `hjælp`, `/laering hjælp`, and the unknown word in the channel; not the unaddressed message.
    assert chat.count(LISE, "Kommandoer") == 4
    async with chat.bot.runtime.db.transaction() as s:
        stored = (await s.exec(select(TeamsConversation).where(TeamsConversation.kind == "channel"))).one()
    assert stored.conversation_id == "19:team-general@thread.tacv2"


async def test_an_answer_that_begins_with_a_command_word_stays_an_answer(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.say(MADS, "Hjælp fra mine kolleger til at forstå demens")
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    await chat.say(MADS, "Sprog og kommunikation med borgerne")
    await chat.expect(MADS, "Spørgsmål 3 af 3")
    await chat.say(MADS, "Sparring med <@UANNA|anna> hver uge")
    summary = await chat.expect(MADS, "Intet sendes, før du trykker")
    for answer in ("Hjælp fra mine kolleger", "Sprog og kommunikation", "Sparring med @Anna hver uge"):
        assert answer in summary
    assert chat.count(MADS, "Kommandoer") == 1  # only the greeting when Mads added the app


async def test_language_and_time_zone_follow_what_teams_says_about_the_person(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    await chat.command("USOFIE", "kontrakt <@UMADS|mads> ABC Dementia")
    await chat.expect("USOFIE", "The learning contract about *ABC Dementia* has started with Mads")
    async with chat.bot.runtime.db.transaction() as s:
        sofie = (await s.exec(select(TeamsUser).where(TeamsUser.user_id == teams_id("USOFIE")))).one()
    assert (sofie.locale, sofie.timezone, sofie.tenant_id) == ("en-GB", "Europe/London", TENANT_ID)


async def test_a_restart_between_two_answers_loses_nothing_on_teams(teams_chat: TeamsChat) -> None:
    chat = teams_chat
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await answer_all(chat, LISE, ["L1", "L2", "L3"], 3)
    await chat.bot.restart()
    await chat.click(LISE, "Send")
    await chat.expect(LISE, "Tak – dine svar er sendt")


async def test_healthz_names_teams(teams_bot: TeamsBot) -> None:
    assert teams_bot.server is not None
    response = await teams_bot.http.get(f"{teams_bot.server.url}/healthz")
    assert response.json() == {"status": "ok", "platforms": ["teams"]}
