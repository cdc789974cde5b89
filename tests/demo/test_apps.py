import os
import subprocess
import sys

import pytest
from django.conf import settings


def installed_apps(**environ) -> list[str]:
    """Return INSTALLED_APPS as the project's own settings make them from this environment."""
    code = "from django.conf import settings; print(*settings.INSTALLED_APPS)"
    keep = {key: value for key, value in os.environ.items() if not key.startswith("NEWSROOM_")}
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", code],
        env={
            **keep,
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "SECRET_KEY": "x",
            "DEBUG": "false",
            **environ,
        },
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split()


@pytest.mark.parametrize(
    ("environ", "installed"),
    [
        ({}, False),
        ({"DEBUG": "true"}, True),
        ({"DEBUG": "true", "NEWSROOM_DEMO": "false"}, False),
        ({"NEWSROOM_DEMO": "true"}, True),
    ],
)
def test_the_demo_is_installed_in_development_only(environ, installed):
    assert ("demo" in installed_apps(**environ)) == installed


def test_no_other_app_imports_the_demo():
    base = settings.BASE_DIR
    folders = [path for path in base.iterdir() if (path / "__init__.py").exists()]
    sources = [*base.glob("*.py"), *(path for folder in folders for path in folder.rglob("*.py"))]
    for path in sources:
        if path.is_relative_to(base / "demo") or path.is_relative_to(base / "tests" / "demo"):
            continue
        source = path.read_text(encoding="utf-8")
        assert "from demo" not in source and "import demo" not in source, path
