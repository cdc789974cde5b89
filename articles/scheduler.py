"""Carry out the schedule: publish and unpublish times, at their minute, with nobody asking.

What readers see never waits for this: every public query (`ArticleQuerySet.published_q`) and
the cached article head compare the times with the clock, so an article appears and goes at
its minute on every page whether or not the scheduler has run. The scheduler makes the
database say what the site already shows, and tells the listeners (`articles.events`):

- an article whose unpublish time has passed becomes a draft, through `article_unpublish`
  (logged "Unpublished at its scheduled time");
- an article whose scheduled publish time has passed since the last run is announced as
  published (logged "Went live at its scheduled time"), once: how far it has announced is kept
  in the database (`SchedulerCheckpoint`), so a restart neither skips nor repeats one.

`manage.py run_scheduler` runs this every `INTERVAL`; one process is enough.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import Article, SchedulerCheckpoint
from .services import SCHEDULER, article_unpublish, article_went_live

logger = logging.getLogger(__name__)

INTERVAL = timedelta(seconds=15)
# On its very first run, the scheduler announces the go-lives of this long before.
FIRST_LOOKBACK = timedelta(hours=1)


@dataclass(frozen=True)
class SchedulerRun:
    """What one run did: the ids of the articles it announced as live and unpublished."""

    went_live: tuple[int, ...]
    unpublished: tuple[int, ...]


def scheduler_run(*, now: datetime | None = None) -> SchedulerRun:
    """Unpublish the articles whose unpublish time has come and announce those whose publish
    time has come since the last run; return what was done."""
    now = now or timezone.now()
    return SchedulerRun(unpublished=_unpublish_due(now), went_live=_announce_went_live(now))


def _unpublish_due(now: datetime) -> tuple[int, ...]:
    due = Article.objects.filter(status=Article.Status.PUBLISHED, unpublish_at__lte=now)
    done = []
    for article_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            # Again under the row's lock: an editor may have moved the time meanwhile.
            article = due.select_for_update().filter(pk=article_id).first()
            if article is None:
                continue
            article_unpublish(article=article, by=SCHEDULER)
        logger.info("Unpublished article %s at its scheduled time", article_id)
        done.append(article_id)
    return tuple(done)


def _announce_went_live(now: datetime) -> tuple[int, ...]:
    with transaction.atomic():
        SchedulerCheckpoint.objects.get_or_create(
            pk=1, defaults={"done_until": now - FIRST_LOOKBACK}
        )
        checkpoint = SchedulerCheckpoint.objects.select_for_update().get(pk=1)
        if checkpoint.done_until >= now:
            return ()
        went_live = list(
            Article.objects.published(at=now)
            .filter(published_at__gt=checkpoint.done_until, published_at__lte=now)
            # Last saved before its publish time: scheduled. One saved at or after that time
            # was published by hand, and `article_publish` announced it then.
            .filter(updated_at__lt=F("published_at"))
            .order_by("published_at", "pk")
        )
        for article in went_live:
            article_went_live(article=article)
            logger.info("Article %s went live at its scheduled time", article.pk)
        checkpoint.done_until = now
        checkpoint.save(update_fields=["done_until"])
    return tuple(article.pk for article in went_live)
