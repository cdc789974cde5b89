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


def test_editors_do_everything_with_content_publish_see_readers_and_background_work():
    models = ["article", *BODY_AND_BYLINE, "section", "author", "tag"]
    assert permissions_of("Editor") == {
        *(f"articles.{action}_{model}" for model in models for action in ALL),
        "articles.publish_article",
        *(f"media.{action}_image" for action in ALL),
        "accounts.view_user",
        "subscriptions.view_subscription",
        # The engine's failed tasks and the outbox, with a retry for each; the workers.
        "foundation.view_backgroundtask",
        "foundation.retry_backgroundtask",
        "foundation.view_outboxmessage",
        "foundation.retry_outboxmessage",
        "foundation.view_taskworker",
        # Newsletters: define, write, send, watch; the suppression list; readers' sign-ups seen.
        *(f"newsletters.{action}_newsletter" for action in ("add", "change", "view")),
        "newsletters.view_newslettersubscription",
        *(f"newsletters.{action}_newslettersend" for action in (*ALL, "send")),
        *(f"newsletters.{action}_digestitem" for action in ALL),
        "newsletters.view_sendrecipient",
        *(f"newsletters.{action}_suppression" for action in ("add", "delete", "view")),
        "newsletters.view_providerevent",
        # The paywall insight: its report, the meter's what-if and the events they count.
        "insight.view_event",
    }


def test_articles_from_before_review_belong_to_whoever_added_them_in_the_admin():
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps
    from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
    from django.db import connection

    from articles.models import Article
    from tests.factories import make_article, make_staff

    review = import_module("articles.migrations.0009_review")
    writer, editor = make_staff(), make_staff()
    added, unknown = make_article(status="draft"), make_article(status="draft")
    for user, flag in [(writer, ADDITION), (editor, CHANGE)]:
        LogEntry.objects.log_actions(
            user_id=user.pk, queryset=[added], action_flag=flag, single_object=True
        )

    # The data step reads and writes rows only: it needs the schema editor's connection.
    review.owners_from_the_admin_log(apps, SimpleNamespace(connection=connection))

    assert Article.objects.get(pk=added.pk).created_by == writer
    assert Article.objects.get(pk=unknown.pk).created_by is None  # editors' only
