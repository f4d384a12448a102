"""Neutral messages as Slack Block Kit: within Slack's limits, nothing lost,
nothing a person wrote turned into a mention or a link."""

from __future__ import annotations

import html
import random
from typing import Any

import pytest

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
from bot.slack.render import render
from tests.support.slack_specs import check_message

WORDS = [
    "læring",
    "kollega",
    "borgerne",
    "praksis",
    "&",
    "<vigtigt>",
    "a>b",
    "møde",
    "*fed*",
    "https://example.dk",
    "_kursiv_",
    "ÆØÅ",
]


def answer(length: int, seed: int = 1) -> str:
    """A person's long answer: words, line breaks and characters Slack must have escaped."""
    rng = random.Random(seed)
    text = ""
    while len(text) < length:
        text += rng.choice(WORDS) + rng.choice([" ", " ", " ", "\n", "\n\n"])
    return text[: length - 1].rstrip() + "." if length > 1 else "."


def unquoted(blocks: list[dict[str, Any]]) -> str:
    """The section texts joined, with the "> " of quoting taken off and Slack's escaping undone."""
    texts = []
    for block in blocks:
        if block["type"] != "section":
            continue
        lines = []
        for line in block["text"]["text"].split("\n"):
            lines.append(line[2:] if line.startswith("> ") else "" if line == ">" else line)
        texts.append("\n".join(lines))
    return html.unescape("".join(texts))


def assert_valid(parts: list[dict[str, Any]]) -> None:
    for i, part in enumerate(parts):
        assert check_message(part) == [], f"part {i}"


def test_the_answer_generator_makes_what_the_tests_need():
    text = answer(4000)
    assert len(text) == 4000 and "\n" in text and "&" in text and "<" in text


def test_a_large_message_stays_within_slack_limits_and_loses_no_answer():
    long_answer, leader, employee = answer(4000, 1), answer(4000, 2), answer(4000, 3)
    message = Message(
        text="Dine svar",
        blocks=[
            Heading(text="H" * 200),
            Quote(label="LÆRINGSMÅL", text=long_answer),
            Columns(
                title="STØTTE", columns=[Column(label="Leder", text=leader), Column(label="Medarbejder", text=employee)]
            ),
            Columns(title="Gruppen", columns=[Column(label=f"Person {i}", text=f"Svar {i}") for i in range(12)]),
            Divider(),
            *[Paragraph(text=f"Afsnit {i}") for i in range(60)],
            Note(text="Spørgsmål 2 af 5"),
        ],
    )
    parts = render(message)
    assert len(parts) >= 2
    assert_valid(parts)
    blocks = [block for part in parts for block in part["blocks"]]
    header = blocks[0]["text"]["text"]
    assert len(header) <= 150 and header.startswith("H" * 149)
    rendered = unquoted(blocks)
    for text in (long_answer, leader, employee):
        assert text in rendered
    # Twelve columns do not fit side by side; every one is still there.
    for i in range(12):
        assert f"Person {i}" in rendered and f"Svar {i}" in rendered
    assert all(f"Afsnit {i}" in rendered for i in range(60))


def test_short_columns_stand_side_by_side():
    message = Message(
        text="x",
        blocks=[
            Columns(
                title="MÅL",
                columns=[Column(label="Leder", text="Faglighed"), Column(label="Medarbejder", text="Demens")],
            )
        ],
    )
    [part] = render(message)
    assert_valid([part])
    [section] = part["blocks"]
    assert [f["text"] for f in section["fields"]] == ["*Leder*\nFaglighed", "*Medarbejder*\nDemens"]


def test_a_message_with_buttons_has_them_in_its_last_part():
    message = Message(
        text="Dine svar",
        blocks=[
            *[Paragraph(text=f"Afsnit {i}") for i in range(60)],
            Buttons(
                buttons=[
                    Button(label="Send", action="dialog:send", style="primary"),
                    Button(label="Ret et svar", action="dialog:edit"),
                ]
            ),
        ],
    )
    parts = render(message)
    assert len(parts) == 2
    assert_valid(parts)
    assert parts[-1]["blocks"][-1]["type"] == "actions"
    assert all(b["type"] != "actions" for part in parts[:-1] for b in part["blocks"])
    assert [e["text"]["text"] for e in parts[-1]["blocks"][-1]["elements"]] == ["Send", "Ret et svar"]


HOSTILE = "<!channel> @here <@U123> & <https://x|y>"


def _all_texts(part: dict[str, Any]) -> list[str]:
    texts = [part["text"]]
    for block in part["blocks"]:
        if "text" in block:
            texts.append(block["text"]["text"])
        texts += [f["text"] for f in block.get("fields", [])]
    return texts


@pytest.mark.parametrize(
    "block",
    [
        Quote(label="Svar", text=HOSTILE),
        Columns(title="MÅL", columns=[Column(label="Leder", text=HOSTILE), Column(label="Mig", text="ok")]),
        Paragraph(text=HOSTILE),
    ],
    ids=["quote", "columns", "paragraph"],
)
def test_what_a_person_wrote_never_becomes_a_mention_or_a_link(block):
    [part] = render(Message(text=HOSTILE, blocks=[block]))
    assert_valid([part])
    texts = _all_texts(part)
    for text in texts:
        assert "<!" not in text and "<@" not in text and "<http" not in text
        assert "@here" not in text
    joined = "\n".join(texts[1:])
    assert "@\u2060here" in joined
    assert "&amp;" in joined
    assert "&lt;!channel&gt;" in joined and "&lt;@U123&gt;" in joined
    assert "@\u2060here" in part["text"] and "&amp;" in part["text"]


def test_broadcast_words_are_broken_in_any_case():
    [part] = render(Message(text="x", blocks=[Quote(label="Svar", text="@Channel og @EVERYONE og @here!")]))
    text = part["blocks"][0]["text"]["text"]
    assert "@\u2060Channel" in text and "@\u2060EVERYONE" in text and "@\u2060here!" in text


def test_duplicate_button_actions_get_unique_action_ids():
    message = Message(
        text="Hvilket svar vil du rette?",
        blocks=[
            Buttons(
                buttons=[
                    Button(label="LÆRINGSMÅL", action="dialog:edit_pick", value="goals"),
                    Button(label="FORANDRING I PRAKSIS", action="dialog:edit_pick", value="practice"),
                    Button(label="STØTTE", action="dialog:edit_pick", value="support"),
                    Button(label="Tilbage", action="dialog:back"),
                ]
            )
        ],
    )
    [part] = render(message)
    assert_valid([part])
    elements = part["blocks"][0]["elements"]
    assert [e["action_id"] for e in elements] == [
        "dialog:edit_pick",
        "dialog:edit_pick#1",
        "dialog:edit_pick#2",
        "dialog:back",
    ]
    assert [e["value"] for e in elements] == ["goals", "practice", "support", ""]


def test_a_quote_of_short_lines_stays_within_the_section_limit():
    # A list of 2000 one-character lines (3999 characters, under the 4000 limit) written by
    # "Sofie": "> " doubles every line, and the split leaves no room for the odd one out.
    text = "\n".join(["x"] * 2000)
    assert len(text) <= 4000
    message = Message(
        text="Svar",
        blocks=[Columns(title="MÅL", columns=[Column(label="Sofie", text=text), Column(label="Lise", text=text)])],
    )
    parts = render(message)
    assert_valid(parts)
    assert text in unquoted([b for part in parts for b in part["blocks"]])


def test_buttons_carry_the_id_of_the_post_they_belong_to() -> None:
    message = Message(text="t", blocks=[Buttons(buttons=[Button(label="Send", action="dialog:send", value="1")])])
    [part] = render(message, posted=42)
    assert part["blocks"][-1]["block_id"] == "posted:42"
    assert check_message(part) == []
