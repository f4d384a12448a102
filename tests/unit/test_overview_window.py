"""The overview's pages when one source is counted and paged by the database and others are
listed whole (`Overview._read`, `Overview._window`): every page shows exactly its stretch of the merged order,
for every mix of dates, undated entries and sizes."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.flows.overview import GROUPS, Entry, Group, Overview, _Listed, _order, _Placed


class Counted:
    """A counted source over a list: what the database gives for a window of a group."""

    def __init__(self, entries: list[Entry]) -> None:
        self.entries = sorted(entries, key=_order)
        self.windows: list[tuple[Group, int, int]] = []

    async def page(
        self, ctx: Any, person: Any, stretches: dict[Group, tuple[int, int]]
    ) -> tuple[dict[Group, int], dict[Group, list[Entry]]]:
        self.windows += [(group, offset, limit) for group, (offset, limit) in stretches.items()]
        counts = {g: sum(e.group == g for e in self.entries) for g in GROUPS}
        return counts, {
            group: [e for e in self.entries if e.group == group][offset : offset + limit]
            for group, (offset, limit) in stretches.items()
        }

    async def render(self, ctx: Any, person: Any, entries: list[Entry]) -> list[Any]:
        return []


def entries(rng: random.Random, flow: str, n: int, group: Group) -> list[Entry]:
    start = datetime(2026, 12, 1, tzinfo=UTC)
    return [
        Entry(group, f"{flow}:{i}", None if rng.random() < 0.2 else start + timedelta(days=rng.randrange(30)))
        for i in range(1, n + 1)
    ]


@pytest.mark.parametrize("seed", range(40))
async def test_every_page_shows_its_stretch_of_the_merged_order(seed: int) -> None:
    rng = random.Random(seed)
    stored = entries(rng, "elearning", rng.randrange(0, 60), "you")
    others: list[_Placed] = [(e, None) for e in entries(rng, "meeting", rng.randrange(0, 12), "you")]
    source = Counted(stored)
    listed = _Listed(
        grouped={"you": sorted(others, key=lambda p: _order(p[0])), "others": [], "coming": []},
        counted=source,
    )
    every = sorted([*stored, *(e for e, _ in others)], key=_order)
    size = rng.choice([1, 3, 5, 10])
    for page in range(1, len(every) // size + 3):
        places = {g: ((page - 1) * size, page * size) for g in GROUPS}
        read = await Overview._read(None, None, listed, places)  # type: ignore[arg-type]
        assert read.counts["you"] == len(every)
        shown = Overview._window(listed, places, read)
        assert [e.key for e, _ in shown["you"]] == [e.key for e in every[(page - 1) * size : page * size]]
    # Only a stretch of the database's entries is read: the page and the others' number.
    assert all(limit <= size + len(others) for _, _, limit in source.windows)
