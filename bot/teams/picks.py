"""The people a form's submission picked in Teams, as Teams users the bot can write to.

Teams' people picker hands back Azure AD object ids. Before the press is stored they are
looked up: someone the bot has met (they added the app, or wrote where the bot is), else a
member of the conversation or of a team the bot is in (`GET v3/conversations/{id}/members/
{aadObjectId}`). What was found is written into the stored activity (`forms.PICKED`), so the
inbox reads it without a call; someone not found stays a pick nobody can be written to, and
the leader is told so at the field (bot/teams/forms.py).
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel import col, select

from bot.core.forms import SUBMIT
from bot.core.messages import is_pick
from bot.storage.db import Database
from bot.storage.models import TeamsConversation, TeamsUser
from bot.teams import inbound
from bot.teams.connector import Connector, ConnectorError
from bot.teams.forms import GUID, MAX_PICKS, PICKED
from bot.untrusted import as_dict

log = logging.getLogger(__name__)
MAX_PLACES = 5  # the press's own conversation and the teams the bot knows of, at most


def picked_ids(activity: dict[str, Any]) -> list[str]:
    """The AAD object ids a form's submission (or a dialog picker's pick) picked, in its people fields."""
    action = as_dict(as_dict(activity.get("value")).get("action"))
    data = as_dict(action.get("data"))
    people = data.get("people")
    verb = action.get("verb")
    if not isinstance(verb, str) or (verb != SUBMIT and not is_pick(verb)) or not isinstance(people, str):
        return []
    ids: list[str] = []
    for key in people.split(",")[:MAX_PICKS]:
        raw = data.get(key.strip())
        if isinstance(raw, str):
            ids += [v.strip() for v in raw.split(",") if GUID.match(v.strip())]
    return list(dict.fromkeys(ids))[:MAX_PICKS]


async def pick(activity: dict[str, Any], db: Database, connector: Connector) -> None:
    """Write down, in the activity, which Teams user each picked AAD object id is: someone the
    bot has met, or a member of a conversation or team it is in. Those it cannot find are left
    out (the flow tells the leader). On the request path, so it asks the Bot Connector only for
    ids the bot has not met, and gives up on a call that fails."""
    ids = picked_ids(activity)
    if not ids:
        return
    facts = inbound.conversation_of(activity)
    tenant = inbound.tenant_of(activity)
    found: dict[str, str] = {}
    async with db.transaction() as s:
        for user in (await s.exec(select(TeamsUser).where(col(TeamsUser.aad_object_id).in_(ids)))).all():
            if user.aad_object_id and (tenant is None or user.tenant_id in (None, tenant)):
                found[user.aad_object_id] = user.user_id
        places: list[tuple[str, str]] = []
        if facts is not None:
            places.append((facts.service_url, facts.conversation_id))
        teams = (
            await s.exec(
                select(TeamsConversation.service_url, TeamsConversation.team_id)
                .where(TeamsConversation.kind == "channel", col(TeamsConversation.team_id).is_not(None))
                .distinct()
            )
        ).all()
        places += [(url, team) for url, team in teams if team]
    # Teams waits for the answer to the press: a few places to ask, each call bounded.
    places = list(dict.fromkeys(places))[:MAX_PLACES]
    for aad in [i for i in ids if i not in found]:
        for service_url, conversation in places:
            try:
                member = await connector.member(service_url, conversation, aad)
            except ConnectorError as exc:
                if not exc.temporary:
                    continue  # not a member there
                log.warning("teams: looking up a picked person failed: %s", exc)
                break
            if member is None or not isinstance(member.get("id"), str):
                continue
            found[aad] = member["id"]
            async with db.transaction() as s:
                known = (await s.exec(select(TeamsUser).where(TeamsUser.user_id == member["id"]))).first()
                known = known or TeamsUser(user_id=member["id"])
                known.aad_object_id = aad
                known.name = str(member.get("name") or known.name)[:200]
                known.tenant_id = tenant or known.tenant_id
                known.service_url = service_url
                s.add(known)
            break
    activity[PICKED] = found
