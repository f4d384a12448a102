"""What erasing a person does with the learning meetings' rows: the team's series, meetings
and actions stay; what the person wrote there goes."""

from __future__ import annotations

from bot.storage.personal_data import Policies, anonymise, delete_, keep

POLICIES = Policies(
    person={
        "meetingseries.creator_id": keep("a channel's meeting series belongs to the team"),
        "meetingoccurrence.facilitator_id": anonymise("the meeting stays, without its facilitator", unlink=True),
        "meetingcase.person_id": delete_("the case they brought to a meeting, and its title", texts=("title",)),
        "meetingnote.person_id": delete_("what they wrote in a meeting", texts=("text",)),
        "meetingaction.owner_id": anonymise("the team's action stays, without its owner", unlink=True),
        "meetingaction.created_by_id": keep("the team's action stays"),
        "meetingaction.done_by_id": keep("who marked the team's action done (no text)"),
        "meetingprompt.person_id": delete_("a question the bot asked them"),
        "meetingtopic.created_by_id": keep("learning points brought to a meeting, agreed by both of a visit"),
    },
    # The rotation goes on without them.
    id_lists={"meetingseries.facilitator_ids": "remove"},
    # What other flows brought to a meeting (a visit's learning points), shown on its agenda.
    copies=("meetingtopic.values", "meetingtopic.lines"),
)
