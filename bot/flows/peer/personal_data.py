"""What erasing a person and the retention job do with the peer contract's own tables."""

from __future__ import annotations

from bot.flows.peer.copy import FLOW
from bot.flows.peer.states import FINAL
from bot.storage.personal_data import Policies, delete_, keep

POLICIES = Policies(
    person={
        "jointdraft.author_id": keep("joint fields of a shared contract, agreed by both parties"),
        "jointdraft.decided_by_id": keep("who accepted joint fields (no text)"),
        "activitylog.person_id": delete_("their log notes", texts=("text",)),
    },
    contract={
        "jointdraft.contract_id": delete_("the joint fields"),
        "activitylog.contract_id": delete_("the log notes"),
    },
    finished={FLOW: FINAL},
)
