"""A neutral message as a document a person keeps: Markdown and PDF.

The copy of a contract is built once, as a neutral `Message`, by the code that
decides what its reader may see (`peer_copy.copy`, the e-learning copy); here
it only changes form. A person's own words (`Quote`, `Columns`) are escaped in
Markdown and written as plain text in the PDF, so they never become markup,
hidden links or live mentions (an address written out stays as written; a
viewer may make it clickable, showing the same address). The PDF embeds DejaVu Sans (bot/assets/fonts), which
has every Danish letter.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from bot.core.mentions import plain
from bot.core.messages import Columns, Divider, Heading, Message, Note, Paragraph, Quote, without_mentions
from bot.core.text import neutralise_broadcasts

FONTS = Path(__file__).resolve().parent.parent / "assets" / "fonts"
_BOLD = re.compile(r"\*([^*\n]+)\*")
# Markdown (CommonMark, and GitHub's tables and strikethrough) wherever it stands: emphasis,
# code, links, HTML and autolinks, entities, table cells, strikethrough, and a backslash
# that would escape what follows it or break the line.
_MD_INLINE = re.compile(r"[`*_\[\]|~]|\\(?=[!-/:-@\[-`{-~]|$)|<(?=[A-Za-z/!?])|&(?=#?[0-9A-Za-z]+;)")
# Markdown only at the start of a line: a heading, a quote, a list item, a thematic break or
# a setext underline (`*` and `_` are escaped everywhere already).
_MD_LINE_START = re.compile(r"^( {0,3})(#{1,6}(?=\s|$)|>|[-+](?=\s|$)|-+\s*$|=+\s*$|\d{1,9}(?=[.)](?:\s|$)))")
# A heading's closing hashes, which the heading would drop.
_MD_CLOSING_HASHES = re.compile(r"(^|\s)(#+\s*)$")


# ---- Markdown -------------------------------------------------------------------
# Only what would change the Markdown's meaning is escaped, so the file reads as plain
# text too: "Lise (leder)" and "i hverdagen." stay as they are.
def _md_escape(text: str) -> str:
    """Words (a person's or the bot's) as literal Markdown text inside a line."""
    return _MD_INLINE.sub(lambda m: "\\" + m.group(0), neutralise_broadcasts(text))


def _md_line(text: str) -> str:
    """A line's words as literal Markdown, where they begin a line (a paragraph, a quote)."""
    return _md_line_start(_md_escape(text))


def _md_line_start(escaped: str) -> str:
    found = _MD_LINE_START.match(escaped)
    if found is None:
        return escaped
    indent, marker = found.group(1), found.group(2)
    if marker[0].isdigit():  # "1." or "1)": the dot or the bracket makes the list item
        return f"{indent}{marker}\\{escaped[found.end()]}{escaped[found.end() + 1 :]}"
    return f"{indent}\\{escaped[len(indent) :]}"


def md_line(text: str, *, start: bool = True, escape: bool = True) -> str:
    """Words as literal Markdown (for a renderer that reads Markdown): escaped, unless `escape`
    is false; with `start`, as the beginning of a line (no list or heading marker)."""
    escaped = _md_escape(text) if escape else text
    return _md_line_start(escaped) if start else escaped


def _md_heading(text: str) -> str:
    return _MD_CLOSING_HASHES.sub(lambda m: m.group(1) + "\\" + m.group(2), _md_escape(text))


def _md_bot(text: str) -> str:
    """The bot's own text: its `*bold*` is Markdown's `**bold**`; nothing else is markup."""
    pieces = _BOLD.split(neutralise_broadcasts(text))
    line = "".join(f"**{_md_escape(p)}**" if i % 2 else _md_escape(p) for i, p in enumerate(pieces))
    return _md_line_start(line) if pieces[0] else line


def md_words(text: str, indent: str = "") -> str:
    """A person's words as literal Markdown after a label on a line ("- **Mål**: …"): each of
    their lines kept, the later ones indented by `indent` to stay in a list item."""
    first, *rest = text.split("\n")
    return ("  \n" + indent).join([_md_escape(first), *(_md_line(line) for line in rest)])


def _md_quoted(text: str) -> list[str]:
    return [f"> {_md_line(line)}" if line.strip() else ">" for line in text.split("\n")]


def markdown(message: Message) -> str:
    message = without_mentions(message)  # a document names people, it notifies nobody
    lines: list[str] = []
    for block in message.blocks:
        if isinstance(block, Heading):
            lines += [f"# {_md_heading(block.text)}", ""]
        elif isinstance(block, Paragraph):
            lines += [_md_bot(line) + "  " for line in block.text.split("\n")] + [""]
        elif isinstance(block, Note):
            lines += [f"_{_md_bot(block.text)}_", ""]
        elif isinstance(block, Quote):
            lines += [f"**{_md_escape(block.label)}**", "", *_md_quoted(block.text), ""]
        elif isinstance(block, Columns):
            lines += [f"### {_md_heading(block.title)}", ""]
            for column in block.columns:
                lines += [f"**{_md_escape(column.label)}**", "", *_md_quoted(column.text), ""]
        elif isinstance(block, Divider):
            lines += ["---", ""]
        # Buttons and links act in the chat; a document has none.
    return "\n".join(lines).rstrip() + "\n"


# ---- PDF ------------------------------------------------------------------------
@functools.cache
def _pdf_class() -> Any:
    """fpdf, and a page with our fonts and footer; imported at the first PDF, as only a
    PDF needs it (fpdf and fontTools take about a third of a second to import)."""
    from fpdf import FPDF

    class _Pdf(FPDF):
        def __init__(self, footer: str) -> None:
            super().__init__(format="A4")
            self.footer_text = footer
            self.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
            self.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
            self.set_auto_page_break(True, margin=18)
            self.set_margins(18, 18, 18)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", size=8)
            self.set_text_color(110)
            self.cell(0, 5, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")
            self.set_text_color(0)

        def write_text(
            self,
            text: str,
            *,
            size: float = 11,
            bold: bool = False,
            indent: float = 0,
            gray: bool = False,
            after: float = 1.5,
        ) -> None:
            self.set_font("DejaVu", "B" if bold else "", size)
            if gray:
                self.set_text_color(90)
            self.set_x(self.l_margin + indent)
            self.multi_cell(
                self.epw - indent, size * 0.5, neutralise_broadcasts(text) or " ", new_x="LMARGIN", new_y="NEXT"
            )
            self.set_text_color(0)
            self.ln(after)

    return _Pdf


def pdf(message: Message, *, title: str, footer: str, language: str) -> bytes:
    message = without_mentions(message)
    title = plain(title)
    doc = _pdf_class()(footer)
    doc.set_title(title)
    doc.set_creator("Læringsbot")
    doc.set_lang(language)
    doc.add_page()
    for block in message.blocks:
        if isinstance(block, Heading):
            doc.write_text(block.text, size=16, bold=True, after=3)
        elif isinstance(block, Paragraph):
            whole = _BOLD.fullmatch(block.text.strip())
            doc.write_text(
                whole.group(1) if whole else _BOLD.sub(r"\1", block.text), bold=bool(whole), size=12 if whole else 11
            )
        elif isinstance(block, Note):
            doc.write_text(_BOLD.sub(r"\1", block.text), size=9, gray=True)
        elif isinstance(block, Quote):
            doc.write_text(block.label, size=10, bold=True, after=0.5)
            doc.write_text(block.text, indent=5, after=2.5)
        elif isinstance(block, Columns):
            doc.write_text(block.title, size=11, bold=True, after=1)
            for column in block.columns:
                doc.write_text(column.label, size=10, bold=True, indent=5, after=0.5)
                doc.write_text(column.text, indent=10, after=2)
            doc.ln(1)
        elif isinstance(block, Divider):
            doc.ln(1)
            doc.line(doc.l_margin, doc.get_y(), doc.w - doc.r_margin, doc.get_y())
            doc.ln(3)
    return bytes(doc.output())
