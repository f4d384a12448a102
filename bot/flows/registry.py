"""Every flow of the bot, in one place.

Adding a flow means its package under `bot/flows/<flow>/` (with a `build`
that returns the object meeting `bot.flows.parts.Flow`), its dialog file in
`dialogs/`, its tables and migration, and one line here. The router, the
Teams command detection, the help, the overview, the export, personal data
and the clock find it through this list (`tests/unit/test_registry.py` fails when a flow is
wired anywhere else).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.flows import clinical, elearning, meeting, peer, visit
from bot.flows.conversations import Conversations
from bot.flows.parts import Flow
from bot.storage.personal_data import SHARED, Policies

# In the help's order; a build may use a flow built before it (`built`).
FLOWS: tuple[Callable[[Conversations, dict[str, Flow]], Flow], ...] = (
    elearning.build,
    peer.build,
    clinical.build,
    meeting.build,
    visit.build,
)


def build(conversations: Conversations) -> dict[str, Flow]:
    """Name -> flow, every flow built once."""
    built: dict[str, Flow] = {}
    for make in FLOWS:
        flow = make(conversations, built)
        built[flow.name] = flow
    return built


def personal_data(flows: dict[str, Flow]) -> Policies:
    """What erasure and retention do with every table: the shared tables' policies and each flow's own."""
    policies = SHARED
    for flow in flows.values():
        policies = policies + flow.personal_data
    return policies
