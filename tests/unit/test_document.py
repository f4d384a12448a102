"""A copy as a document: a person's words stay words in Markdown, and the PDF keeps every Danish letter."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from pypdf import PdfReader

from bot.core.document import markdown, pdf
from bot.core.messages import Button, Buttons, Column, Columns, Divider, Heading, Message, Note, Paragraph, Quote
from bot.files import FileLinks

COPY = Message(
    text="Læringskontrakt",
    blocks=[
        Heading(text="Læringskontrakt: Æble og Øl på Åen"),
        Note(text="Kontrakt 7 · *godkendt*"),
        Paragraph(text="*Før kurset*"),
        Quote(label="Mål", text="**ikke fed** [et link](https://example.org) <!channel> @here\nanden linje"),
        Columns(
            title="LÆRINGSMÅL",
            columns=[Column(label="Lise (Leder)", text="æøå ÆØÅ"), Column(label="Mads", text="# ikke en overskrift")],
        ),
        Divider(),
        Buttons(buttons=[Button(label="Godkend", action="elearning:approve")]),
    ],
)


def test_markdown_keeps_a_persons_words_literal() -> None:
    text = markdown(COPY)
    assert text.startswith("# Læringskontrakt: Æble og Øl på Åen\n")
    assert "**Før kurset**" in text and "**godkendt**" in text
    assert r"> \*\*ikke fed\*\* \[et link\](https://example.org)" in text
    assert "@\u2060here" in text and "@here" not in text
    assert r"> \# ikke en overskrift" in text
    assert "Godkend" not in text  # buttons act in the chat, not in a document


def test_markdown_escapes_only_what_would_be_markup_so_it_reads_as_plain_text() -> None:
    words = [
        "Lise (leder) vil bruge det i hverdagen. Se fx www.example.org!",
        "1. punkt",
        "2) punkt",
        "- punkt",
        "+ punkt",
        "> citat",
        "---",
        "===",
        "## 3 mål",
        "a | b ~~væk~~ <b>fed</b> &amp; snake_case `kode` C:\\sti\\",
        "12.5 timer, -5 grader, #1 prioritet, 3 > 2 og 1 < 2 & så videre",
    ]
    text = markdown(
        Message(
            text="Kopi",
            blocks=[
                Heading(text="Kontrakt (Lise) #"),
                Paragraph(text="Mads vil lære det i hverdagen. *Før kurset* (5 min)."),
                Columns(title="MÅL (fælles)", columns=[Column(label="Lise (leder)", text="\n".join(words))]),
            ],
        )
    )
    assert text.startswith("# Kontrakt (Lise) \\#\n")
    assert "Mads vil lære det i hverdagen. **Før kurset** (5 min).  " in text
    assert "### MÅL (fælles)" in text and "**Lise (leder)**" in text
    quoted = [line.removeprefix("> ") for line in text.split("\n") if line.startswith(">")]
    assert quoted == [
        "Lise (leder) vil bruge det i hverdagen. Se fx www.example.org!",
        r"1\. punkt",
        r"2\) punkt",
        r"\- punkt",
        r"\+ punkt",
        r"\> citat",
        r"\---",
        r"\===",
        r"\## 3 mål",
        r"a \| b \~\~væk\~\~ \<b>fed\</b> \&amp; snake\_case \`kode\` C:\sti\\",
        "12.5 timer, -5 grader, #1 prioritet, 3 > 2 og 1 < 2 & så videre",
    ]


def test_the_pdf_has_the_danish_letters_and_the_words_in_order() -> None:
    data = pdf(COPY, title="Kopi", footer="Din kopi · æøå", language="da")
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Læringskontrakt: Æble og Øl på Åen" in text
    assert "æøå ÆØÅ" in text and "Din kopi · æøå" in text
    assert text.index("Før kurset") < text.index("LÆRINGSMÅL")
    assert reader.metadata is not None and reader.metadata.title == "Kopi"


def test_a_link_is_refused_when_changed_or_expired() -> None:
    links = FileLinks("s3cret", "https://bot.example.org/")
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    url = links.url("abc", now + timedelta(hours=1))
    assert url.startswith("https://bot.example.org/files/abc.")
    token = url.rsplit("/", 1)[1]
    assert links.check(token, now) == ("abc", 200)
    assert links.check(token, now + timedelta(hours=2)) == (None, 404)
    key, expires, signature = token.split(".")
    assert links.check(f"{key}.{int(expires) + 3600}.{signature}", now) == (None, 403)
    assert links.check(f"abd.{expires}.{signature}", now) == (None, 403)
    assert FileLinks("other", "").check(token, now) == (None, 403)
    assert links.check("garbage", now) == (None, 404)
