"""What erasing a person and the retention job do with the learning visit's rows."""

from __future__ import annotations

from bot.flows.visit.states import FINAL, FLOW
from bot.storage.personal_data import Policies, delete_, keep

POLICIES = Policies(
    person={
        "visit.agent_id": keep("their place in a shared visit"),
        "visit.colleague_id": keep("their place in a shared visit"),
    },
    contract={"visit.contract_id": delete_("the visit")},
    # The learning points are agreed by both: kept, without the erased one's name.
    copies=("visit.points",),
    finished={FLOW: FINAL},
)
