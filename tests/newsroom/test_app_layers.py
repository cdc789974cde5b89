"""The apps point one way (DESIGN.md): accounts <- media <- articles -> subscriptions -> accounts.

An app names another only if it may depend on it: in an import, or in a dotted path given as a
string (a backend, a view, a setting), which ties the apps together just the same.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What each app may depend on besides `newsroom`, the project's own shared pieces (settings,
# form mixins, the cache); `demo`, dev only, sits on top of them all and none names it.
MAY_USE = {
    "accounts": set(),
    "media": {"accounts"},
    "subscriptions": {"accounts"},
    "articles": {"accounts", "media", "subscriptions"},
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
