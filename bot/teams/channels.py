"""A team channel's name, for the meeting series that lives there.

Teams sends a channel post with the channel's id only (`channelData.channel.id`); its name
comes in `channelData.channel.name` on some activities, else from the Bot Connector
(`GET v3/teams/{teamId}/conversations`). Before a channel post is stored the name is looked
up and written into the stored activity, so the inbox reads it without a call
(bot/teams/inbound.py `channel_name`). On the request path: one bounded call, and a failure
leaves the name out (the series then shows its schedule alone).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.teams import inbound
from bot.teams.connector import MEMBER_TIMEOUT, Connector, ConnectorError
from bot.untrusted import as_dict, as_id

log = logging.getLogger(__name__)


async def name_channel(activity: dict[str, Any], connector: Connector) -> None:
    if inbound.conversation_kind(activity) != "channel" or inbound.channel_name(activity) is not None:
        return
    data = as_dict(activity.get("channelData"))
    channel = as_dict(data.get("channel"))
    channel_id = as_id(channel.get("id"))
    team_id = as_id(as_dict(data.get("team")).get("id"))
    service_url = as_id(activity.get("serviceUrl"), inbound.MAX_URL)
    if channel_id is None or team_id is None or service_url is None:
        return
    try:
        found = await asyncio.wait_for(connector.channels(service_url, team_id), MEMBER_TIMEOUT)
    except (ConnectorError, TimeoutError) as exc:
        log.info("teams: the channels of a team could not be read: %s", exc)
        return
    name = next((c.get("name") for c in found if c.get("id") == channel_id), None)
    if isinstance(name, str) and name:
        activity["channelData"] = {**data, "channel": {**channel, "name": name}}
