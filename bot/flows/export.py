"""Each person's own copy of a contract, as Markdown and PDF (PRODUCT.md §3).

`/laering eksport <id>` or the **Eksportér** button on a finished or approved
contract. What a person may read is decided by the flow's copy function (the
same view the chat shows): `peer_copy.copy` for Lær af en kollega, and
`elearning_copy` here for the e-learning contract. A flow without one cannot
be exported yet; another flow adds its own to `ExportFlow.copies`.

Who may export: the contract's parties, which include the leaders a contract
names. Anyone else, administrators too, is refused: a copy holds answers,
and administrators see counts, never answers (`admin.py`).
"""

from __future__ import annotations

from sqlmodel import select

from bot.core.document import markdown, pdf
from bot.core.events import ActionIn, CommandIn
from bot.core.i18n import format_moment
from bot.core.ids import record_id
from bot.core.messages import Button, Columns, Divider, Heading, Note, Paragraph, Quote, paragraph
from bot.files import purge_expired
from bot.flows.context import Context
from bot.flows.parts import Command, CopyOf, Quiet
from bot.storage.models import Contract, Party, Person

ACTION = "export:copy"


def button(ctx: Context, person: Person, contract_id: int | None) -> Button:
    """The **Eksportér** button for a finished or approved contract's message."""
    return Button(label=ctx.t(person, "export.button"), action=ACTION, value=str(contract_id))


class ExportFlow(Quiet):
    name = "export"

    def __init__(self, copies: dict[str, CopyOf]) -> None:
        # Flow name -> the copy a viewer may read (each flow's `copy`).
        self.copies = copies

    @property
    def commands(self) -> tuple[Command, ...]:
        # `eksport 12` (or `eksport` alone, which tells how).
        return (
            Command(
                "export.commands.export",
                self.command,
                shape=lambda words, named: len(words) == 1 or (len(words) == 2 and words[1].lstrip("#").isdigit()),
            ),
        )

    def help(self, ctx: Context, person: Person) -> tuple[str, ...]:
        return ("export.help",)

    async def command(
        self, ctx: Context, cmd: CommandIn, person: Person, people: dict[str, Person], words: list[str]
    ) -> None:
        written = words[0].lstrip("#") if len(words) == 1 else ""
        if not (written.isascii() and written.isdigit()):
            ctx.respond(person, cmd.response_url, paragraph(ctx.t(person, "export.usage")))
            return
        await self.export(ctx, person, written, cmd.response_url)

    async def on_action(self, ctx: Context, action: ActionIn, person: Person) -> None:
        if record_id(action.value) is None:
            ctx.stale(person, action.response_url)
            return
        await self.export(ctx, person, action.value, action.response_url)

    async def export(self, ctx: Context, person: Person, written: str, response_url: str | None) -> None:
        """The copy of contract `written` (its number as the person wrote it), for whoever may read it.

        A number that names no contract is answered as one that is someone else's, so that
        nobody learns which numbers exist by trying them.
        """
        contract_id = record_id(written)
        contract = await ctx.db.get(Contract, contract_id) if contract_id is not None else None
        shown = written if len(written) <= 20 else written[:20] + "…"
        if contract is None:
            ctx.respond(person, response_url, paragraph(ctx.t(person, "export.not_yours", id=shown)))
            return
        copy_of = self.copies.get(contract.flow)
        message = await copy_of(ctx, person, contract) if copy_of is not None else None
        if message is None:
            is_party = (
                await ctx.db.exec(
                    select(Party.id).where(Party.contract_id == contract.id, Party.person_id == person.id)
                )
            ).first() is not None
            key = "export.not_supported" if is_party else "export.not_yours"
            ctx.respond(person, response_url, paragraph(ctx.t(person, key, id=contract.id if is_party else shown)))
            return
        language = ctx.language(person)
        printed = ctx.t(
            person,
            "export.exported",
            name=person.display_name,
            id=contract.id,
            date=format_moment(ctx.now, language, ctx.tz(person)),
        )
        message.blocks = [
            b for b in message.blocks if isinstance(b, (Heading, Paragraph, Note, Quote, Columns, Divider))
        ]
        message.blocks.append(Note(text=printed))
        # First the word that the files are coming, then the files (one lane: in this order).
        ctx.respond(person, response_url, paragraph(ctx.t(person, "export.sent", id=contract.id)))
        name = ctx.t(person, "export.filename", id=contract.id)
        title = ctx.t(person, "export.file_title", id=contract.id)
        ctx.send_file(
            person,
            f"{name}.md",
            markdown(message).encode("utf-8"),
            "text/markdown; charset=utf-8",
            title=f"{title} (Markdown)",
        )
        ctx.send_file(
            person,
            f"{name}.pdf",
            pdf(message, title=title, footer=printed, language=language),
            "application/pdf",
            title=f"{title} (PDF)",
        )
        ctx.audit("contract.exported", person, contract.id)

    async def due(self, ctx: Context) -> None:
        """Files whose time is up are deleted."""
        await purge_expired(ctx.db, ctx.now)
