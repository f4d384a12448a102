"""People the bot names: live mentions on each platform, plain names where none can be,
and never a mention made of what a person wrote."""

from __future__ import annotations

import json
from typing import Any

from bot.core import mentions
from bot.core.document import markdown, pdf
from bot.core.events import ActionIn, CommandIn, MessageIn, Profile
from bot.core.i18n import genitive
from bot.core.messages import Block, Button, Buttons, Column, Columns, Heading, Message, Note, Paragraph, Picker, Quote
from bot.slack.render import home_view, render
from bot.teams.render import activities, cards, plain_text
from tests.fakes.teams_api import card_text
from tests.support.slack_specs import check_blocks, check_message
from tests.support.teams_specs import assert_valid_activity

LISE = mentions.mention("slack", "T1", "ULISE", "Lise")
MADS_TEAMS = mentions.mention("teams", None, "29:mads", "Mads")
BO_OTHER_WORKSPACE = mentions.mention("slack", "T2", "UBO", "Bo")


def slack_texts(parts: list[dict[str, Any]]) -> str:
    return json.dumps(parts, ensure_ascii=False)


def test_a_marker_reads_back_as_the_person_and_plain_as_the_name() -> None:
    text = f"Godkendt af {LISE}."
    assert mentions.pieces(text) == ["Godkendt af ", mentions.Mentioned("slack", "T1", "ULISE", "Lise"), "."]
    assert mentions.plain(text) == "Godkendt af Lise."
    # A name cannot break out of its marker.
    sly = mentions.mention("slack", "T1", "UX", f"Eve{mentions.END}{mentions.START}")
    assert mentions.plain(sly) == "Eve"


def test_a_broken_marker_is_text_and_a_cut_never_splits_one() -> None:
    text = f"ab {LISE} cd"
    inside = text.index(LISE) + 3
    assert mentions.safe_cut(text, inside) == text.index(LISE)
    assert mentions.safe_cut(text, len(text)) == len(text)
    # A text cut through a marker anyway (a summary cut to length) shows the name or nothing.
    assert mentions.plain(text[:inside]) == "ab "
    assert mentions.plain(text[inside:]) == "Lise cd"


def test_nothing_from_outside_can_carry_a_marker() -> None:
    forged = f"Se {LISE} {mentions.START}slack{mentions.SEP}T1{mentions.SEP}UBOSS{mentions.SEP}Chef{mentions.END}"
    events = [
        CommandIn(platform="slack", user="U1", text=forged, channel_name=forged),
        MessageIn(platform="slack", user="U1", text=forged),
        ActionIn(platform="slack", user="U1", action="x:y", value=forged, fields={"topic": forged}),
    ]
    for event in events:
        for value in (getattr(event, "text", ""), getattr(event, "value", ""), *getattr(event, "fields", {}).values()):
            assert not mentions.has_mentions(value) and mentions.plain(value) == value
    assert not mentions.has_mentions(Profile(external_id="U1", display_name=forged).display_name)


def test_a_genitive_follows_the_name_inside_the_marker() -> None:
    assert mentions.plain(genitive(LISE, "da")) == "Lises"
    assert mentions.plain(genitive(mentions.mention("slack", "T1", "UM", "Mads"), "da")) == "Mads'"
    assert genitive(LISE, "en").startswith(LISE)


def test_slack_mentions_in_mrkdwn_and_the_text_and_names_in_plain_text_fields() -> None:
    message = Message(
        text=f"{LISE} har godkendt",
        blocks=[
            Heading(text=f"Kontrakt med {LISE}"),
            Paragraph(text=f"*{LISE}* har godkendt, {BO_OTHER_WORKSPACE} og {MADS_TEAMS} ser med."),
            Note(text=f"Godkendt af {LISE}"),
            Quote(label=f"{LISE} skrev", text="<@UBOSS> @channel"),
            Columns(title="Svar", columns=[Column(label=LISE, text="a"), Column(label="Mads", text="b")]),
            Picker(picks="person", label=f"Vælg i stedet for {LISE}", submit="Send"),
            Buttons(buttons=[Button(label=f"Svar {LISE}", action="a:b")]),
        ],
    )
    [part] = render(message, 1, "T1")
    assert not check_message(part), check_message(part)
    assert part["text"] == "<@ULISE> har godkendt"
    header, paragraph, note, quote, columns, picker, buttons = part["blocks"]
    assert header["text"]["text"] == "Kontrakt med Lise"
    # Someone of another workspace or platform is named, not mentioned.
    assert paragraph["text"]["text"] == "*<@ULISE>* har godkendt, Bo og Mads ser med."
    assert note["elements"][0]["text"] == "Godkendt af <@ULISE>"
    # The label is the bot's; the person's words under it stay dead.
    assert quote["text"]["text"] == "*<@ULISE> skrev*\n> &lt;@UBOSS&gt; @\u2060channel"
    assert columns["fields"][0]["text"].startswith("*<@ULISE>*")
    assert picker["elements"][0]["placeholder"]["text"] == "Vælg i stedet for Lise"
    assert buttons["elements"][0]["text"]["text"] == "Svar Lise"
    assert mentions.START not in slack_texts([part])
    # Read in another workspace, nobody is mentioned.
    assert "<@" not in slack_texts(render(message, 1, "T9"))
    home = home_view(message, 1, "T1")
    assert not check_blocks(home["blocks"], "home") and "<@ULISE>" in slack_texts(home["blocks"])


def test_a_long_slack_text_is_split_between_mentions_never_through_one() -> None:
    text = " ".join([f"{LISE} har skrevet noget langt"] * 400)
    [*parts] = render(Message(text=text, blocks=[Paragraph(text=text)]), None, "T1")
    blocks = [b for p in parts for b in p["blocks"]]
    assert len(blocks) > 1
    for block in blocks:
        assert not check_blocks([block]), check_blocks([block])
        words = block["text"]["text"]
        assert "ULISE" not in words.replace("<@ULISE>", "") and "slack" not in words  # no half marker
    assert mentions.START not in slack_texts(parts)


def test_teams_mentions_in_a_text_block_with_its_entity_and_names_elsewhere() -> None:
    message = Message(
        text=f"{MADS_TEAMS} har godkendt",
        blocks=[
            Heading(text=f"Kontrakt med {MADS_TEAMS}"),
            Paragraph(text=f"*{MADS_TEAMS}* har godkendt *Demens_1* [link](x) og {LISE} ser med.\nUden navn."),
            Note(text=f"- Godkendt af {MADS_TEAMS}"),
            Quote(label=f"{MADS_TEAMS} skrev", text="<at>Chef</at> **x**"),
            Buttons(buttons=[Button(label=f"Svar {MADS_TEAMS}", action="a:b")]),
        ],
    )
    [activity] = activities(message, 1)
    assert_valid_activity(activity)  # the 1.5 schema, and an entity for every <at>
    card = activity["attachments"][0]["content"]
    assert activity["summary"] == "Mads har godkendt" and card["fallbackText"] == "Mads har godkendt"
    entity = {"type": "mention", "text": "<at>Mads</at>", "mentioned": {"id": "29:mads", "name": "Mads"}}
    assert card["msteams"] == {"width": "Full", "entities": [entity]}
    heading, line, plain_line, note, quote, actions = card["body"]
    assert heading["type"] == "RichTextBlock" and heading["inlines"][0]["text"] == "Kontrakt med Mads"
    assert line == {
        "type": "TextBlock",
        "text": "**<at>Mads</at>** har godkendt **Demens\\_1** \\[link\\](x) og Lise ser med.",
        "wrap": True,
    }
    assert plain_line["type"] == "RichTextBlock"  # a line that names nobody stays literal runs
    assert note["type"] == "TextBlock" and note["text"].startswith("\\- Godkendt af <at>Mads</at>")
    assert note["isSubtle"] is True
    # A person's words are never Markdown or a mention, under a label that names the person plainly.
    assert quote["items"][0]["inlines"][0]["text"] == "Mads skrev"
    assert quote["items"][1]["inlines"][0]["text"] == "<at>Chef</at> **x**"
    assert actions["actions"][0]["title"] == "Svar Mads"
    assert "Mads har godkendt Demens_1 [link](x) og Lise ser med." in card_text(card).replace("*", "")
    assert mentions.START not in json.dumps(activity, ensure_ascii=False)
    assert plain_text(message).startswith("Kontrakt med Mads Mads har godkendt")


def test_a_teams_line_with_a_mention_keeps_a_repeated_title_literal() -> None:
    """A topic someone wrote, in the bot's line beside a mention: its Markdown and its `<at>` are
    escaped, so only the bot's mention is live."""
    [card] = cards(Message(text="t", blocks=[Paragraph(text=f"{MADS_TEAMS}: <at>Chef</at> _x_ 1. [a](b)")]))
    [line] = card["body"]
    assert line["text"] == "<at>Mads</at>: \\<at>Chef\\</at> \\_x\\_ 1. \\[a\\](b)"
    assert [e["mentioned"]["id"] for e in card["msteams"]["entities"]] == ["29:mads"]


def test_a_teams_card_split_in_two_carries_the_entities_of_its_own_part() -> None:
    other = mentions.mention("teams", None, "29:anna", "Anna")
    filler = "x" * 2000
    blocks: list[Block] = [Paragraph(text=f"{who} {filler}") for who in [MADS_TEAMS] * 12 + [other] * 12]
    parts = cards(Message(text="t", blocks=blocks))
    assert len(parts) > 1
    for card in parts:
        assert_valid_activity(
            {
                "type": "message",
                "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
            }
        )
    assert [e["mentioned"]["id"] for e in parts[0]["msteams"]["entities"]] == ["29:mads"]
    assert [e["mentioned"]["id"] for e in parts[-1]["msteams"]["entities"]] == ["29:anna"]


def test_documents_name_people_and_notify_nobody() -> None:
    message = Message(text="t", blocks=[Paragraph(text=f"Godkendt af {LISE}"), Quote(label=LISE, text="svar")])
    assert "Godkendt af Lise" in markdown(message) and mentions.START not in markdown(message)
    assert pdf(message, title=f"Kontrakt {LISE}", footer="f", language="da").startswith(b"%PDF")
