"""Contract numbers cannot be tried out: a stranger who writes a number gets the same
answer whether it is someone else's contract, a contract of another kind, or none at all
(also one too large for any database column), on Slack and on Teams."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from bot.storage.models import Contract
from tests.e2e.harness import Chat

LISE, MADS, ANNA = "ULISE", "UMADS", "UANNA"
NO_SUCH = ("99999", "0", "9" * 30)


@pytest.fixture
def chat(any_chat: Chat) -> Chat:
    return any_chat


async def numbers(chat: Chat) -> dict[str, str]:
    async with chat.bot.runtime.db.transaction() as s:
        return {c.flow: str(c.id) for c in (await s.exec(select(Contract))).all()}


async def answers(chat: Chat, stranger: str, command: str, tried: list[str], fragment: str) -> set[str]:
    """What the stranger reads for each number, with the number itself taken out."""
    seen = set()
    for number in tried:
        await chat.command(stranger, command.format(number))
        text = await chat.expect(stranger, fragment)
        assert "Lise" not in text and "Mads" not in text
        seen.add(re.sub(r"\d+…?", "N", text))
    return seen


async def test_a_stranger_learns_nothing_from_trying_contract_numbers(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.command(LISE, "kollega <@UMADS|mads>")
    await chat.command(LISE, "klinisk <@UMADS|mads>")
    await chat.expect(MADS, "Lise har startet en læringskontrakt i klinisk praksis med dig")
    await chat.settle()
    kinds = await numbers(chat)
    assert set(kinds) == {"elearning", "peer", "clinical"}
    every = [*kinds.values(), *NO_SUCH]

    # `eksport <nummer>`: a copy of someone else's contract, or of none.
    exported = await answers(chat, ANNA, "eksport {}", every, "Du kan ikke få en kopi af kontrakt")
    assert exported == {
        "Du kan ikke få en kopi af kontrakt N: enten findes den ikke, eller du er ikke part "
        "i den eller leder for en af parterne."
    }
    # `kollega <nummer> [version]`: someone else's peer contract, another kind, none, no such version.
    peer = kinds["peer"]
    shown = await answers(
        chat, ANNA, "kollega {}", [*every, f"{peer} 1", f"{peer} 99", f"{peer} {'9' * 30}"], "Den kontrakt findes ikke"
    )
    assert shown == {"Den kontrakt findes ikke, eller den er ikke din at se."}
    # `klinisk <nummer>`.
    clinical = await answers(chat, ANNA, "klinisk {}", every, "Den kontrakt kan jeg ikke vise dig")
    assert clinical == {"Den kontrakt kan jeg ikke vise dig: kun vejlederen og den uddannelsessøgende kan se den."}

    # The parties themselves still get theirs.
    await chat.command(LISE, f"klinisk {kinds['clinical']}")
    await chat.expect(LISE, f"Kontrakt {kinds['clinical']}")
