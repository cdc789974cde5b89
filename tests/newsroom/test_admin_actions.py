"""Every action in the admin says which permission it needs, so a view-only account runs none."""

import pytest
from django.apps import apps
from django.contrib import admin

OUR_APPS = {"foundation", "accounts", "media", "articles", "subscriptions"}


def site_actions():
    """Return (model admin, action name, action) for every action our apps offer, and the site's."""
    found = [(None, name, action) for name, action in admin.site.actions]
    for model in apps.get_models():
        if model._meta.app_label not in OUR_APPS or not admin.site.is_registered(model):
            continue
        model_admin = admin.site.get_model_admin(model)
        for action in model_admin.actions or ():
            function = getattr(model_admin, action) if isinstance(action, str) else action
            found.append((model_admin, function.__name__, function))
    return found


@pytest.mark.parametrize(
    ("model_admin", "name", "action"),
    site_actions(),
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_every_admin_action_declares_its_permission(model_admin, name, action):
    permissions = getattr(action, "allowed_permissions", ())
    assert permissions, f"{name} must declare @admin.action(permissions=[...])"
    assert "view" not in permissions, f"{name} would run for view-only accounts"
    for permission in permissions:
        if model_admin is not None:
            assert callable(getattr(model_admin, f"has_{permission}_permission", None))


def test_the_admin_header_reads_as_the_publications_name(admin_client, settings):
    page = admin_client.get("/admin/").content.decode()
    assert f">{settings.NEWSROOM_PUBLICATION_NAME}<" in page
    assert "Newsroom newsroom" not in page
