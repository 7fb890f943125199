"""The packages of bot/ import in one direction, and channels only translate.

Static (ast): every `import` / `from … import` in bot/, including those inside functions,
is an edge from the importing module's package to the imported module's package. The
graph of packages must have no cycle, and no module under bot/channels/ may import
storage, bot.staff or bot.web (a channel turns platform payloads into envelopes and
back; the wiring in bot/app/ hands it whatever reaches the database).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

# regroup: new layout (the package names in this file are of the new layout)
ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
FORBIDDEN_IN_CHANNELS = ("storage", "bot.staff", "bot.web")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_of(path: Path) -> str:
    """A module's package: bot.channels.wechat.routes for bot/channels/wechat/routes.py."""
    parts = list(path.relative_to(ROOT).parent.parts)
    return ".".join(parts)


def imported(path: Path) -> Iterator[str]:
    """Absolute names of the modules (or module members) a file imports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = package_of(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield f"{base}.{alias.name}"


def bot_packages() -> set[str]:
    return {package_of(p) for p in BOT.rglob("__init__.py")}


def target_package(name: str, packages: set[str]) -> str | None:
    """The bot package `name` lives in: the longest package that is a proper prefix of it,
    or the package itself when `name` names a package (`from bot.channels import wechat`)."""
    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        prefix = ".".join(parts[:i])
        if prefix in packages:
            return prefix
    return None


def package_graph() -> dict[str, dict[str, list[str]]]:
    """package -> imported package -> the importing modules (for the failure message)."""
    packages = bot_packages()
    graph: dict[str, dict[str, list[str]]] = {p: {} for p in packages}
    for path in BOT.rglob("*.py"):
        source = package_of(path)
        for name in imported(path):
            target = target_package(name, packages)
            if target and target != source:
                graph[source].setdefault(target, []).append(f"{module_name(path)} -> {name}")
    return graph


def find_cycle(graph: dict[str, dict[str, list[str]]]) -> list[str] | None:
    """One cycle as a list of packages (first == last), or None."""
    state: dict[str, int] = {}  # 1: on the stack, 2: done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, {})):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_find_cycle_reports_a_cycle_and_passes_a_tree() -> None:
    assert find_cycle({"a": {"b": []}, "b": {"c": []}, "c": {"a": []}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b": [], "c": []}, "b": {"c": []}, "c": {}}) is None


def test_the_packages_of_bot_have_no_import_cycle() -> None:
    graph = package_graph()
    assert {"bot.app", "bot.dispatch", "bot.channels.wechat"} <= set(graph)
    cycle = find_cycle(graph)
    if cycle:
        why = [f"  {a} -> {b}: {graph[a][b][:3]}" for a, b in zip(cycle, cycle[1:], strict=False)]
        pytest.fail("package import cycle:\n" + "\n".join(why))


def test_channels_import_neither_storage_nor_staff_nor_web() -> None:
    offending = [
        f"{module_name(path)} imports {name}"
        for path in (BOT / "channels").rglob("*.py")
        for name in imported(path)
        if any(name == f or name.startswith(f + ".") for f in FORBIDDEN_IN_CHANNELS)
    ]
    assert offending == []
