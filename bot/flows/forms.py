"""Start forms: a command word alone, or a **Ny …** button, opens the flow's form; what is
sent back is checked and handed to the flow (`Start.submit`).

An opened form is an outbox row of kind `form` whose `ref` names it (`form:<nonce>`). Its
first good submission marks that row sent; a second one changes nothing (the presser is
shown the form as sent). Problems come back at the fields: those `forms.check` finds
without looking anything up (Slack answers them in the acknowledgement already, see
`Forms.problems_now`), then the flow's own (whom the bot cannot write to, a follow-up date
that has passed).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import date
from functools import partial
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.core import forms
from bot.core.events import ActionIn
from bot.core.forms import FormView
from bot.core.i18n import Catalog
from bot.core.messages import Button, Message, with_buttons
from bot.flows.context import Context
from bot.flows.parts import Part, Quiet, Start
from bot.storage.models import OutboxMessage, Person

REF = "form"


class Forms(Quiet):
    name = "form"

    def __init__(self, parts: Iterable[Part]) -> None:
        self.starts: dict[str, Start] = {
            command.start.form.name: command.start
            for part in parts
            for command in part.commands
            if command.start is not None
        }

    # ---- opening ---------------------------------------------------------------------
    def buttons(self, ctx: Context, person: Person) -> list[Button]:
        """The **Ny …** buttons of the help and the overview, one a form."""
        return [
            Button(label=ctx.t(person, f"forms.{name}.new"), action="form:open", value=name) for name in self.starts
        ]

    @staticmethod
    def today(ctx: Context, person: Person) -> date:
        return ctx.now.astimezone(ZoneInfo(ctx.tz(person))).date()

    async def open(
        self,
        ctx: Context,
        person: Person,
        start: Start,
        at: str | None,
        here: str | None = None,
        here_name: str | None = None,
    ) -> None:
        """The form, for `at` (where the platform shows it); `here` is the channel it was
        opened from (and its name), where one of its fields asks for a channel (that one is
        chosen already)."""
        nonce = uuid.uuid4().hex[:16]
        language = ctx.language(person)
        shown = forms.view(
            start.form,
            partial(ctx.t, person),
            partial(ctx.texts.catalog.has, language),
            nonce=nonce,
            language=language,
            today=self.today(ctx, person),
        )
        if start.channels is not None and any(f.kind == "channel" for f in shown.fields):
            found = await start.channels(ctx, person, here, here_name)
            offered = [forms.Choice(value=c, label=name) for c, name in found]
            chosen = here if any(c.value == here for c in offered) else None
            shown.fields = [
                f.model_copy(update={"choices": offered, "value": chosen}) if f.kind == "channel" else f
                for f in shown.fields
            ]
        # Said instead where the platform could not open it in time (Slack's trigger ran out).
        fallback = self._again(ctx, person, start, ctx.t(person, "forms.expired"))
        ctx.show_form(person, shown, at=at, ref=f"{REF}:{nonce}", fallback=fallback)

    @staticmethod
    def opener(label: str, form: str, channel: str, name: str | None) -> Button:
        """A button that opens the form for a channel (a channel's answer): its value carries
        the channel and its name."""
        return Button(label=label, action=forms.OPEN, value=f"{form}:{channel}#{name or ''}")

    def _again(self, ctx: Context, person: Person, start: Start, text: str) -> Message:
        new = Button(label=ctx.t(person, f"forms.{start.form.name}.new"), action="form:open", value=start.form.name)
        return with_buttons(text, new)

    # ---- presses and submissions -----------------------------------------------------
    async def on_action(self, ctx: Context, action: ActionIn, person: Person) -> None:
        step = action.action.partition(":")[2]
        # `<form>`, or `<form>:<channel>#<its name>`: a button in a channel's answer opens it
        # for that channel (no platform's channel id holds a `#`).
        name, _, here = action.value.partition(":")
        here, _, here_name = here.partition("#")
        if step == "open" and (start := self.starts.get(name)) is not None:
            await self.open(ctx, person, start, action.trigger, here or None, here_name or None)
        elif step == "submit":
            await self.submit(ctx, action, person)
        else:
            ctx.stale(person, action.response_url)

    async def submit(self, ctx: Context, action: ActionIn, person: Person) -> None:
        name, _, nonce = action.value.partition(":")
        start = self.starts.get(name)
        opened = (
            (
                await ctx.db.exec(select(OutboxMessage).where(OutboxMessage.ref == f"{REF}:{nonce}").with_for_update())
            ).first()
            if nonce
            else None
        )
        if start is None or opened is None or opened.kind != "form" or opened.person_id != person.id:
            ctx.stale(person, action.response_url)
            return
        shown = FormView.model_validate(opened.payload["form"])
        if sent := opened.payload.get("sent"):
            # The same form sent again: nothing changes; the presser sees it as sent.
            ctx.show_form(person, shown.model_copy(update={"done": sent}), at=action.response_url, where=action.message)
            return
        values = {f.key: (action.fields.get(f.key) or "").strip() for f in start.form.fields}
        language = ctx.language(person)
        problems = forms.check(start.form, values, submitter=person.external_id, today=self.today(ctx, person))
        for shown_field in shown.fields:
            # A channel the form did not offer: one the bot is not in, or knows nothing of. Where
            # the platform's own picker offers every channel the person sees (`ANY_CHANNEL`),
            # the flow's checks alone say.
            key, offered = shown_field.key, {c.value for c in shown_field.choices}
            picked_any = action.extra.get(forms.ANY_CHANNEL) == "1"
            if shown_field.kind == "channel" and values.get(key) not in (None, "", *offered) and not picked_any:
                problems.setdefault(key, forms.Problem("unknown_channel"))
        has = partial(ctx.texts.catalog.has, language)
        errors = {
            key: forms.problem_text(start.form, key, p, partial(ctx.t, person), has) for key, p in problems.items()
        }
        if not errors:
            picked: dict[str, Person] = {}
            for f in start.form.fields:
                if f.kind in ("person", "people"):
                    for external_id in forms.people(values[f.key]):
                        if (found := await ctx.find_person(person.platform, external_id, near=person)) is not None:
                            picked[external_id] = found
            errors = await start.submit(ctx, person, values, picked)
        if errors:
            # Where the form can no longer be shown (a closed Slack modal): said in the DM,
            # with a button that opens the form again.
            text = "\n".join([ctx.t(person, "forms.not_sent"), *(f"• {e}" for e in errors.values())])
            ctx.show_form(
                person,
                forms.filled(shown, values, errors),
                at=action.response_url,
                where=action.message,
                fallback=self._again(ctx, person, start, text),
            )
            return
        done = ctx.t(person, "forms.sent", date=ctx.day(person, ctx.now))
        opened.payload = {**opened.payload, "sent": done}
        ctx.db.add(opened)
        ctx.show_form(person, shown.model_copy(update={"done": done}), at=action.response_url, where=action.message)

    # ---- before the inbox ---------------------------------------------------------------
    def checker(
        self, catalog: Catalog, platform: str
    ) -> Callable[[str, dict[str, str], str, date, str], dict[str, str] | None]:
        """`problems_now` for one platform: (form, values, submitter, today, language)."""

        def check(
            name: str, values: dict[str, str], submitter: str, today: date, language: str
        ) -> dict[str, str] | None:
            return self.problems_now(
                catalog, platform, name, values, submitter=submitter, today=today, language=language
            )

        return check

    def problems_now(
        self,
        catalog: Catalog,
        platform: str,
        name: str,
        values: dict[str, str],
        *,
        submitter: str,
        today: date,
        language: str,
    ) -> dict[str, str] | None:
        """What a platform answers at the fields before it stores a submission (Slack's modal
        stays open with them): the problems found without looking anything up, as texts in
        the person's language. None for a form that does not exist."""
        start = self.starts.get(name)
        if start is None:
            return None

        def text(key: str, **values: object) -> str:
            variant = f"{platform}.{key}"
            return catalog.text(language, variant if catalog.has(language, variant) else key, **values)

        has = partial(catalog.has, language)
        problems = forms.check(start.form, values, submitter=submitter, today=today)
        return {key: forms.problem_text(start.form, key, p, text, has) for key, p in problems.items()}
