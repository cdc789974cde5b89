from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from insight.models import DailyFigures, Event, Kind, MeterDemand
from insight.rollups import (
    events_delete_old,
    events_forget_readers,
    insight_roll_up_run,
    meter_demands_make,
)
from tests.insight.factories import local, make_event

pytestmark = pytest.mark.django_db

NOW = local(date(2026, 6, 20), "10:15")


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


def readers() -> dict[int, tuple]:
    return {event.pk: (event.user_id, event.visitor) for event in Event.objects.all()}


def test_readers_are_forgotten_after_31_days_in_batches_and_nothing_else_changes():
    old = [
        make_event(NOW - timedelta(days=32) + timedelta(minutes=n), user_id=n, visitor=f"v{n}")
        for n in range(5)
    ]
    recent = [make_event(NOW - timedelta(days=30), user_id=7, visitor="kept") for _ in range(3)]
    meter_demands_make(now=NOW)  # as the roll-up does first
    before = list(Event.objects.order_by("pk").values())

    done = events_forget_readers(now=NOW, batch_size=2)

    assert done.batches >= 3 and done.rows == 5
    after = list(Event.objects.order_by("pk").values())
    for was, now in zip(before, after, strict=True):
        if was["id"] in {event.pk for event in old}:
            assert (now["user_id"], now["visitor"]) == (None, "")
            was |= {"user_id": None, "visitor": ""}
        assert now == was  # the rest of the event as it was, and the recent ones untouched
    assert all(readers()[event.pk] == (7, "kept") for event in recent)


def test_forgetting_again_finds_nothing_to_do():
    make_event(NOW - timedelta(days=40), user_id=1)
    meter_demands_make(now=NOW)
    events_forget_readers(now=NOW, batch_size=2)

    assert events_forget_readers(now=NOW, batch_size=2).rows == 0


def test_a_month_s_readers_are_kept_until_its_meter_demand_is_made():
    # Read on 2 May, forgotten from 2 June; but May's demand is not made yet.
    make_event(local(date(2026, 5, 2)), visitor="abc")

    assert events_forget_readers(now=NOW).rows == 0
    assert readers() != {}  # the reader is still known

    meter_demands_make(now=NOW)
    assert events_forget_readers(now=NOW).rows == 1
    may = MeterDemand.objects.get(month=date(2026, 5, 1), reader_kind="anonymous", articles=1)
    assert may.readers == 1


def test_the_roll_up_makes_the_month_s_demand_before_forgetting_its_readers():
    # The last minutes of a 31-day month: its first events are already 31 days old, and its
    # demand cannot be final yet (the last day is not finished): the readers are kept.
    make_event(local(date(2026, 5, 1), "00:05"), visitor="abc")
    make_event(local(date(2026, 5, 31), "23:50"), article_id=2, visitor="abc")
    just_after = local(date(2026, 6, 1), "00:07")
    with time_machine.travel(just_after, tick=False):
        insight_roll_up_run()
    assert sorted(readers().values()) == [(None, "abc"), (None, "abc")]

    with time_machine.travel(just_after + timedelta(hours=1), tick=False):
        insight_roll_up_run()

    may = MeterDemand.objects.get(month=date(2026, 5, 1), reader_kind="anonymous", articles=2)
    assert may.readers == 1  # one reader who wanted two articles, counted before forgetting
    assert sorted(readers().values()) == [(None, ""), (None, "abc")]


def test_events_are_deleted_after_13_months_in_batches_and_the_figures_stay():
    old = [make_event(local(date(2025, 5, 19), "23:00"), Kind.WALL) for _ in range(5)]
    kept = [make_event(local(date(2025, 5, 20), "00:30")) for _ in range(2)]
    figures = DailyFigures.objects.create(day=date(2025, 5, 19), walls=5)

    done = events_delete_old(now=NOW, batch_size=2)

    assert done.rows == 5 and done.batches >= 3
    assert set(Event.objects.values_list("pk", flat=True)) == {event.pk for event in kept}
    assert not Event.objects.filter(pk__in=[event.pk for event in old]).exists()
    assert DailyFigures.objects.get(pk=figures.pk).walls == 5


def test_the_roll_up_does_it_all_and_a_second_run_changes_nothing():
    make_event(timezone.now() - timedelta(days=400), user_id=1)
    make_event(timezone.now() - timedelta(days=40), user_id=2)
    make_event(timezone.now() - timedelta(days=2), user_id=3)

    runs = [insight_roll_up_run()]
    while not runs[-1].finished:  # two months of days a run
        runs.append(insight_roll_up_run())

    assert sum(run.deleted.rows for run in runs) == 1
    assert sorted(readers().values(), key=repr) == [(3, "abc"), (None, "")]
    figures = list(DailyFigures.objects.values())
    again = insight_roll_up_run()
    assert (again.days, again.months, again.forgotten.rows, again.deleted.rows) == ([], [], 0, 0)
    assert list(DailyFigures.objects.values()) == figures


def test_the_tokens_of_written_batches_are_kept_a_week():
    from insight.models import WrittenBatch

    WrittenBatch.objects.create(token="old", written_at=timezone.now() - timedelta(days=8))
    WrittenBatch.objects.create(token="new", written_at=timezone.now() - timedelta(days=6))
    insight_roll_up_run()
    assert list(WrittenBatch.objects.values_list("token", flat=True)) == ["new"]
