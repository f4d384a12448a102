"""The message catalogues (dialogs/messages/{da,en}.yaml) and dates as people read them."""

from __future__ import annotations

import shutil
import string
import typing
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from bot.core.dialogs import DialogError
from bot.core.engine import Refused
from bot.core.i18n import Catalog, format_day

MESSAGES = Path(__file__).resolve().parents[2] / "dialogs" / "messages"
CPH = "Europe/Copenhagen"


def _flat(data: dict[str, typing.Any], prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def _read(language: str) -> dict[str, object]:
    return _flat(yaml.safe_load((MESSAGES / f"{language}.yaml").read_text(encoding="utf-8")))


def _placeholders(text: object) -> set[str]:
    if not isinstance(text, str):
        return set()
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_shipped_catalogues_have_the_same_keys_and_placeholders():
    da, en = _read("da"), _read("en")
    assert sorted(da.keys() - en.keys()) == []
    assert sorted(en.keys() - da.keys()) == []
    differing = [k for k in da if _placeholders(da[k]) != _placeholders(en[k])]
    assert differing == []
    Catalog.load(MESSAGES)  # and the loader agrees


def test_progress_reads_as_in_the_product_description():
    catalog = Catalog.load(MESSAGES)
    assert catalog.text("da", "dialog.progress", number=2, total=5) == "Spørgsmål 2 af 5"
    assert catalog.text("en", "dialog.progress", number=2, total=5) == "Question 2 of 5"


def test_every_refusal_of_the_engine_has_a_text_in_both_languages():
    catalog = Catalog.load(MESSAGES)
    reasons = typing.get_args(typing.get_type_hints(Refused)["reason"])
    assert "too_long" in reasons
    for language in ("da", "en"):
        for reason in reasons:
            assert catalog.text(language, f"dialog.refused.{reason}", limit=4000, length=4001)
        too_long = catalog.text(language, "dialog.refused.too_long", limit=4000, length=4321)
        assert "4000" in too_long and "4321" in too_long


@pytest.fixture
def copied(tmp_path: Path) -> Path:
    folder = tmp_path / "messages"
    shutil.copytree(MESSAGES, folder)
    return folder


def _edit_en(folder: Path, change) -> None:
    path = folder / "en.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_a_key_missing_in_english_is_named(copied):
    _edit_en(copied, lambda data: data["dialog"].pop("progress"))
    with pytest.raises(DialogError) as caught:
        Catalog.load(copied)
    assert "'dialog.progress' is missing in en.yaml" in str(caught.value)


def test_other_placeholders_in_english_are_named(copied):
    _edit_en(copied, lambda data: data["dialog"].update(progress="Question {n} of {total}"))
    with pytest.raises(DialogError) as caught:
        Catalog.load(copied)
    assert "'dialog.progress' has other placeholders in da and en" in str(caught.value)


def test_format_day_in_danish_and_english():
    noon = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
    assert format_day(noon, "da", CPH) == "21. november 2026"
    assert format_day(noon, "en", CPH) == "21 November 2026"


def test_format_day_shows_the_local_date_just_after_midnight():
    # 00:30 in Copenhagen is still the evening before in UTC.
    winter = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)
    assert format_day(winter, "da", CPH) == "21. november 2026"
    summer = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)  # CEST: 00:30 on 1 July
    assert format_day(summer, "da", CPH) == "1. juli 2026"
    assert format_day(summer, "en", CPH) == "1 July 2026"
    assert format_day(summer, "en", "UTC") == "30 June 2026"


@pytest.mark.parametrize(
    ("key", "spellings"),
    [
        ("meeting.commands.meeting", {"møde", "moede", "mode", "meeting"}),
        ("commands.help", {"hjælp", "hjaelp", "hjalp", "help"}),
        ("visit.commands.visit", {"besøg", "besoeg", "besog", "visit"}),
        ("export.commands.export", {"eksportér", "eksporter", "eksport", "export"}),
        ("words.resume", {"fortsæt", "fortsaet", "fortsat", "continue"}),
        ("meeting.words.weekdays.saturday", {"lørdag", "loerdag", "lordag", "lør", "lor", "saturday"}),
    ],
)
def test_a_word_with_danish_letters_is_taken_without_them_too(key: str, spellings: set[str]) -> None:
    assert spellings <= Catalog.load(MESSAGES).words(key)


def _word_lists() -> list[str]:
    return sorted(k for k, v in _read("da").items() if isinstance(v, list))


def test_no_spelling_of_a_word_is_a_word_of_its_neighbour() -> None:
    """Words that are told apart (the commands, a meeting's subcommands, the weekdays, the words
    instead of an answer) share no spelling, with or without Danish letters."""
    from bot.flows.router import Router

    catalog = Catalog.load(MESSAGES)
    groups: dict[str, list[str]] = {}
    for key in _word_lists():
        groups.setdefault(key.rpartition(".")[0], []).append(key)
    groups["the command words"] = [c.words for part in Router().parts for c in part.commands]
    for name, keys in groups.items():
        seen: dict[str, str] = {}
        for key in keys:
            for word in catalog.words(key):
                assert seen.setdefault(word, key) == key, f"{name}: {word!r} is {seen[word]} and {key}"


# A name's genitive as Danish writes it: an apostrophe after s, x and z, else an s.
GENITIVES = {"Mads": "Mads'", "Lars": "Lars'", "Max": "Max'", "Liz": "Liz'", "Anna": "Annas", "Ole": "Oles"}


def test_a_name_takes_the_danish_genitive_in_every_text_that_gives_it_one():
    catalog = Catalog.load(MESSAGES)
    da = _read("da")
    # No text glues an s to a placeholder ("{name}s" is "Madss"): it says {name:gen}.
    glued = [
        k
        for k, text in da.items()
        if isinstance(text, str)
        and any(
            text[end : end + 1] == "s" and not text[end + 1 : end + 2].isalpha()
            for end in (i + 1 for i, ch in enumerate(text) if ch == "}")
        )
    ]
    assert glued == []
    genitive_keys = [k for k, text in da.items() if isinstance(text, str) and ":gen}" in text]
    assert "peer.copy.own_title" in genitive_keys and "visit.intro_points_edit" in genitive_keys
    for key in genitive_keys:
        for name, written in GENITIVES.items():
            values = {field: name for field in _placeholders(da[key])}
            assert written in catalog.text("da", key, **values), key
    assert catalog.text("da", "peer.copy.own_title", name="Mads") == "Mads' egne felter"
    assert catalog.text("da", "peer.copy.own_title", name="Anna") == "Annas egne felter"
    assert catalog.text("en", "peer.copy.own_title", name="Mads").startswith("Mads")


def test_english_reads_as_english_and_danish_as_danish():
    """Course names are names ("ABC Demens" stays); "vejledende feedback" is formative feedback;
    no agreeing to the agreement; the round is "hver især"."""
    from bot.core.dialogs import load_dialogs

    catalog = Catalog.load(MESSAGES)
    en = _read("en")
    assert "ABC Demens" in catalog.text("en", "elearning.usage") and "ABC Demens" in catalog.text(
        "en", "playground.hint"
    )
    assert not [
        k
        for k, t in en.items()
        if isinstance(t, str) and ("Dementia" in t or "agreeing to the agreement" in t or "Agree to the agreement" in t)
    ]
    assert catalog.text("en", "clinical.status.agreement_review") == "the trainee is reading the agreement"
    dialogs = load_dialogs(MESSAGES.parent)
    clinical = dialogs["clinical"].questions["feedback_when"]
    assert clinical.title("en") == "FORMATIVE FEEDBACK" and clinical.title("da") == "VEJLEDENDE FEEDBACK"
    agenda = (MESSAGES.parent / "meeting.yaml").read_text(encoding="utf-8")
    assert "I reflekterer hver især over" in agenda and "hver reflekterer" not in agenda
