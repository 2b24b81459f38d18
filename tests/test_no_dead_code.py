"""Code the bot never runs is not kept for its tests (issue 16): a test of dead code proves nothing.

Every function, class, method and module-level name defined in bot/ must be used somewhere in bot/ besides its
own definition. bot/fakes/ is test equipment and counts neither way: code only the fakes call is dead too.
The check goes by name, so a dead method that shares its name with a live one elsewhere (as the removed
`SharedToken.forget` shared `forget` with the Slack directory's cache) escapes it; grep such names by hand.
"""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Called by the libraries the bot plugs into, never by name in our code.
HOOKS = {
    "filter": "logging.Filter: logging calls it (bot/slack/socket_connect.py OneLine)",
    "can_retry_async": "slack_sdk RetryHandler hook",
    "_can_retry_async": "slack_sdk RetryHandler hook",
    "prepare_for_next_attempt_async": "slack_sdk RetryHandler hook",
    # Read-only views of a live state that tests wait on (tests/waiting.py: wait for the event itself, not a
    # sleep); they decide nothing.
    "waiting": "FleetSlots: calls waiting for a fleet slot",
    "subscribed": "FleetSlots: whether release announcements reach this process",
}


def _sources() -> dict[Path, ast.Module]:
    files = [p for p in (ROOT / "bot").rglob("*.py") if "fakes" not in p.relative_to(ROOT).parts]
    return {p: ast.parse(p.read_text(), str(p)) for p in sorted(files)}


def _definitions(tree: ast.Module) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.append((node.name, node.lineno))
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) \
            else []
        found.extend((t.id, node.lineno) for t in targets if isinstance(t, ast.Name))
    return found


def _uses(tree: ast.Module) -> Counter[str]:
    used: Counter[str] = Counter()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            used[node.id] += 1
        elif isinstance(node, ast.Attribute):
            used[node.attr] += 1
        elif isinstance(node, ast.ImportFrom):
            used.update(alias.name for alias in node.names)
    return used


def test_everything_defined_in_the_bot_is_used_by_the_bot() -> None:
    sources = _sources()
    used: Counter[str] = Counter()
    for tree in sources.values():
        used += _uses(tree)
    entry_points = " ".join((ROOT / name).read_text() for name in ("pyproject.toml", "Procfile", "app.json"))
    unused = [f"{path.relative_to(ROOT)}:{line} {name}" for path, tree in sources.items()
              for name, line in _definitions(tree)
              if not name.startswith("__") and name not in HOOKS and not used[name] and name not in entry_points]
    assert unused == []


def test_the_check_finds_an_unused_function() -> None:
    tree = ast.parse("def used() -> int:\n    return 1\n\n\ndef unused() -> int:\n    return used()\n")
    names = {name for name, _ in _definitions(tree)}
    assert {name for name in names if not _uses(tree)[name]} == {"unused"}
