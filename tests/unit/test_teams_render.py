"""Neutral messages as Adaptive Cards: valid against the 1.5 schema, and people's words never markup."""

from __future__ import annotations

import json
from typing import Any

from bot.core.messages import (
    Button,
    Buttons,
    Column,
    Columns,
    Divider,
    Heading,
    Message,
    Note,
    Paragraph,
    Quote,
)
from bot.teams.render import CARD_MAX_BYTES, activities, cards, plain_text
from tests.fakes.teams_api import buttons, card_text
from tests.support.teams_specs import assert_valid_activity

SUMMARY = Message(
    text="Se dine svar igennem.",
    blocks=[
        Heading(text="Dine svar – ABC Demens"),
        Note(text="Se dine svar igennem. Intet sendes, før du trykker *Send*."),
        Quote(label="LÆRINGSMÅL", text="Viden om demenstyper\nog kommunikation"),
        Divider(),
        Columns(title="PRAKSIS", columns=[Column(label="Lise (leder)", text="a"), Column(label="Mads", text="b")]),
        Buttons(
            buttons=[
                Button(label="Send", action="dialog:send", value="7", style="primary"),
                Button(label="Ret et svar", action="dialog:edit", value="7"),
                Button(label="Ja, afbryd", action="dialog:cancel_yes", value="7", style="danger"),
            ]
        ),
    ],
)


def runs(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextRun":
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card)
    return found


def test_every_block_kind_renders_to_a_valid_card_with_execute_buttons() -> None:
    [activity] = activities(SUMMARY)
    assert_valid_activity(activity)
    card = activity["attachments"][0]["content"]
    assert card["version"] == "1.5" and card["msteams"] == {"width": "Full"}
    assert activity["summary"] == "Se dine svar igennem."
    actions = buttons(card)
    assert [(a["type"], a["title"], a["verb"], a["data"]) for a in actions] == [
        ("Action.Execute", "Send", "dialog:send", {"value": "7"}),
        ("Action.Execute", "Ret et svar", "dialog:edit", {"value": "7"}),
        ("Action.Execute", "Ja, afbryd", "dialog:cancel_yes", {"value": "7"}),
    ]
    assert [a.get("style") for a in actions] == ["positive", None, "destructive"]
    text = card_text(card)
    assert "Intet sendes, før du trykker *Send*." in text and "Viden om demenstyper\nog kommunikation" in text


def test_the_bots_bold_and_code_become_styled_runs_and_nothing_is_markdown() -> None:
    card = cards(Message(text="x", blocks=[Paragraph(text="Skriv `hjælp` om *ABC Demens* nu")]))[0]
    assert [(r["text"], r.get("weight"), r.get("fontType")) for r in runs(card)] == [
        ("Skriv ", None, None),
        ("hjælp", None, "Monospace"),
        (" om ", None, None),
        ("ABC Demens", "Bolder", None),
        (" nu", None, None),
    ]
    # TextBlocks read Markdown; RichTextBlock runs never do.
    assert '"TextBlock"' not in json.dumps(card)


def test_what_a_person_wrote_stays_their_literal_words() -> None:
    written = "**fed** _kursiv_ [klik](https://evil.example.org) <at>Anna</at> @channel *stjerner*"
    message = Message(
        text="x",
        blocks=[Quote(label="Svar", text=written), Columns(title="T", columns=[Column(label="*Lise*", text=written)])],
    )
    card = cards(message)[0]
    literal = [r for r in runs(card) if "klik" in r["text"]]
    assert len(literal) == 2
    for run in literal:
        assert run["text"] == written.replace("@channel", "@\u2060channel")  # a dead broadcast
        assert "weight" not in run and "fontType" not in run
    assert {"text": "*Lise*", "type": "TextRun", "weight": "Bolder"} in runs(card)  # a name is not markup either


def test_many_columns_are_stacked_and_a_huge_message_is_split_with_the_buttons_last() -> None:
    group = Columns(title="MÅL", columns=[Column(label=f"P{i}", text="x") for i in range(5)])
    card = cards(Message(text="x", blocks=[group]))[0]
    assert [e["type"] for e in card["body"]] == ["RichTextBlock"] + ["Container"] * 5

    long = Message(
        text="Alle svar",
        blocks=[
            *(Quote(label=f"Spørgsmål {i}", text="æ" * 4000) for i in range(12)),
            Buttons(buttons=[Button(label="Godkend", action="elearning:approve", value="1:1")]),
        ],
    )
    parts = activities(long)
    assert len(parts) > 1
    for part in parts:
        assert_valid_activity(part)
        assert len(json.dumps(part["attachments"][0]["content"], ensure_ascii=False).encode()) <= CARD_MAX_BYTES
    assert [bool(buttons(p["attachments"][0]["content"])) for p in parts] == [False] * (len(parts) - 1) + [True]
    assert sum(card_text(p["attachments"][0]["content"]).count("æ" * 4000) for p in parts) == 12


def test_plain_text_for_the_answer_to_a_press() -> None:
    message = Message(
        text="x", blocks=[Paragraph(text="Kun *Lise* kan gøre det."), Quote(label="Svar", text="*mine* ord")]
    )
    assert plain_text(message) == "Kun Lise kan gøre det. Svar: *mine* ord"
