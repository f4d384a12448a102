"""People the bot names are live mentions (issue 13, point 4): a learning meeting's channel
posts as Slack and Teams receive them, raw, and a case title that tries to forge one."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tests.e2e.teams_harness import channel_id, teams_id
from tests.fakes.teams_api import card_of

CPH = ZoneInfo("Europe/Copenhagen")
TEAM = "CTEAM"
FORGED = "Ring til <@UBOSS> og <at>Chef</at> @here \ue000slack\ue001T\ue001UBOSS\ue001Chef\ue002"


async def at(chat: Any, moment: datetime) -> None:
    chat.bot.clock.set(moment)
    await chat.bot.tick()
    await chat.settle()


async def meeting_with_a_case(chat: Any) -> None:
    """Lise sets up a meeting with Mads as facilitator; Anna brings a case with a sly title."""
    await at(chat, datetime(2027, 1, 1, 10, 0, tzinfo=CPH))
    await chat.post_in_channel("ULISE", TEAM, "møde tirsdag 09:00 <@UMADS|mads>")
    await chat.settle()
    await chat.expect_in_channel(TEAM, "Lise har oprettet en serie", "Facilitator: Mads")
    await at(chat, datetime(2027, 1, 4, 9, 0, 30, tzinfo=CPH))
    await chat.expect_in_channel(TEAM, "Facilitator: *Mads*", "[Jeg har en case]")
    await chat.click_in_channel("UANNA", TEAM, "Jeg har en case")
    await chat.settle()
    await chat.expect("UANNA", "Hvad handler den om?")
    await chat.say("UANNA", FORGED)
    await chat.settle()
    await chat.updated("Case: *Anna* – Ring til")


def slack_channel_posts(chat: Any) -> list[dict[str, Any]]:
    return [
        c.args
        for c in chat.slack.calls
        if c.method in ("chat.postMessage", "chat.update") and c.args.get("channel") == TEAM
    ]


async def test_slack_channel_posts_mention_people_and_never_what_someone_wrote(chat) -> None:
    await meeting_with_a_case(chat)
    created, reminder, *_ = slack_channel_posts(chat)
    # Who set it up and the facilitator: live mentions, in the blocks and the notification text.
    assert created["text"].startswith("<@ULISE> har oprettet en serie")
    assert "Facilitator: <@UMADS>." in json.dumps(created["blocks"], ensure_ascii=False)
    assert "Facilitator: *<@UMADS>*" in json.dumps(reminder["blocks"], ensure_ascii=False)
    # The header (plain text) names without a mention.
    updated = [a for a in slack_channel_posts(chat) if "Ring til" in json.dumps(a, ensure_ascii=False)][-1]
    shown = json.dumps(updated["blocks"], ensure_ascii=False)
    title = shown.split("Case: *<@UANNA>* – Ring til ", 1)[1].split('"', 1)[0]
    assert "<@" not in title and "@\u2060here" in title and "slackTUBOSSChef" in title, title
    # Anna's title mentions nobody: no <@UBOSS> anywhere, and no marker character left.
    everything = json.dumps([c.args for c in chat.slack.calls], ensure_ascii=False)
    assert "<@UBOSS>" not in everything and "\ue000" not in everything and "\ue001" not in everything
    chat.check_payloads()


async def test_teams_channel_posts_mention_people_with_their_entities(teams_chat) -> None:
    chat = teams_chat
    await meeting_with_a_case(chat)
    cards = []
    for call in chat.teams.calls_of("send") + chat.teams.calls_of("update"):
        card = card_of(call.body)
        if card and channel_id(TEAM) in call.path.replace("%3A", ":").replace("%40", "@"):
            cards.append(card)
    created = cards[0]
    texts = [e["text"] for e in created["body"] if e["type"] == "TextBlock"]
    assert any(t.startswith("<at>Lise</at> har oprettet en serie") and "<at>Mads</at>" in t for t in texts)
    entities = {e["mentioned"]["id"]: e for e in created["msteams"]["entities"]}
    assert entities == {
        teams_id("ULISE"): {
            "type": "mention",
            "text": "<at>Lise</at>",
            "mentioned": {"id": teams_id("ULISE"), "name": "Lise"},
        },
        teams_id("UMADS"): {
            "type": "mention",
            "text": "<at>Mads</at>",
            "mentioned": {"id": teams_id("UMADS"), "name": "Mads"},
        },
    }
    # The case with Anna's title: Anna is mentioned, what she wrote is literal text.
    titled = [c for c in cards if "Ring til" in json.dumps(c, ensure_ascii=False)][-1]
    line = next(e["text"] for e in titled["body"] if e["type"] == "TextBlock" and "Ring til" in e["text"])
    assert line.startswith("Case: **<at>Anna</at>** – Ring til ")
    assert "<at>" not in line.split("Ring til ", 1)[1] and "slackTUBOSSChef" in line, line
    assert {e["mentioned"]["id"] for e in titled["msteams"]["entities"]} <= {teams_id("UANNA"), teams_id("UMADS")}
    everything = json.dumps([c.body for c in chat.teams.calls], ensure_ascii=False)
    assert "\ue000" not in everything and "\ue001" not in everything
    chat.check_payloads()
