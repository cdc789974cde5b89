"""Publish and unpublish times: every surface follows them at their minute, with nobody saving
anything, and the scheduler makes the database say so and tells the listeners.

Time is moved, not waited for: a time a minute ahead, then the clock of this process (the
site's, here) moved past it with time-machine.
"""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from articles.events import ArticleChange
from articles.models import Article, SchedulerCheckpoint
from articles.scheduler import scheduler_run
from articles.services import (
    SCHEDULER_EMAIL,
    article_publish,
    article_schedule,
    article_schedule_unpublish,
)
from tests.factories import make_article, make_staff

pytestmark = pytest.mark.django_db

HEADLINE = "Quayside embargo story"
# Enough for every surface to be asked before the time comes, on any machine.
BEFOREHAND = 60


@pytest.fixture
def editor():
    return make_staff("articles.view_article", "articles.publish_article")


@pytest.fixture
def wait_until(time_machine):
    """Move this process's clock just past `moment` (its time then goes on)."""

    def move_past(moment):
        time_machine.move_to(moment + timedelta(seconds=0.1), tick=True)

    return move_past


def surfaces(client, article):
    """Return, for each public surface, whether it shows the article."""
    section = article.section
    return {
        "page": client.get(article.get_absolute_url()).status_code == 200,
        "home": HEADLINE in client.get(reverse("home")).content.decode(),
        "section": HEADLINE in client.get(section.get_absolute_url()).content.decode(),
        "feed": HEADLINE in client.get(reverse("feed")).content.decode(),
        "section feed": HEADLINE
        in client.get(reverse("section_feed", args=[section.slug])).content.decode(),
        "sitemap": f"{article.get_absolute_url()}</loc>"
        in client.get(reverse("sitemap_section", args=["articles"])).content.decode(),
        "news sitemap": f"{article.get_absolute_url()}</loc>"
        in client.get(reverse("news_sitemap")).content.decode(),
        "search": HEADLINE in client.get(reverse("search"), {"q": "Quayside"}).content.decode(),
    }


def test_a_scheduled_article_is_nowhere_before_its_minute_and_everywhere_at_it(
    client, editor, wait_until
):
    make_article(headline="Already out")
    article = make_article(headline=HEADLINE, status=Article.Status.DRAFT)
    goes_live = timezone.now() + timedelta(seconds=BEFOREHAND)
    article_schedule(article=article, by=editor, at=goes_live)

    before = surfaces(client, article)  # every cache warmed with the article absent
    assert timezone.now() < goes_live, "too slow to ask every surface beforehand"
    assert not any(before.values()), before

    wait_until(goes_live)  # nobody saves anything, and the scheduler does not run

    after = surfaces(client, article)
    assert all(after.values()), after


def test_an_article_leaves_every_surface_at_its_unpublish_minute(
    client, editor, announced, django_capture_on_commit_callbacks, wait_until
):
    article = make_article(headline=HEADLINE, published_at=timezone.now() - timedelta(minutes=5))
    comes_down = timezone.now() + timedelta(seconds=BEFOREHAND)
    article_schedule_unpublish(article=article, by=editor, at=comes_down)

    before = surfaces(client, article)  # every cache warmed with the article in it
    assert timezone.now() < comes_down, "too slow to ask every surface beforehand"
    assert all(before.values()), before

    wait_until(comes_down)

    after = surfaces(client, article)  # before the scheduler has run
    assert not any(after.values()), after
    assert Article.objects.get(pk=article.pk).status == Article.Status.PUBLISHED

    announced.clear()
    with django_capture_on_commit_callbacks(execute=True):
        done = scheduler_run()

    assert done.unpublished == (article.pk,)
    article.refresh_from_db()
    assert (article.status, article.unpublish_at) == (Article.Status.DRAFT, None)
    entry = LogEntry.objects.filter(object_id=article.pk).latest("action_time")
    assert entry.get_change_message().startswith("Unpublished at its scheduled time (")
    assert entry.user.email == SCHEDULER_EMAIL and not entry.user.is_active
    assert not entry.user.has_usable_password()
    assert announced == [(article.pk, ArticleChange.UNPUBLISHED)]
    assert not any(surfaces(client, article).values())

    assert scheduler_run().unpublished == ()  # done once


def test_staff_see_when_an_article_came_down(client, editor):
    article = make_article(headline=HEADLINE, published_at=timezone.now() - timedelta(minutes=5))
    article.unpublish_at = timezone.now()  # as if set a while ago, and now come
    article.save()
    client.force_login(make_staff(is_superuser=True))

    page = client.get(article.get_absolute_url())

    assert page.status_code == 200
    assert "Unpublished at" in page.content.decode()


def test_the_scheduler_announces_a_scheduled_go_live_once(
    editor, announced, django_capture_on_commit_callbacks, wait_until
):
    SchedulerCheckpoint.objects.create(pk=1, done_until=timezone.now())
    article = make_article(headline=HEADLINE, status=Article.Status.DRAFT)
    goes_live = timezone.now() + timedelta(seconds=BEFOREHAND)
    article_schedule(article=article, by=editor, at=goes_live)
    published_by_hand = make_article(status=Article.Status.DRAFT)
    announced.clear()

    assert scheduler_run().went_live == ()  # not yet
    wait_until(goes_live)
    article_publish(article=published_by_hand, by=editor)  # announced by its service
    announced.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert scheduler_run().went_live == (article.pk,)
    assert announced == [(article.pk, ArticleChange.PUBLISHED)]
    assert LogEntry.objects.filter(
        object_id=article.pk, change_message="Went live at its scheduled time"
    ).exists()
    announced.clear()
    assert scheduler_run().went_live == () and announced == []


def test_a_restarted_scheduler_announces_what_went_live_while_it_was_away(editor, wait_until):
    article = make_article(headline=HEADLINE, status=Article.Status.DRAFT)
    SchedulerCheckpoint.objects.create(pk=1, done_until=timezone.now())
    goes_live = timezone.now() + timedelta(seconds=1)
    article_schedule(article=article, by=editor, at=goes_live)
    wait_until(goes_live)

    call_command("run_scheduler", "--once")  # a new process: only the database remembers

    assert scheduler_run().went_live == ()
    assert LogEntry.objects.filter(
        object_id=article.pk, change_message="Went live at its scheduled time"
    ).exists()


def test_an_unpublish_time_moved_later_is_left_alone(editor, wait_until):
    article = make_article(headline=HEADLINE, published_at=timezone.now() - timedelta(minutes=5))
    first = timezone.now() + timedelta(seconds=2)
    article_schedule_unpublish(article=article, by=editor, at=first)
    article_schedule_unpublish(article=article, by=editor, at=timezone.now() + timedelta(days=1))
    wait_until(first)

    assert scheduler_run().unpublished == ()
    assert Article.objects.get(pk=article.pk).is_live


def test_the_run_scheduler_command_reports_what_it_did(editor, capsys):
    article = make_article(headline=HEADLINE, published_at=timezone.now() - timedelta(minutes=5))
    article.unpublish_at = timezone.now()  # as if set a while ago, and now come
    article.save()

    call_command("run_scheduler", "--once")

    assert f"Unpublished article {article.pk} at its scheduled time." in capsys.readouterr().out
    assert Article.objects.get(pk=article.pk).status == Article.Status.DRAFT
