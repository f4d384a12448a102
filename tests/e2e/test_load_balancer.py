"""Two instances behind a real load balancer (HAProxy, from Debian's packages, on loopback), on
one PostgreSQL database, as `compose.yaml` runs them. One is killed -9 in the middle of people's
answers: every request is still answered (the balancer sends it to the other), and nothing a
person wrote is lost or reaches them twice."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

import pytest

from tests.e2e.test_crash import back_in_time, bot_database_url, in_order, spawn, until  # noqa: F401  (fixtures)
from tests.support import balancer
from tests.support.process import BotProcess, FaultedCalls, ProcessChat

if not balancer.available():
    if os.environ.get("REQUIRE_HAPROXY"):
        raise RuntimeError(f"REQUIRE_HAPROXY is set but {balancer.HAPROXY} is missing")
    pytest.skip("HAProxy is needed (Debian's package haproxy)", allow_module_level=True)

PAIRS = [("ULISE", "UMADS"), ("UANNA", "USOFIE"), ("UKARL", "UBENT"), ("UIDA", "UOLE")]


def answers(user: str) -> list[str]:
    return [f"{user} svarer {n}" for n in (1, 2, 3)]


async def test_two_instances_behind_haproxy_one_killed_mid_flow(spawn, bot_database_url: str, tmp_path: Path) -> None:  # noqa: F811
    if bot_database_url.startswith("sqlite"):
        pytest.skip("two instances need a shared server database (set TEST_DATABASE_URL)")
    first, second = spawn("first"), spawn("second")
    await first.start()
    await second.start()
    lb = balancer.HAProxy([first, second], workdir=tmp_path)
    try:
        await lb.start()
        chat = ProcessChat(lb)
        faulted = FaultedCalls(chat.slack)
        for leader, employee in PAIRS:
            chat.person(leader, leader[1:].title())
            chat.person(employee, employee[1:].title())
        everyone = [u for pair in PAIRS for u in pair]
        employees = [employee for _, employee in PAIRS]
        for leader, employee in PAIRS:
            await chat.command(leader, f"kontrakt <@{employee}|{employee.lower()}> ABC Demens")
        for user in everyone:
            await back_in_time(chat, "start", lb, user, "Spørgsmål 1 af 3")
        await chat.settle(quiet=0.3)

        # The employees answer all three at once through the balancer; Slack is slow to take
        # the first post, and the instance waiting on it dies while requests keep coming.
        chat.slack.fail_next("chat.postMessage", timeout=3)
        seen = len(faulted.calls)
        await asyncio.gather(*(chat.say(employee, answers(employee)[0]) for employee in employees))
        await until(lambda: len(faulted.calls) > seen, "a post on its way to Slack")
        victim = lb.holder(faulted.calls[seen][1])
        assert isinstance(victim, BotProcess), "no instance holds the slow post's connection"

        async def the_rest(employee: str) -> None:
            """Each person's next answers one after the other, as a person writes them."""
            for text in answers(employee)[1:]:
                await chat.say(employee, text)  # asserts the answer was 200

        rest = [asyncio.create_task(the_rest(employee)) for employee in employees]
        await victim.kill9()  # while their answers are on their way through the balancer
        killed = time.monotonic()
        await asyncio.gather(*rest)
        for employee in employees:
            summary = await back_in_time(chat, f"after {victim.name} died", lb, employee, "Intet sendes", since=killed)
            assert in_order(summary, answers(employee)), summary

        # It comes back and takes requests again; the flow goes on through both.
        await victim.start()
        await asyncio.sleep(0.6)  # two health checks: in the rotation again
        for leader, _ in PAIRS:
            await chat.say(leader, f"{leader} svarer 1")
        for leader, _ in PAIRS:
            await back_in_time(chat, "leaders", lb, leader, "Spørgsmål 2 af 3")
        await chat.settle()
        chat.assert_nothing_twice("behind haproxy")
        for user in employees:
            assert [chat.count(user, f"Spørgsmål {n} af 3") for n in (1, 2, 3)] == [1, 1, 1], chat.texts(user)
        # Every request the balancer took was answered 200, the ones during the kill too.
        assert lb.answers and all(status == 200 for status, _ in lb.answers), lb.answers
        print(f"{len(lb.answers)} requests, slowest {max(s for _, s in lb.answers):.2f}s")
    finally:
        await lb.close()
