"""The packages point one way (DESIGN.md): accounts <- media <- articles -> subscriptions ->
accounts, all of them on `foundation`, which names none of them, `newsletters` above `articles`
and `subscriptions`, and `newsroom` (settings, URLs, what every request passes through) on top of
them all.

A package names another only if it may depend on it: in an import, or in a dotted path given as
a string (a backend, a view, a setting), which ties them together just the same.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What each package may depend on; `demo`, dev only, sits on top of them all and none names it.
APPS = {"accounts", "media", "subscriptions", "articles"}
MAY_USE = {
    "foundation": set(),
    "accounts": {"foundation"},
    "media": {"foundation", "accounts"},
    "subscriptions": {"foundation", "accounts"},
    "articles": {"foundation", "accounts", "media", "subscriptions"},
    # Renders articles for readers through the paywall's decision; nothing names it but newsroom.
    "newsletters": {"foundation", "accounts", "media", "articles", "subscriptions"},
    # Paywall insight: counts what readers of articles were shown and did; nothing names it but
    # newsroom (the lower apps record through `foundation.events`).
    "insight": {"foundation", "accounts", "articles", "subscriptions", "newsletters"},
    "newsroom": {"foundation", *APPS, "newsletters", "insight"},
}


def _names_used(source: str) -> set[str]:
    """Return the first part of every module an import or a dotted-path string names."""
    tree = ast.parse(source)
    docstrings = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    used = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            used |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            used.add(node.module.split(".")[0])
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and node.value.count(".") >= 1
            and " " not in node.value
        ):
            used.add(node.value.split(".")[0])
    return used


@pytest.mark.parametrize("app", sorted(MAY_USE))
def test_an_app_names_only_the_apps_beneath_it(app):
    forbidden = (set(MAY_USE) - MAY_USE[app] - {app}) | {"demo"}
    found = {}
    for path in (ROOT / app).rglob("*.py"):
        if "migrations" in path.parts:
            continue  # a migration names the apps its models point to, as the models do
        wrong = _names_used(path.read_text()) & forbidden
        if wrong:
            found[str(path.relative_to(ROOT))] = sorted(wrong)
    assert not found, f"{app} depends on apps above or beside it: {found}"
