"""Each flow is wired in one place: its package and the registry (bot/flows/registry.py)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from bot.flows import registry
from bot.flows.conversations import Conversations
from bot.flows.parts import Flow, Part
from bot.flows.router import Router

BOT = Path(__file__).resolve().parents[2] / "bot"
FLOWS = sorted(p.name for p in (BOT / "flows").iterdir() if (p / "__init__.py").exists())
# A flow may build on another, said here: a visit brings its learning points to the team's
# next learning meeting.
USES = {("visit", "meeting")}


def imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_every_flow_package_is_in_the_registry_and_nothing_else() -> None:
    built = registry.build(Conversations({}))
    assert sorted(built) == FLOWS
    for flow in built.values():
        assert isinstance(flow.name, str) and flow.overview is not None


def test_no_module_outside_a_flow_and_the_registry_names_the_flow() -> None:
    wrong = []
    for path in BOT.rglob("*.py"):
        relative = path.relative_to(BOT).parts
        for flow in FLOWS:
            if relative[:2] == ("flows", flow) or relative == ("flows", "registry.py"):
                continue
            owner = relative[1] if relative[0] == "flows" and len(relative) > 2 else None
            if (owner, flow) in USES:
                continue
            if any(m == f"bot.flows.{flow}" or m.startswith(f"bot.flows.{flow}.") for m in imports(path)):
                wrong.append(f"{path.relative_to(BOT.parent)} imports bot.flows.{flow}")
    assert not wrong, wrong


def test_nothing_in_bot_imports_the_composition_root() -> None:
    wrong = [
        str(p.relative_to(BOT.parent))
        for p in BOT.rglob("*.py")
        if p.name not in ("cli.py", "app.py") and any(m == "bot.app" or m.startswith("bot.app.") for m in imports(p))
    ]
    assert not wrong, wrong


def test_no_platform_knows_a_flow() -> None:
    """The platforms hear command words from the router, not from a list of their own."""
    for platform in ("slack", "teams", "playground"):
        for path in (BOT / platform).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            names = imports(path)
            assert not any(m.startswith(f"bot.flows.{flow}") for m in names for flow in FLOWS), path
            assert not re.search(r'"(?:\w+\.)?commands\.\w+"', text), path


def test_no_flow_or_part_names_a_platform() -> None:
    """What a platform can do (a slash command, an App Home) comes from the catalogue's platform
    variants and from the composition root, not from a flow's or a part's own `if`."""
    platforms = ("slack", "teams", "playground")
    wrong = []
    for path in (BOT / "flows").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in platforms:
                wrong.append(f"{path.relative_to(BOT.parent)}:{node.lineno} {node.value!r}")
        names = imports(path)
        wrong += [
            f"{path.relative_to(BOT.parent)} imports {m}" for m in names for p in platforms if m.startswith(f"bot.{p}")
        ]
    assert not wrong, wrong


def test_every_command_word_reaches_its_part() -> None:
    router = Router()
    parts: list[Part] = list(router.parts)
    keys = [c.words for p in parts for c in p.commands]
    assert len(keys) == len(set(keys)), keys
    flows: list[Flow] = list(router.flows.values())
    assert {"elearning", "peer", "clinical", "visit", "meeting"} == {f.name for f in flows}
