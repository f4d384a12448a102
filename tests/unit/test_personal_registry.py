"""The personal-data registry covers every table: the shared tables' policies
(bot/storage/personal_data.py) and each flow's own (bot/flows/<flow>/personal_data.py).

A new table with a column that refers to a person or a contract fails here until
its policy is declared: what `slet-mine-data` and the retention job do with it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from sqlalchemy import TypeDecorator
from sqlmodel import SQLModel

from bot.flows import registry
from bot.flows.conversations import Conversations
from bot.storage import personal_data as pd

FLOWS = registry.build(Conversations({}))
POLICIES = registry.personal_data(FLOWS)


def test_every_reference_to_a_person_has_a_policy() -> None:
    missing = pd.undeclared(POLICIES)["person"]
    assert missing == [], (
        f"declare what erasing a person does with {missing} in the flow's personal_data.py (or SHARED)"
    )


def test_every_reference_to_a_contract_has_a_retention_policy() -> None:
    missing = pd.undeclared(POLICIES)["contract"]
    assert missing == [], (
        f"declare what the retention job does with {missing} in the flow's personal_data.py (or SHARED)"
    )


def test_no_policy_names_a_column_that_does_not_exist() -> None:
    assert pd.undeclared(POLICIES)["unknown"] == []


def test_every_copy_is_a_column_of_text_the_scrub_reads() -> None:
    assert pd.undeclared(POLICIES)["not_text"] == []


# What a column holds, by the Python type it gives back, that cannot carry a person's words.
NOT_TEXT = (int, float, bool, datetime, date, time, bytes)


def _python_type(type_: Any) -> type:
    """What the column gives back; a wrapped type (`TypeDecorator`) may not say, its inner one does."""
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    try:
        found: type = type_.python_type
    except NotImplementedError:
        return object  # unknown: neither text nor plainly not text, so it is reported
    return found


def test_the_scrub_reads_every_column_that_can_hold_text() -> None:
    """Every column of every table is either text or JSON to the scrub, or of a type that holds
    no words. A new column type (a wrapped string, an array) fails here until it is sorted."""
    skipped = []
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            python_type = _python_type(column.type)
            kind = pd.text_kind(column)
            if kind is None and not issubclass(python_type, NOT_TEXT):
                skipped.append(f"{table.name}.{column.name} ({column.type!r})")
            if kind == "text":
                assert python_type is str, f"{table.name}.{column.name}"
    assert skipped == []
    # SQLModel's `str` fields are AutoString, a wrapped String: read as text.
    assert pd.text_kind(SQLModel.metadata.tables["contract"].c.title) == "text"
    assert pd.text_kind(SQLModel.metadata.tables["outboxmessage"].c.last_error) == "text"
    assert pd.text_kind(SQLModel.metadata.tables["outboxmessage"].c.payload) == "json"


def test_every_policy_says_why_and_clears_only_its_own_columns() -> None:
    for key, policy in {**POLICIES.person, **POLICIES.contract}.items():
        assert policy.why, key
        assert policy.action in ("delete", "anonymise", "keep", "unlink"), key
        table = key.split(".")[0]
        for name in (*policy.clear, *(t.split(".")[0] for t in policy.texts)):
            assert pd._column(f"{table}.{name}") is not None, f"{key}: no column {name}"


@pytest.mark.parametrize("name", sorted(FLOWS))
def test_every_contract_flow_says_which_statuses_are_final(name: str) -> None:
    """Retention deletes a contract only once it is finished in its own flow: a flow's final
    states are what its lifecycle table says they are."""
    lifecycle = FLOWS[name].lifecycle
    if name == "meeting":  # its statuses are a meeting's: it keeps no contracts
        assert name not in POLICIES.finished
        return
    assert POLICIES.finished[name] == lifecycle.final
    for status in lifecycle.states:
        assert POLICIES.is_finished(name, str(status)) == (str(status) in lifecycle.final)
    assert not POLICIES.is_finished("another flow", next(iter(lifecycle.final)))


def test_a_table_declared_by_two_flows_is_refused() -> None:
    with pytest.raises(AssertionError, match="declared twice"):
        POLICIES + pd.Policies(person={"party.person_id": pd.keep("again")})


def test_the_scrubber_removes_texts_quoted_or_whole_and_the_name_as_a_word() -> None:
    scrub = pd.Scrubber(["Anna vil lære dosering", "Ja"], ["Anna"], pd.Labels("slettet bruger", "[slettet]"))
    assert scrub.text("Mål: Anna vil lære dosering.") == "Mål: [slettet]."
    assert scrub.text("Ja") == "[slettet]"
    assert scrub.text("Ja, gerne") == "Ja, gerne"  # a short text is not hunted inside others
    assert scrub.text("Mads og Anna") == "Mads og slettet bruger"
    assert scrub.text("Annasvej 3") == "Annasvej 3"
    assert scrub.value({"blocks": [{"text": "Ja"}], "n": 3}) == {"blocks": [{"text": "[slettet]"}], "n": 3}


def test_months_before_keeps_the_wall_clock_and_clamps_the_day() -> None:
    moment = datetime(2026, 3, 31, 9, tzinfo=UTC)
    assert pd.months_before(moment, 36) == datetime(2023, 3, 31, 9, tzinfo=UTC)
    assert pd.months_before(moment, 1) == datetime(2026, 2, 28, 9, tzinfo=UTC)
    assert pd.months_before(datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime(2024, 12, 15, tzinfo=UTC)


def test_who_sent_a_stored_request() -> None:
    assert pd.sender({"user_id": "U1", "text": "mine-data"}) == "U1"
    assert pd.sender({"event": {"user": "U2"}}) == "U2"
    assert pd.sender({"user": {"id": "U3"}, "actions": []}) == "U3"
    assert pd.sender({"type": "message", "from": {"id": "29:1x"}}) == "29:1x"
    assert pd.sender({"redacted": True}) is None


def test_no_row_a_policy_deletes_is_referenced_from_a_table_left_behind() -> None:
    """Deleting by the registry must never trip a foreign key (or leave a dangling row)."""
    policies = {**POLICIES.person, **POLICIES.contract}
    deleted = {key.split(".")[0] for key, policy in policies.items() if policy.action == "delete"}
    for table in sorted(deleted):
        referring = [r for r in pd.references_to(f"{table}.id") if r.split(".")[0] not in deleted]
        assert referring == [], f"{table} rows are deleted, but {referring} refer to them"


def test_a_new_table_that_refers_to_a_person_is_reported_until_declared() -> None:
    from sqlalchemy import Column, ForeignKey, Integer, Table

    table = Table(
        "newflowthing",
        SQLModel.metadata,
        Column("id", Integer, primary_key=True),
        Column("owner_id", Integer, ForeignKey("person.id")),
        Column("contract_id", Integer, ForeignKey("contract.id")),
    )
    try:
        found = pd.undeclared(POLICIES)
        assert "newflowthing.owner_id" in found["person"]
        assert "newflowthing.contract_id" in found["contract"]
    finally:
        SQLModel.metadata.remove(table)
    assert pd.undeclared(POLICIES)["person"] == []
