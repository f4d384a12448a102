"""The dialog engine as a person meets it: one question at a time, the command
words, the summary, Send. The engine is pure, so each test walks a script reply
by reply and looks at what the bot would say next."""

from __future__ import annotations

import random

from bot.core.engine import (
    Answer,
    Ask,
    Cancelled,
    ChooseEdit,
    ConfirmCancel,
    EditPick,
    Paused,
    Refused,
    Reply,
    Script,
    Sent,
    State,
    Summary,
    Word,
    start,
    step,
)

# Three questions, the middle one optional (like a leader's before-phase).
SCRIPT = Script(keys=("goals", "practice", "support"), optional=frozenset({"practice"}))


def walk(replies, script: Script = SCRIPT, state: State | None = None):
    """Start (or continue from `state`) and give every reply; the last state and what was said last."""
    if state is None:
        state, said = start(script)
    for reply in replies:
        state, said = step(script, state, reply)
    return state, said


def asked(said) -> str:
    """The key of the question being asked now (the last thing said)."""
    assert isinstance(said[-1], Ask), said
    return said[-1].key


def test_start_asks_the_first_question_with_progress():
    _, said = start(SCRIPT)
    assert said == [Ask(key="goals", number=1, total=3, optional=False)]


def test_answers_in_order_end_in_a_summary_of_all_answers():
    state, said = walk([Answer("mål"), Answer("praksis"), Answer("støtte")])
    assert said == [Summary({"goals": "mål", "practice": "praksis", "support": "støtte"})]
    assert state.mode == "summary"


def test_progress_counts_up_and_marks_the_optional_question():
    _, said = walk([Answer("mål")])
    assert said == [Ask(key="practice", number=2, total=3, optional=True)]


def test_back_re_asks_the_previous_question_with_its_answer_then_continues():
    _, said = walk([Answer("mål"), Answer("praksis"), Word("back")])
    assert said == [Ask(key="practice", number=2, total=3, optional=True, previous="praksis")]
    _, said = walk([Answer("mål"), Answer("praksis"), Word("back"), Word("back")])
    assert said[-1].key == "goals" and said[-1].previous == "mål"
    # A new answer to the first question goes on to the first one not yet answered.
    state, said = walk([Answer("mål"), Answer("praksis"), Word("back"), Word("back"), Answer("nyt mål")])
    assert asked(said) == "support"
    assert state.answers == {"goals": "nyt mål", "practice": "praksis"}


def test_back_at_the_first_question_is_refused_and_the_question_repeated():
    _, said = walk([Word("back")])
    assert said[0] == Refused("at_first")
    assert asked(said) == "goals"


def test_skip_is_refused_on_a_required_question():
    state, said = walk([Word("skip")])
    assert said[0] == Refused("not_optional")
    assert asked(said) == "goals" and state.answers == {}


def test_skip_on_the_optional_question_moves_on_and_shows_as_skipped():
    _, said = walk([Answer("mål"), Word("skip")])
    assert asked(said) == "support"
    _, said = walk([Answer("mål"), Word("skip"), Answer("støtte")])
    assert said == [Summary({"goals": "mål", "practice": None, "support": "støtte"})]


def test_an_empty_answer_is_refused_and_nothing_is_lost():
    state, said = walk([Answer("mål"), Answer("   \n ")])
    assert said[0] == Refused("empty")
    assert asked(said) == "practice"
    assert state.answers == {"goals": "mål"}


def test_a_too_long_answer_is_refused_with_the_limit_and_its_length():
    state, said = walk([Answer("mål"), Answer("x" * 4001)])
    assert said[0] == Refused("too_long", {"limit": 4000, "length": 4001})
    assert asked(said) == "practice"
    assert state.answers == {"goals": "mål"}
    # Exactly at the limit is fine.
    state, said = walk([Answer("mål"), Answer("x" * 4000)])
    assert asked(said) == "support" and len(state.answers["practice"]) == 4000


def test_pause_refuses_answers_until_resumed_at_the_same_question():
    state, said = walk([Answer("mål"), Word("pause")])
    assert said == [Paused()]
    state, said = walk([Answer("forkert sted")], state=state)
    assert said == [Refused("paused")]
    assert state.answers == {"goals": "mål"}
    state, said = walk([Word("resume")], state=state)
    assert said == [Ask(key="practice", number=2, total=3, optional=True)]
    state, said = walk([Answer("praksis")], state=state)
    assert asked(said) == "support"


def test_cancel_asks_for_confirmation_and_no_returns_to_the_question():
    state, said = walk([Answer("mål"), Word("cancel")])
    assert said == [ConfirmCancel()]
    _, said = walk([Answer("svar")], state=state)
    assert said == [Refused("confirm_pending"), ConfirmCancel()]
    state, said = walk([Word("cancel_no")], state=state)
    assert asked(said) == "practice"
    assert state.answers == {"goals": "mål"}


def test_cancel_yes_cancels_and_after_that_everything_is_refused():
    state, said = walk([Answer("mål"), Word("cancel"), Word("cancel_yes")])
    assert said == [Cancelled()] and state.mode == "cancelled"
    for reply in (Answer("mere"), Word("resume"), Word("send")):
        _, said = walk([reply], state=state)
        assert said == [Refused("finished")]


def test_edit_one_answer_from_the_summary_and_return_to_the_summary():
    state, _ = walk([Answer("mål"), Answer("praksis"), Answer("støtte")])
    state, said = walk([Word("edit")], state=state)
    assert said == [ChooseEdit(("goals", "practice", "support"))]
    state, said = walk([EditPick("practice")], state=state)
    assert said == [Ask(key="practice", number=2, total=3, optional=True, editing=True, previous="praksis")]
    state, said = walk([Answer("ny praksis")], state=state)
    assert said == [Summary({"goals": "mål", "practice": "ny praksis", "support": "støtte"})]


def test_the_answer_to_edit_can_be_picked_by_its_number():
    state, _ = walk([Answer("mål"), Answer("praksis"), Answer("støtte"), Word("edit")])
    _, said = walk([Answer(" 3 ")], state=state)
    assert said[-1].key == "support" and said[-1].editing
    _, said = walk([Answer("4")], state=state)
    assert said == [Refused("unknown_choice"), ChooseEdit(("goals", "practice", "support"))]


def test_send_gives_all_answers_in_script_order_and_then_the_dialog_is_finished():
    state, _ = walk([Answer("mål"), Word("skip"), Answer("støtte"), Word("edit"), EditPick("goals"), Answer("nyt mål")])
    state, said = walk([Word("send")], state=state)
    assert said == [Sent({"goals": "nyt mål", "practice": None, "support": "støtte"})]
    assert list(said[0].answers) == ["goals", "practice", "support"]
    for reply in (Answer("efterskrift"), Word("back"), Word("edit"), Word("send"), Word("cancel")):
        _, again = walk([reply], state=state)
        assert again == [Refused("finished")]


def test_nothing_is_sent_before_send():
    """Every reply short of Send leaves the answers unsent (PRODUCT.md §1)."""
    state, said = start(SCRIPT)
    everything = list(said)
    replies: list[Reply] = [
        Answer("mål"),
        Answer("praksis"),
        Answer("støtte"),
        Answer("ja tak"),
        Word("edit"),
        EditPick("goals"),
        Answer("nyt"),
        Word("back"),
        Answer("færdig"),
    ]
    for reply in replies:
        state, said = step(SCRIPT, state, reply)
        everything += said
    assert not any(isinstance(say, Sent) for say in everything)
    assert Refused("use_buttons") in everything  # free text at the summary is no Send
    # `back` at the summary re-asked the last question; its new answer is in the summary.
    assert everything[-1] == Summary({"goals": "nyt", "practice": "praksis", "support": "færdig"})


def test_start_with_earlier_answers_goes_straight_to_the_summary():
    earlier = {"support": "støtte", "goals": "mål", "practice": None}
    state, said = start(SCRIPT, earlier)
    assert said == [Summary({"goals": "mål", "practice": None, "support": "støtte"})]
    _, said = step(SCRIPT, state, Word("send"))
    assert said == [Sent({"goals": "mål", "practice": None, "support": "støtte"})]


def test_a_script_without_summary_sends_right_after_the_last_answer():
    script = Script(keys=("comment",), summary=False)
    state, said = walk([Answer("Uddyb målene, tak")], script=script)
    assert said == [Sent({"comment": "Uddyb målene, tak"})]
    assert state.mode == "sent"


def _random_reply(rng: random.Random):
    choice = rng.random()
    if choice < 0.35:
        return Answer(rng.choice(["svar", "", "  ", "1", "2", "3", "9", "x" * 4001, "et længere svar"]))
    if choice < 0.9:
        return Word(
            rng.choice(["back", "skip", "pause", "resume", "cancel", "cancel_yes", "cancel_no", "send", "edit"])
        )
    return EditPick(rng.choice(["goals", "practice", "support", "unknown"]))


def test_random_replies_never_break_the_engine():
    for seed in range(300):
        rng = random.Random(seed)
        script = SCRIPT if seed % 2 else Script(keys=SCRIPT.keys, optional=SCRIPT.optional, summary=False)
        state, said = start(script)
        for _ in range(60):
            reply = _random_reply(rng)
            state, said = step(script, state, reply)
            # The saved state survives the database round trip used between replies.
            state = State.model_validate_json(state.model_dump_json())
            assert 0 <= state.index < len(script.keys), (seed, reply, state)
            assert said, (seed, reply)
            for say in said:
                if isinstance(say, Sent):
                    assert list(say.answers) == list(script.keys), (seed, say)
                    required = [k for k in script.keys if k not in script.optional]
                    assert all(say.answers[k] for k in required), (seed, say)
            if state.mode in ("sent", "cancelled"):
                break


def test_a_button_acts_only_in_the_step_it_was_shown_in():
    from bot.core.engine import button_is_current

    state, _ = walk([Answer("mål")])  # asked "practice", optional: it has a skip button
    assert button_is_current(SCRIPT, state, "skip", "practice")
    assert not button_is_current(SCRIPT, state, "skip", "support")  # a later question's
    assert not button_is_current(SCRIPT, state, "resume")  # not paused
    assert not button_is_current(SCRIPT, state, "send")  # no summary yet
    paused, _ = step(SCRIPT, state, Word("pause"))
    assert button_is_current(SCRIPT, paused, "resume") and not button_is_current(SCRIPT, paused, "skip", "practice")
    resumed, _ = step(SCRIPT, paused, Word("resume"))
    assert not button_is_current(SCRIPT, resumed, "resume")  # the pause's Fortsæt is of the past
    summary, _ = walk([Word("skip"), Answer("støtte")], state=resumed)
    assert button_is_current(SCRIPT, summary, "send") and button_is_current(SCRIPT, summary, "edit")
    assert not button_is_current(SCRIPT, summary, "cancel_yes") and not button_is_current(SCRIPT, summary, "unknown")
