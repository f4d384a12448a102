"""Reading the files the bot gave a person, as that person would: on Slack the files
shared into their DM (through the fake's upload steps), on Teams the download links
in their chat, fetched from the bot over HTTP."""

from __future__ import annotations

import io
import re
from urllib.parse import unquote, urlsplit

from pypdf import PdfReader

from tests.e2e.harness import Chat
from tests.e2e.teams_harness import TeamsChat, teams_id
from tests.fakes.teams_api import buttons, card_of


def file_links(chat: TeamsChat, user: str) -> list[tuple[str, str]]:
    """(label, url) of every download link in the person's Teams chat, oldest first."""
    links: list[tuple[str, str]] = []
    for sent in chat.teams.activities_in(chat.teams.conversation_of(teams_id(user))):
        card = card_of(sent.activity)
        links += [(a["title"], a["url"]) for a in buttons(card or {}) if a.get("type") == "Action.OpenUrl"]
    return links


async def download(chat: TeamsChat, url: str):
    """GET a link from the running bot (the link's host is PUBLIC_URL; the test's server has a free port)."""
    assert chat.bot.server is not None
    return await chat.bot.http.get(chat.bot.server.url + urlsplit(url).path)


def _filename(disposition: str) -> str:
    found = re.search(r"filename\*=UTF-8''([^;]+)", disposition)
    assert found, disposition
    return unquote(found.group(1))


async def received(chat: Chat | TeamsChat, user: str, count: int, *, timeout: float = 5.0) -> dict[str, bytes]:
    """The newest `count` files the person got, by file name (waiting until they are there)."""
    if isinstance(chat, TeamsChat):
        links = await chat.teams.wait_for(
            lambda t: len(found := file_links(chat, user)) >= count and found, timeout=timeout
        )
        files: dict[str, bytes] = {}
        for _, url in links[-count:]:
            response = await download(chat, url)
            assert response.status_code == 200, response.text
            files[_filename(response.headers["content-disposition"])] = response.content
        return files
    shared = await chat.slack.wait_for(lambda s: len(found := s.files_to(user)) >= count and found, timeout=timeout)
    return {f.filename: f.data or b"" for f in shared[-count:]}


def copy_texts(files: dict[str, bytes]) -> tuple[str, str]:
    """The Markdown file's text and the PDF's text, as a reader's PDF program extracts it."""
    markdown = next(data for name, data in files.items() if name.endswith(".md")).decode("utf-8")
    pdf = next(data for name, data in files.items() if name.endswith(".pdf"))
    assert pdf.startswith(b"%PDF-")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return markdown, text


def plain(markdown: str) -> str:
    """Markdown without its escapes and emphasis, to look for words in it."""
    return re.sub(r"\\(.)", r"\1", markdown).replace("**", "")
