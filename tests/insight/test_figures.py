from datetime import timedelta

import pytest
from django.utils import timezone

from foundation import events
from insight.figures import figures_of_events
from insight.models import Event, Kind

pytestmark = pytest.mark.django_db


def test_a_day_of_events_counts_walls_readers_and_an_attributed_subscription():
    """Two walls for one reader and a read by another: two readers; the reader who met the
    wall signs up and subscribes, and both conversions count for the article."""
    article = {"article_id": 7, "section_id": 2, "access": "metered", "reader_kind": "anonymous"}
    for _ in range(2):
        events.record(Kind.WALL, visitor="abc", detail="meter_exhausted", **article)
    events.record(Kind.READ, visitor="def", **article)
    events.flush()
    events.record_now(Kind.SIGNUP, user_id=5, visitor="abc", reader_kind="anonymous")
    events.record_now(Kind.SUBSCRIPTION, user_id=5, subscription_id=1)

    (row,) = figures_of_events(Event.objects.exclude(article=None))
    assert (row["walls"], row["walls_meter"], row["reads"], row["readers"]) == (2, 2, 1, 2)
    assert (row["signups"], row["subscriptions"]) == (1, 1)
    assert row["day"] == timezone.localdate()
    subscription = Event.objects.get(kind=Kind.SUBSCRIPTION)
    assert subscription.wall.article_id == 7


def test_a_wall_older_than_the_window_is_not_credited():
    events.record_now(Kind.WALL, article_id=7, visitor="abc")
    Event.objects.update(at=timezone.now() - timedelta(days=31))
    events.record_now(Kind.SIGNUP, user_id=5, visitor="abc")
    assert Event.objects.get(kind=Kind.SIGNUP).article_id is None
