import re
import shutil
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.core.management.base import CommandError

from articles import services
from articles.models import (
    Section,
)
from demo import content
from media.models import Image

pytestmark = pytest.mark.django_db

LOGIN_LINE = re.compile(r"^\s+(\w+)\s+(\S+@\S+) / (\S+)$", re.MULTILINE)


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.NEWSROOM_RENDITION_WIDTHS = [480]  # fewer renditions: a quicker suite
    return tmp_path


def seed_demo():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def row_counts():
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def stored_files(root):
    return sorted(path for path in root.rglob("*") if path.is_file())


def printed_logins(output):
    return {role: (email, password) for role, email, password in LOGIN_LINE.findall(output)}


def test_journalist_joins_the_group_without_changing_what_it_may_do(client):
    # What a journalist may do belongs to the migration that makes the group; the demo only
    # puts its journalist in it.
    group = Group.objects.get_or_create(name="Journalist")[0]
    group.permissions.set(Permission.objects.filter(codename="view_article"))

    logins = printed_logins(seed_demo())

    journalist = get_user_model().objects.get(email=logins["journalist"][0])
    assert journalist.groups.get() == group
    assert list(group.permissions.values_list("codename", flat=True)) == ["view_article"]
    client.force_login(journalist)
    assert client.get("/admin/accounts/user/").status_code in (302, 403)


def test_a_failed_run_leaves_no_rows_or_files_behind(uploads, monkeypatch):
    def fail(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "article_body_changed", fail)

    with pytest.raises(RuntimeError):
        seed_demo()

    assert not Image.objects.exists()
    assert not Section.objects.exists()
    assert stored_files(uploads) == []


def test_a_malformed_article_stops_the_run_before_anything_is_written(tmp_path, monkeypatch):
    shutil.copytree(content.CONTENT_DIR, tmp_path / "content")
    broken = tmp_path / "content" / "articles" / "ferry-fares-rise-to-close-transport-gap.md"
    broken.write_text(broken.read_text().replace('access = "metered"', "access = metered", 1))
    monkeypatch.setattr(content, "CONTENT_DIR", tmp_path / "content")

    with pytest.raises(CommandError) as raised:
        seed_demo()

    assert "ferry-fares-rise-to-close-transport-gap.md" in str(raised.value)
    assert "line 7" in str(raised.value)  # the file's own line numbers
    assert not get_user_model().objects.exists()
