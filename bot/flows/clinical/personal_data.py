"""What erasing a person and the retention job do with the clinical contract's own tables."""

from __future__ import annotations

from bot.flows.clinical.copy import FLOW
from bot.flows.clinical.states import FINAL
from bot.storage.personal_data import Policies, delete_

POLICIES = Policies(
    person={"clinicalreminder.person_id": delete_("reminders to them")},
    contract={
        "clinicalscope.contract_id": delete_("the clinical contract's competencies and dates"),
        "clinicalreminder.contract_id": delete_("its reminders"),
    },
    # Their agreement to the choice goes; the choice stays.
    id_lists={"clinicalscope.agreed_by": "remove"},
    # Competencies written as free text are shared by both parties: kept, without the erased one's name.
    copies=("clinicalscope.competencies",),
    finished={FLOW: FINAL},
)
