"""Reliability as an operator meets it: the real bot process is killed (-9), stopped
(SIGTERM) and run twice on one database, while people are in the middle of a contract.

Whatever happens to the process, a person's answers are never lost, no message reaches
them twice, and their next question arrives within a few seconds of the bot being back
(the target: work held by a dead process is taken over within 5 s; asserted with 8 s).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.conftest import _postgres_schema_url
from tests.e2e.test_elearning_contract import LEADER_ANSWERS, MADS_ANSWERS
from tests.fakes.slack_api import FakeSlack
from tests.support.balancer import HAProxy
from tests.support.process import SOURCE_VARIABLE, Alternating, BotProcess, FaultedCalls, ProcessChat

LISE, MADS = "ULISE", "UMADS"
# Seconds from the bot being back (or from the kill, with a survivor) to the next message.
# TEST_TAKEOVER_SECONDS=90 (with `-o timeout=900`) waits out a stall to see what comes after it.
TAKEOVER = float(os.environ.get("TEST_TAKEOVER_SECONDS", "8"))
# How long after the 200 each kill comes: before processing, while processing, while sending, after.
KILL_DELAYS = (0.0, 0.03, 0.1, 0.25, 0.5, 1.0)

Spawn = Callable[..., BotProcess]


@pytest.fixture
def bot_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The test's database (tests/conftest.py's `database_url`). With TEST_BOT_SOURCE, an empty one
    migrated with that version's own migrations, as a deploy does (`laeringsbot migrate`; a version
    from before that command has `serve` migrate by itself, and the command fails harmlessly)."""
    source = os.environ.get(SOURCE_VARIABLE)
    if not source:
        url: str = request.getfixturevalue("database_url")
        return url
    base = os.environ.get("TEST_DATABASE_URL")
    url = _postgres_schema_url(base) if base else f"sqlite:///{tmp_path / 'bot.db'}"
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "migrate"],
        cwd=tmp_path,
        env=os.environ | {"DATABASE_URL": url, "PYTHONPATH": source},
        capture_output=True,
        timeout=120,
    )
    return url


@pytest.fixture
async def spawn(bot_database_url: str, slack: FakeSlack, tmp_path: Path) -> AsyncIterator[Spawn]:
    """Make bot processes on the test's database; every one is killed when the test ends."""
    made: list[BotProcess] = []

    def make(name: str = "bot") -> BotProcess:
        process = BotProcess(database_url=bot_database_url, slack=slack, workdir=tmp_path, name=name)
        made.append(process)
        return process

    yield make
    for process in made:
        await process.close()


def people(chat: ProcessChat) -> None:
    chat.person(LISE, "Lise")
    chat.person(MADS, "Mads")


async def back_in_time(
    chat: ProcessChat,
    step: str,
    bot: BotProcess | Alternating | HAProxy,
    user: str,
    *fragments: str,
    timeout: float = TAKEOVER,
    since: float | None = None,
) -> str:
    """The person's next message within `timeout` seconds (of `since`, a time.monotonic(), or of now);
    the bot's log in the assertion message if not."""
    since = time.monotonic() if since is None else since
    try:
        text = await chat.expect(user, *fragments, timeout=max(0.5, timeout - (time.monotonic() - since)))
        print(f"{step}: {user} got {fragments[0]!r} {time.monotonic() - since:.2f}s after")
        return text
    except AssertionError as exc:
        raise AssertionError(
            f"{step}: {user} did not get {fragments!r} within {timeout:.0f}s "
            f"(waited {time.monotonic() - since:.1f}s)\n--- bot log ---\n{bot.tail()}\n--- Slack ---\n{exc}"
        ) from None


async def crash(bot: BotProcess, delay: float) -> float:
    """kill -9 `delay` seconds from now and start again on the same database; returns when it was back."""
    if delay:
        await asyncio.sleep(delay)
    await bot.kill9()
    print(f"{bot.name} back in {await bot.start():.2f}s")
    return time.monotonic()


async def until(predicate: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what}: not within {timeout}s"
        await asyncio.sleep(0.005)


def faults_left(slack: FakeSlack, method: str) -> int:
    """How many calls the injected faults of `method` have yet to meet (a met call is in flight, or answered)."""
    return sum(fault.remaining for fault in slack._faults.get(method, []))


def fault_taken(slack: FakeSlack, method: str) -> bool:
    return faults_left(slack, method) == 0


def in_order(text: str, answers: list[str]) -> bool:
    positions = [text.find(a) for a in answers]
    return all(p >= 0 for p in positions) and positions == sorted(positions)


# ---- kill -9 at every step ---------------------------------------------------------------------


async def test_kill9_at_every_step_of_the_elearning_contract_loses_and_repeats_nothing(spawn: Spawn) -> None:
    bot = spawn()
    await bot.start()
    chat = ProcessChat(bot)
    people(chat)
    delays = iter(KILL_DELAYS * 3)

    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    back = await crash(bot, next(delays))
    step = "kill after the command"
    await back_in_time(chat, step, bot, LISE, "Læringskontrakten om *ABC Demens* er startet med Mads", since=back)
    await back_in_time(chat, step, bot, LISE, "Spørgsmål 1 af 3", since=back)
    await back_in_time(chat, step, bot, MADS, "Lise har startet en læringskontrakt med dig om *ABC Demens*", since=back)
    await back_in_time(chat, step, bot, MADS, "Spørgsmål 1 af 3", since=back)

    # Both answer, turn about; the bot is killed after every answer.
    summaries: dict[str, str] = {}
    for number in range(3):
        for user, answers in ((LISE, LEADER_ANSWERS), (MADS, MADS_ANSWERS)):
            delay = next(delays)
            step = f"kill {delay}s after {user}'s answer {number + 1}"
            await chat.say(user, answers[number])
            back = await crash(bot, delay)
            following = f"Spørgsmål {number + 2} af 3" if number < 2 else "Intet sendes, før du trykker"
            summaries[user] = await back_in_time(chat, step, bot, user, following, since=back)
            chat.assert_nothing_twice(step)
    assert in_order(summaries[LISE], LEADER_ANSWERS), summaries[LISE]
    assert in_order(summaries[MADS], MADS_ANSWERS), summaries[MADS]

    await chat.click(LISE, "Send")
    back = await crash(bot, next(delays))
    await back_in_time(
        chat, "kill after Lise's Send", bot, LISE, "Tak – dine svar er sendt. Når Mads også har sendt", since=back
    )
    await chat.click(MADS, "Send")
    back = await crash(bot, next(delays))
    step = "kill after Mads's Send"
    overview = await back_in_time(chat, step, bot, LISE, "LÆRINGSMÅL", "[Godkend]", since=back)
    assert "[Bed om ændringer]" in overview
    employee_view = await back_in_time(chat, step, bot, MADS, "Lise og du har begge sendt jeres svar", since=back)
    chat.assert_nothing_twice(step)

    await chat.click(LISE, "Godkend")
    back = await crash(bot, next(delays))
    step = "kill after Godkend"
    await back_in_time(chat, step, bot, LISE, "Du har godkendt læringskontrakten med Mads", since=back)
    await back_in_time(
        chat, step, bot, MADS, "Lise har godkendt jeres læringskontrakt", "[Jeg har gennemført kurset]", since=back
    )
    update = await chat.updated("Godkendt af Lise", timeout=max(0.5, TAKEOVER - (time.monotonic() - back)))
    assert "[Godkend]" not in update

    # None lost: every answer is in the contract both see, in the order given.
    for text in (overview, employee_view):
        assert in_order(text, LEADER_ANSWERS) and in_order(text, MADS_ANSWERS), text
    await chat.settle()
    chat.assert_nothing_twice("at the end")
    assert chat.count(LISE, "Du har godkendt læringskontrakten") == 1
    assert chat.count(MADS, "Lise har godkendt jeres læringskontrakt") == 1
    chat.check_payloads()


# ---- kill -9 while sending ---------------------------------------------------------------------


async def start_contract(chat: ProcessChat, bot: BotProcess | Alternating) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await back_in_time(chat, "start", bot, LISE, "Spørgsmål 1 af 3")
    await back_in_time(chat, "start", bot, MADS, "Spørgsmål 1 af 3")


async def finish_mads(chat: ProcessChat, bot: BotProcess, first: int) -> str:
    """Mads answers from question `first` on; returns his summary."""
    for number in range(first, 3):
        await chat.say(MADS, MADS_ANSWERS[number])
        following = f"Spørgsmål {number + 2} af 3" if number < 2 else "Intet sendes, før du trykker"
        text = await back_in_time(chat, f"Mads's answer {number + 1}", bot, MADS, following)
    return text


async def test_kill9_while_a_post_is_on_its_way_to_slack(spawn: Spawn) -> None:
    """Killed while Slack is slow to answer the post: Slack never took it; it is sent once after the restart."""
    bot = spawn()
    await bot.start()
    chat = ProcessChat(bot)
    people(chat)
    await start_contract(chat, bot)
    await chat.settle(quiet=0.3)

    chat.slack.fail_next("chat.postMessage", timeout=2)
    await chat.say(MADS, MADS_ANSWERS[0])
    await until(lambda: fault_taken(chat.slack, "chat.postMessage"), "the question 2 post reaching Slack")
    await asyncio.sleep(0.2)  # the post is in flight
    back = await crash(bot, 0)
    await back_in_time(chat, "kill while question 2 was in flight", bot, MADS, "Spørgsmål 2 af 3", since=back)
    chat.assert_nothing_twice("after the kill in flight")

    # Once more, with the post after it queued behind it in the same lane.
    chat.slack.fail_next("chat.postMessage", timeout=2)
    await chat.say(MADS, MADS_ANSWERS[1])
    await until(lambda: fault_taken(chat.slack, "chat.postMessage"), "the question 3 post reaching Slack")
    await chat.say(MADS, MADS_ANSWERS[2])
    await asyncio.sleep(0.3)
    back = await crash(bot, 0)
    step = "kill while question 3 was in flight"
    await back_in_time(chat, step, bot, MADS, "Spørgsmål 3 af 3", since=back)
    summary = await back_in_time(chat, step, bot, MADS, "Intet sendes, før du trykker", since=back)
    assert in_order(summary, MADS_ANSWERS), summary
    await chat.settle()
    chat.assert_nothing_twice("at the end")
    assert chat.count(MADS, "Spørgsmål 2 af 3") == chat.count(MADS, "Spørgsmål 3 af 3") == 1


async def test_kill9_after_slack_took_a_post_but_the_bot_never_heard(spawn: Spawn) -> None:
    """Slack posts, the answer is lost (500), the bot dies: after the restart the post is not made again."""
    bot = spawn()
    await bot.start()
    chat = ProcessChat(bot)
    people(chat)
    await start_contract(chat, bot)
    await chat.settle(quiet=0.3)

    chat.slack.fail_next("chat.postMessage", status=500, after_effect=True)
    await chat.say(MADS, MADS_ANSWERS[0])
    await until(lambda: any(c.status == 500 for c in chat.slack.calls), "the post answered with 500")
    back = await crash(bot, 0)
    await back_in_time(chat, "kill after a post Slack took", bot, MADS, "Spørgsmål 2 af 3", since=back)
    await chat.settle()
    chat.assert_nothing_twice("after the kill that lost Slack's answer")

    summary = await finish_mads(chat, bot, 1)
    assert in_order(summary, MADS_ANSWERS), summary
    await chat.settle()
    chat.assert_nothing_twice("at the end")
    assert chat.count(MADS, "Spørgsmål 2 af 3") == 1


# ---- SIGTERM in the middle of a burst ----------------------------------------------------------

LEADERS = [f"UL{n}" for n in range(5)]
EMPLOYEES = [f"UE{n}" for n in range(5)]


async def test_sigterm_mid_burst_exits_promptly_and_every_answer_is_handled_once(spawn: Spawn) -> None:
    bot = spawn()
    await bot.start()
    chat = ProcessChat(bot)
    for n, (leader, employee) in enumerate(zip(LEADERS, EMPLOYEES, strict=True)):
        chat.person(leader, f"Leder{n}")
        chat.person(employee, f"Ansat{n}")
    everyone = LEADERS + EMPLOYEES
    for n, (leader, employee) in enumerate(zip(LEADERS, EMPLOYEES, strict=True)):
        await chat.command(leader, f"kontrakt <@{employee}|ansat{n}> Kursus {n}")
    for user in everyone:
        await back_in_time(chat, "start", bot, user, "Spørgsmål 1 af 3", timeout=20)
    await chat.settle(quiet=0.3)

    def answer(user: str, number: int) -> str:
        return f"Svar {number} fra {user}"

    # Ten people answer at once, Slack is slow to take the first posts, and the process is told
    # to stop while the first of them is on its way.
    chat.slack.fail_next("chat.postMessage", timeout=1.5, times=3)
    await asyncio.gather(*(chat.say(user, answer(user, 1)) for user in everyone))
    await until(lambda: faults_left(chat.slack, "chat.postMessage") < 3, "a post on its way to Slack")
    code, took = await bot.term(timeout=20)
    # Asserted at the end, so that what the restart finds is seen too. (-15 is how uvicorn >= 0.29
    # ends: it re-raises the SIGTERM it caught once it has shut down.)
    stopped = f"SIGTERM mid-burst: exit code {code} after {took:.1f}s (want 0 within 10s)\n{bot.tail()}"

    await bot.start()
    back = time.monotonic()
    for user in everyone:
        await back_in_time(chat, "after SIGTERM mid-burst", bot, user, "Spørgsmål 2 af 3", since=back)
    await asyncio.gather(*(chat.say(user, answer(user, 2)) for user in everyone))
    for user in everyone:
        await back_in_time(chat, "answer 2", bot, user, "Spørgsmål 3 af 3")
    await asyncio.gather(*(chat.say(user, answer(user, 3)) for user in everyone))
    for user in everyone:
        summary = await back_in_time(chat, "answer 3", bot, user, "Intet sendes, før du trykker")
        assert in_order(summary, [answer(user, n) for n in (1, 2, 3)]), summary
    await chat.settle()
    chat.assert_nothing_twice("after SIGTERM mid-burst")
    for user in everyone:
        assert [chat.count(user, f"Spørgsmål {n} af 3") for n in (1, 2, 3)] == [1, 1, 1], (user, chat.texts(user))
    assert code == 0 and took < 10, stopped


# ---- two instances on one PostgreSQL database --------------------------------------------------

PAIRS = [("ULISE", "UMADS"), ("UANNA", "USOFIE"), ("UKARL", "UBENT")]


async def test_two_instances_one_killed_mid_flow_the_other_takes_over_in_order(
    spawn: Spawn, bot_database_url: str
) -> None:
    """Requests alternate between two processes; the one waiting on Slack for a post is killed -9."""
    if bot_database_url.startswith("sqlite"):
        pytest.skip("two instances need a shared server database (set TEST_DATABASE_URL)")
    first, second = spawn("first"), spawn("second")
    await first.start()  # one after the other: the first may be migrating the database
    await second.start()
    both = Alternating(first, second)
    chat = ProcessChat(both)
    faulted = FaultedCalls(chat.slack)
    for leader, employee in PAIRS:
        chat.person(leader, leader[1:].title())
        chat.person(employee, employee[1:].title())
    everyone = [u for pair in PAIRS for u in pair]
    leaders, employees = [leader for leader, _ in PAIRS], [employee for _, employee in PAIRS]

    def answers(user: str) -> list[str]:
        return [f"{user} svarer {n}" for n in (1, 2, 3)]

    async def kill_the_sender(seen: int) -> tuple[BotProcess, float]:
        """kill -9 the instance that is waiting on Slack for the slow post."""
        await until(lambda: len(faulted.calls) > seen, "a post on its way to Slack")
        await asyncio.sleep(0.1)  # and let the other requests of the burst reach the database
        victim = both.holder(faulted.calls[seen][1])
        assert victim is not None, f"no bot process has the connection of port {faulted.calls[seen][1]}"
        await victim.kill9()
        print(f"killed {victim.name}")
        return victim, time.monotonic()

    for leader, employee in PAIRS:
        await chat.command(leader, f"kontrakt <@{employee}|{employee.lower()}> ABC Demens")
    for user in everyone:
        await back_in_time(chat, "start", both, user, "Spørgsmål 1 af 3")
    await chat.settle(quiet=0.3)

    # The employees answer all three at once, the requests turn about between the instances,
    # Slack is slow to take the first post, and the instance waiting on it dies.
    chat.slack.fail_next("chat.postMessage", timeout=3)
    seen = len(faulted.calls)
    for number in range(3):
        for employee in employees:
            await chat.say(employee, answers(employee)[number])
    victim, killed = await kill_the_sender(seen)
    for employee in employees:
        summary = await back_in_time(
            chat, f"the survivor of {victim.name}", both, employee, "Intet sendes, før du trykker", since=killed
        )
        assert in_order(summary, answers(employee)), summary

    # It is back; the leaders answer one at a time through both, and again the sender dies.
    await victim.start()
    await chat.settle(quiet=0.3)
    for number in range(3):
        if number == 1:
            chat.slack.fail_next("chat.postMessage", timeout=3)
            seen = len(faulted.calls)
        for leader in leaders:
            await chat.say(leader, answers(leader)[number])
        if number == 1:
            victim, killed = await kill_the_sender(seen)
        for leader in leaders:
            following = f"Spørgsmål {number + 2} af 3" if number < 2 else "Intet sendes, før du trykker"
            text = await back_in_time(
                chat, f"leaders' answer {number + 1}", both, leader, following, since=killed if number == 1 else None
            )
            if number == 2:
                assert in_order(text, answers(leader)), text
    await victim.start()
    for leader, employee in PAIRS:
        await chat.click(leader, "Send")
        await chat.click(employee, "Send")
    for leader, employee in PAIRS:
        overview = await back_in_time(chat, "both sent", both, leader, "LÆRINGSMÅL", "[Godkend]")
        assert in_order(overview, answers(leader)) and in_order(overview, answers(employee)), overview
    await chat.settle()
    chat.assert_nothing_twice("two instances")
    for user in everyone:
        assert [chat.count(user, f"Spørgsmål {n} af 3") for n in (1, 2, 3)] == [1, 1, 1], (user, chat.texts(user))
