"""What the Journalist and Editor groups may do, as `migrate` leaves them."""

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db

BODY_AND_BYLINE = ["textblock", "imageblock", "quoteblock", "paywallbreak", "byline"]
ALL = ["add", "change", "delete", "view"]


def permissions_of(name):
    group = Group.objects.get(name=name)
    return {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }


def test_journalists_write_but_neither_publish_nor_delete_articles():
    assert permissions_of("Journalist") == {
        "articles.add_article",
        "articles.change_article",
        "articles.view_article",
        *(f"articles.{action}_{model}" for model in BODY_AND_BYLINE for action in ALL),
        "articles.view_section",
        "articles.view_author",
        "articles.view_tag",
        "media.add_image",
        "media.change_image",
        "media.view_image",
    }


def test_editors_do_everything_with_content_publish_and_see_readers():
    models = ["article", *BODY_AND_BYLINE, "section", "author", "tag"]
    assert permissions_of("Editor") == {
        *(f"articles.{action}_{model}" for model in models for action in ALL),
        "articles.publish_article",
        *(f"media.{action}_image" for action in ALL),
        "accounts.view_user",
        "subscriptions.view_subscription",
    }
