"""The log formats, and the loggers that keep quiet at the default level."""

from __future__ import annotations

import json
import logging

import pytest

from bot.core.document import pdf
from bot.core.messages import Message, Paragraph
from bot.ops import logs


def test_a_pdf_copy_logs_nothing_at_the_default_level(caplog: pytest.LogCaptureFixture) -> None:
    logs.configure("text", "INFO")  # what `laeringsbot` does at start
    with caplog.at_level(logging.INFO):
        copy = pdf(Message(text="Kopi æøå", blocks=[Paragraph(text="Kopi æøå")]), title="t", footer="f", language="da")
    assert copy.startswith(b"%PDF")
    assert [r.name for r in caplog.records if r.name.startswith("fontTools")] == []


def test_json_lines_carry_the_event_and_request_they_belong_to() -> None:
    record = logging.LogRecord("bot.workers.inbox", logging.WARNING, __file__, 1, "inbox event %s waits", (7,), None)
    event, request = logs.EVENT.set("inbox:7"), logs.REQUEST.set("r-9")
    try:
        assert logs._Ids().filter(record)
    finally:
        logs.EVENT.reset(event)
        logs.REQUEST.reset(request)
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["message"] == "inbox event 7 waits" and line["level"] == "WARNING"
    assert (line["event_id"], line["request_id"], line["logger"]) == ("inbox:7", "r-9", "bot.workers.inbox")
    plain = logging.Formatter(logs.PLAIN).format(record)
    assert "bot.workers.inbox [request=r-9 event=inbox:7]: inbox event 7 waits" in plain
