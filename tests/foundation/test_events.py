"""Events wait in their process's batch, off the page's path, and are written together: after a
response once the batch is full or old enough, at once for a conversion, and kept through a
sink that fails."""

import pytest

from foundation import events
from insight.models import Event, Kind

pytestmark = pytest.mark.django_db


@pytest.fixture
def handed_over():
    """The batches handed over to background work, kept here instead."""
    from insight.recording import events_hand_over, events_write

    batches = []
    events.sink_set(events_write, hand_over=batches.append)
    yield batches
    events.sink_set(events_write, hand_over=events_hand_over)


def test_a_page_only_adds_to_the_batch_until_it_is_full(
    client, settings, handed_over, django_assert_num_queries
):
    settings.NEWSROOM_INSIGHT_BATCH = 3
    with django_assert_num_queries(0):  # a page that asks nothing of the database
        for _ in range(2):
            events.record(Kind.READ, article_id=1, access="free")
            client.get("/healthz")
    assert events.pending() == 2 and handed_over == []

    events.record(Kind.READ, article_id=1, access="free")
    client.get("/healthz")  # once its response has gone: the three in one batch
    assert events.pending() == 0 and [len(batch) for batch in handed_over] == [3]


def test_a_batch_handed_over_is_written_once_however_often_its_task_runs():
    from insight.recording import events_write_later

    batch = '[[1700000000.0, "read", null, 1, null, "free", null, null, "", null, null, null]]'
    assert events_write_later.call("batch-1", batch) == "1 events written."
    assert events_write_later.call("batch-1", batch) == "Written already."
    assert Event.objects.count() == 1


def test_an_old_batch_is_written_after_the_next_response_however_small(client, settings):
    settings.NEWSROOM_INSIGHT_FLUSH_SECONDS = 0
    events.record(Kind.WALL, article_id=1)
    client.get("/healthz")
    assert Event.objects.filter(kind=Kind.WALL).count() == 1


def test_a_conversion_is_written_at_once_after_the_batch():
    events.record(Kind.WALL, article_id=4, visitor="v" * 16)
    events.record_now(Kind.SIGNUP, user_id=None, visitor="v" * 16)
    wall, signup = Event.objects.order_by("pk")
    assert (wall.kind, signup.kind) == (Kind.WALL, Kind.SIGNUP)
    assert signup.wall == wall and signup.article_id == 4


def test_a_batch_the_sink_refuses_is_kept_for_the_next_try_within_a_bound(monkeypatch, caplog):
    from insight.recording import events_hand_over, events_write

    written = []

    def failing(batch):
        raise ConnectionError("the database is away")

    events.sink_set(failing, hand_over=failing)
    monkeypatch.setattr(events, "KEEP_AT_MOST", 3)
    try:
        for article_id in range(5):
            events.record(Kind.READ, article_id=article_id)
        assert events.flush() == 0
        assert events.pending() == 3  # the newest three, and the log says what was dropped
        assert "2 events dropped" in caplog.text
        events.sink_set(written.extend)
        assert events.flush() == 3
    finally:
        events.sink_set(events_write, hand_over=events_hand_over)
    assert [facts["article_id"] for _at, _kind, facts in written] == [2, 3, 4]
