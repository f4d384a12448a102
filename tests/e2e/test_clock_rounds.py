"""The clock's work in rounds (`Runtime.due`): a round stops when its share of time is
used and leaves the rest to the next. However little time a round has, a tick does all
that is due, each thing once, and every flow gets its turn."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select

import bot.app
from bot.storage.models import AuditEvent, Contract, Party, Person
from bot.storage.personal_data import months_before
from tests.e2e.harness import Chat

CPH = ZoneInfo("Europe/Copenhagen")
CHANNELS = ("CONE", "CTWO", "CTHREE")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=CPH)


async def old_closed_contracts(chat: Chat, n: int, finished: datetime) -> None:
    """`n` e-learning contracts of Lise and Mads, closed at `finished`, as the flow leaves them."""
    async with chat.bot.runtime.db.transaction() as s:
        people = {p.external_id: p.id for p in (await s.exec(select(Person))).all()}
        for i in range(n):
            contract = Contract(
                flow="elearning",
                title=f"Kursus {i}",
                status="closed",
                starter_id=people["ULISE"],
                created_at=finished,
                updated_at=finished,
                closed_at=finished,
            )
            s.add(contract)
            await s.flush()
            assert contract.id is not None
            s.add(Party(contract_id=contract.id, person_id=people["ULISE"], role="leader"))
            s.add(Party(contract_id=contract.id, person_id=people["UMADS"], role="employee"))


async def test_a_tick_with_no_time_to_spare_still_does_all_that_is_due_once(chat: Chat, monkeypatch) -> None:
    # Every round: one item, then the next round (on either database).
    monkeypatch.setattr(bot.app, "ROUND_SHARE", 0.0)
    monkeypatch.setattr(bot.app, "ROUND_SHARE_SHARED", 0.0)
    chat.bot.clock.set(local(2027, 1, 1, 10, 0))
    for channel in CHANNELS:
        await chat.post_in_channel("ULISE", channel, "møde tirsdag 09:00 <@UMADS|mads>")
    await chat.settle()
    await chat.command("UMADS", "mine")  # Mads is known to the bot
    await chat.settle()
    due = local(2027, 1, 4, 9, 0, 30)  # the three reminders, the retention's day
    await old_closed_contracts(chat, 30, months_before(due, 37))

    chat.bot.clock.set(due)
    await chat.bot.tick()

    for channel in CHANNELS:
        reminders = [t for t in chat.channel_texts(channel) if "Læringsmøde 5. januar 2027 kl. 09:00" in t]
        assert len(reminders) == 1, (channel, chat.channel_texts(channel))
    async with chat.bot.runtime.db.transaction() as s:
        left = (await s.exec(select(func.count()).select_from(Contract).where(Contract.flow == "elearning"))).one()
        audits = (
            await s.exec(
                select(AuditEvent).where(AuditEvent.action == "retention.deleted").order_by(col(AuditEvent.id))
            )
        ).all()
    assert left == 0
    # A chunk at a time, each round's deletions written down in that round.
    assert [a.detail["contracts"] for a in audits] == [25, 5]

    # The rest of the day the retention is done, and nothing is posted again.
    await chat.bot.tick()
    for channel in CHANNELS:
        assert sum("Læringsmøde 5. januar 2027" in t for t in chat.channel_texts(channel)) == 1


async def test_nudges_in_rounds_with_no_time_to_spare_reach_everyone_once(chat: Chat, monkeypatch) -> None:
    monkeypatch.setattr(bot.app, "ROUND_SHARE", 0.0)
    monkeypatch.setattr(bot.app, "ROUND_SHARE_SHARED", 0.0)
    chat.bot.clock.set(local(2027, 1, 4, 10, 0))  # a Monday
    for employee in ("UMADS", "UANNA"):
        await chat.command("ULISE", f"kontrakt <@{employee}|{employee[1:].lower()}> ABC Demens")
        await chat.expect(employee, "Spørgsmål 1 af 3")
    await chat.settle()

    chat.bot.clock.set(local(2027, 1, 7, 10, 0))  # three working days of silence: one tick nudges both
    await chat.bot.tick()
    await chat.settle()
    for employee in ("UMADS", "UANNA"):
        assert chat.count(employee, "jeg venter stadig på dit svar til *ABC Demens*") == 1, chat.texts(employee)
    await chat.bot.tick()  # and only once
    await chat.settle()
    for employee in ("UMADS", "UANNA"):
        assert chat.count(employee, "jeg venter stadig") == 1

    chat.bot.clock.set(local(2027, 1, 12, 10, 0))  # six working days: Lise hears of both, once
    await chat.bot.tick()
    await chat.bot.tick()
    await chat.settle()
    for name in ("Mads", "Anna"):
        assert chat.count("ULISE", f"{name} har ikke svaret på *ABC Demens* i 5 arbejdsdage") == 1
