"""What erasing a person and the retention job do with the e-learning contract's rows.

It keeps nothing beyond the shared contract tables (`bot.storage.personal_data.SHARED`):
only when one of its contracts is finished."""

from __future__ import annotations

from bot.flows.elearning.states import FINAL, FLOW
from bot.storage.personal_data import Policies

POLICIES = Policies(finished={FLOW: FINAL})
