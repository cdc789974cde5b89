from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from articles.models import Article
from insight.figures import figures_of_events
from insight.models import DailyFigures, Event, MeterDemand, RolledUpDay
from insight.rollups import day_start, last_finished_day

pytestmark = pytest.mark.django_db

HARBOUR = "council-backs-harbour-front-plan-by-one-vote"


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.NEWSROOM_RENDITION_WIDTHS = [480]


def test_an_editor_on_a_fresh_demo_sees_the_harbour_front_walls_turn_into_subscriptions():
    call_command("seed_demo", stdout=StringIO())
    article = Article.objects.get(slug=HARBOUR)
    last = last_finished_day(now=timezone.now())

    # As the report counts: the finished days' figures, and the days after them live.
    rolled = DailyFigures.objects.filter(article_id=article.pk).aggregate(
        walls=Sum("walls"), subscriptions=Sum("subscriptions")
    )
    since = day_start(last + timedelta(days=1))
    live = list(figures_of_events(Event.objects.filter(article_id=article.pk, at__gte=since)))
    walls = (rolled["walls"] or 0) + sum(row["walls"] for row in live)
    subscriptions = (rolled["subscriptions"] or 0) + sum(row["subscriptions"] for row in live)

    assert (walls, subscriptions) == (14, 2)
    assert RolledUpDay.objects.filter(day=last).exists()
    # The meter's what-if has readers who wanted more than one article.
    assert MeterDemand.objects.filter(readers__gt=0, articles__gt=1).exists()


def test_the_demo_s_events_are_written_once():
    call_command("seed_demo", stdout=StringIO())
    events = Event.objects.count()

    call_command("seed_demo", stdout=StringIO())

    assert Event.objects.count() == events > 500
