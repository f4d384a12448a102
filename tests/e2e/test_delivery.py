"""The delivery engine as people meet it: one person's trouble with the platform is
theirs alone, a post whose answer was lost is not posted again, and a request that
was acknowledged waits for the platform rather than being dropped."""

from __future__ import annotations

import time
import warnings
from datetime import timedelta

from sqlmodel import col, select

from bot.core.messages import Message, Paragraph
from bot.flows.context import Context
from bot.storage.models import Contract, InboxEvent, OutboxMessage
from tests.e2e.harness import Chat
from tests.e2e.teams_harness import TeamsChat
from tests.e2e.test_slack_protocol import count

LISE, MADS, ANNA = "ULISE", "UMADS", "UANNA"


def posts_of_row(chat: Chat) -> dict[tuple[int | None, int | None], int]:
    """How many times each (outbox row, part) was posted, by the metadata on the post."""
    seen: dict[tuple[int | None, int | None], int] = {}
    for call in chat.slack.calls_of("chat.postMessage"):
        payload = (call.args.get("metadata") or {}).get("event_payload") or {}
        key = (payload.get("outbox_id"), payload.get("part"))
        seen[key] = seen.get(key, 0) + 1
    return seen


async def test_every_post_names_its_outbox_row_in_its_metadata(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.settle()
    posts = chat.slack.calls_of("chat.postMessage")
    assert posts and all(c.args["metadata"]["event_type"] == "laeringsbot_outbox" for c in posts)
    assert all(n == 1 for n in posts_of_row(chat).values())


async def test_a_post_whose_answer_was_lost_is_found_in_the_history_and_not_posted_again(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.settle()
    # Slack posts the question, but its answer is lost (a 500 on the way back).
    chat.slack.fail_next("chat.postMessage", 500, after_effect=True)
    await chat.say(MADS, "Svar et")
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    await chat.settle()  # the bot has heard the 500 and waits to try again
    chat.bot.clock.advance(seconds=3)  # its retry's backoff
    await chat.bot.tick()
    assert await count(chat, OutboxMessage, col(OutboxMessage.status) != "sent") == 0
    # The bot looked in Mads's DM before it would post again, and found the post there.
    looked = chat.slack.calls_of("conversations.history")
    assert looked and looked[-1].args["include_all_metadata"] in (True, "true", "1")
    assert chat.count(MADS, "Spørgsmål 2 af 3") == 1
    assert all(n == 1 for n in posts_of_row(chat).values()), posts_of_row(chat)
    # And the conversation goes on from there.
    await chat.say(MADS, "Svar to")
    await chat.expect(MADS, "Spørgsmål 3 af 3")


async def test_a_post_that_timed_out_before_slack_took_it_is_sent_after_looking(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.settle()
    # A 503: Slack did not post it (but the bot cannot know): it looks, finds nothing, posts once.
    chat.slack.fail_next("chat.postMessage", 503)
    await chat.say(MADS, "Svar et")
    await chat.expect(MADS, "Spørgsmål 2 af 3", timeout=8)
    assert chat.slack.calls_of("conversations.history")
    assert chat.count(MADS, "Spørgsmål 2 af 3") == 1


def rate_limit_next_post(chat, seconds: int) -> None:
    """The platform answers the bot's next post with 429 and `Retry-After: seconds`."""
    if isinstance(chat, TeamsChat):
        chat.teams.fail_next("send", 429, retry_after=seconds)
    else:
        chat.slack.fail_next("chat.postMessage", 429, retry_after=seconds)


async def test_a_long_retry_after_for_one_person_delays_only_that_person(any_chat) -> None:
    chat = any_chat
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.expect(LISE, "Spørgsmål 1 af 3")
    await chat.settle()
    # The platform asks the bot to wait 30 s with Mads's next message.
    rate_limit_next_post(chat, 30)
    await chat.say(MADS, "Svar et")
    await chat.settle()
    assert chat.count(MADS, "Spørgsmål 2 af 3") == 0
    # Lise's answer meanwhile is answered at once.
    started = time.monotonic()
    await chat.say(LISE, "Mit svar")
    await chat.expect(LISE, "Spørgsmål 2 af 3", timeout=3)
    assert time.monotonic() - started < 1.5
    await chat.settle()  # the bot has written down that Lise's went
    async with chat.bot.runtime.db.transaction() as s:
        waiting = (await s.exec(select(OutboxMessage).where(col(OutboxMessage.status) != "sent"))).all()
    assert len(waiting) == 1 and waiting[0].attempts == 1
    # It waits what the platform asked for: not a backoff of its own, not a polling interval.
    wait = waiting[0].next_attempt_at - chat.bot.clock()
    assert timedelta(seconds=27) < wait <= timedelta(seconds=30)
    chat.bot.clock.advance(seconds=31)
    await chat.bot.tick()
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    assert chat.count(MADS, "Spørgsmål 2 af 3") == 1


async def test_a_command_that_needs_slack_while_it_is_away_waits_for_it_and_is_not_dropped(chat: Chat) -> None:
    chat.person("UOLE", "Ole")
    # Slack's Web API is away while Lise starts a contract with someone the bot has not met.
    chat.slack.fail_next("users.info", 503, times=4)
    await chat.command(LISE, "kontrakt <@UOLE|ole> ABC Demens")
    await chat.settle()
    async with chat.bot.runtime.db.transaction() as s:
        row = (await s.exec(select(InboxEvent))).one()
    assert row.status == "pending" and row.attempts >= 1
    for _ in range(5):  # each try after its backoff; never given up
        chat.bot.clock.advance(minutes=2)
        await chat.bot.tick()
    await chat.expect("UOLE", "Spørgsmål 1 af 3")
    assert await count(chat, InboxEvent, InboxEvent.status == "done") == 1
    assert await count(chat, Contract) == 1


async def test_many_posts_to_one_person_keep_the_platforms_pace_and_hold_up_nobody_else(any_chat) -> None:
    chat = any_chat
    # The stand-in answers 429 beyond the published limits: Slack about one post a second per
    # channel (bursts of six), Teams 7 a second and 8 in 2 s per conversation.
    limited = chat.teams if isinstance(chat, TeamsChat) else chat.slack
    limited.enforce_limits()
    chat.bot.overrides["outbox_pace"] = True  # as an operator runs it (the harness turns it off)
    await chat.bot.restart()
    employees = [f"UEMP{n}" for n in range(8)]
    for n, employee in enumerate(employees):
        chat.person(employee, f"Medarbejder{n}")
        if isinstance(chat, TeamsChat):
            await chat.install(employee)
    await chat.settle()
    # Lise starts eight contracts at once: eight posts to her DM in a moment, and her first
    # question (the others wait their turn).
    for n, employee in enumerate(employees):
        await chat.command(LISE, f"kontrakt <@{employee}|emp{n}> Kursus {n}")
    started = time.monotonic()
    for employee in employees:  # each employee's own DM is not held up behind Lise's
        await chat.expect(employee, "Spørgsmål 1 af 3")
    assert time.monotonic() - started < 4
    for n in range(8):
        await chat.expect(LISE, f"Kursus {n}", timeout=20)
    await chat.settle()
    assert chat.count(LISE, "Spørgsmål 1 af 3") == 1
    # None was refused on the way: the bot kept the pace rather than meeting 429s.
    assert [c for c in limited.calls if c.status == 429] == []


async def test_sixty_updates_in_a_minute_keep_slacks_tier_for_chat_update(chat: Chat) -> None:
    # chat.update is in Slack's Tier 3, "50+ per minute" per workspace: the stand-in answers
    # 429 beyond 50 in any minute of the bot's clock.
    chat.slack.enforce_limits(tiers={"chat.update": (50, 60.0)}, clock=lambda: chat.bot.clock().timestamp())
    chat.bot.overrides["outbox_pace"] = True
    await chat.bot.restart()
    users = [f"UTIER{n}" for n in range(60)]
    for n, user in enumerate(users):
        chat.person(user, f"Kollega{n}")
        await chat.say(user, "hjælp")
    await chat.settle()
    # Sixty posts are changed at once, as a flow changes a post it has sent (Context.rewrite).
    runtime = chat.bot.runtime
    async with runtime.db.transaction() as s:
        ctx = Context(db=s, now=runtime.now(), settings=runtime.settings, texts=runtime.texts)
        posts = (await s.exec(select(OutboxMessage).where(OutboxMessage.kind == "post"))).all()
        firsts = {post.person_id: post for post in reversed(posts)}
        assert len(firsts) == 60
        for post in firsts.values():
            ctx.rewrite(post, Message(text="Opdateret", blocks=[Paragraph(text="Opdateret")]))
    await chat.settle()
    updates = chat.slack.calls_of("chat.update")
    assert len(updates) == 50  # the minute's fifty at once; the other ten wait for it
    chat.bot.clock.advance(seconds=61)
    await chat.bot.tick()
    await chat.settle()
    assert len(chat.slack.calls_of("chat.update")) == 60
    updated = [m for m in chat.slack.messages.values() if m.get("text") == "Opdateret"]
    assert len(updated) == 60
    # None was refused on the way: the bot kept the tier rather than meeting 429s.
    assert [c for c in chat.slack.calls if c.status == 429] == []
    assert await count(chat, OutboxMessage, col(OutboxMessage.status) != "sent") == 0


async def test_a_message_written_while_the_last_one_is_on_its_way_follows_it_at_once(chat: Chat) -> None:
    await chat.command(LISE, "kontrakt <@UMADS|mads> ABC Demens")
    await chat.expect(MADS, "Spørgsmål 1 af 3")
    await chat.settle()
    # Slack takes its time with the next question; Mads goes back before it has arrived.
    chat.slack.fail_next("chat.postMessage", timeout=0.6)
    await chat.say(MADS, "Svar et")
    await chat.slack.wait_for(lambda fake: fake.calls_of("chat.postMessage", include_failed=True)[-1:])
    await chat.say(MADS, "tilbage")
    await chat.expect(MADS, "Spørgsmål 2 af 3")
    # The question he went back to follows the one on its way, in order, without waiting
    # for a poll: once the bot has drained, nothing of his is left to send.
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="settle: ")
        await chat.settle()
    texts = chat.texts(MADS)
    second = max(i for i, text in enumerate(texts) if "Spørgsmål 2 af 3" in text)
    again = max(i for i, text in enumerate(texts) if "Spørgsmål 1 af 3" in text)
    assert second < again and chat.count(MADS, "Spørgsmål 1 af 3") == 2, texts
    assert all(n == 1 for n in posts_of_row(chat).values()), posts_of_row(chat)
