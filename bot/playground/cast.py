"""The people one can play in the playground."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Member:
    id: str
    name: str
    role: str  # a key under playground.roles in the catalogues


CAST = (
    Member("lise", "Lise", "leader"),
    Member("mads", "Mads", "employee"),
    Member("sofie", "Sofie", "colleague"),
    Member("ole", "Ole", "stranger"),
)
BY_ID = {m.id: m for m in CAST}
