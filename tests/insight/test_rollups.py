import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from insight.figures import DIMENSIONS, FIGURES, figures_of_events
from insight.models import DailyFigures, Event, Kind, MeterDemand, RolledUpDay
from insight.rollups import (
    day_roll_up,
    days_roll_up,
    events_of_day,
    meter_demand_make,
)
from tests.insight.factories import local, make_event

pytestmark = pytest.mark.django_db

DAY = date(2026, 6, 10)  # British Summer Time: local midnight is 23:00 UTC the day before


def figures_rows(queryset) -> list[tuple]:
    return sorted(
        (tuple(row[name] for name in (*DIMENSIONS, *FIGURES)) for row in queryset), key=repr
    )


def stored_rows(day) -> list[tuple]:
    return figures_rows(DailyFigures.objects.filter(day=day).values(*DIMENSIONS, *FIGURES))


def a_day_of_events(day):
    make_event(local(day, "08:00"), visitor="abc")
    make_event(local(day, "08:05"), visitor="def", referrer="social")
    make_event(local(day, "09:00"), Kind.WALL, detail="meter_exhausted", visitor="abc")
    make_event(local(day, "09:00"), Kind.WALL, detail="meter_exhausted", visitor="abc")
    make_event(local(day, "10:00"), Kind.PROMPT_CLICK, visitor="abc")
    make_event(local(day, "11:00"), Kind.SUBSCRIPTION, visitor="", user_id=9, subscription_id=3)
    make_event(
        local(day, "12:00"), article_id=2, section_id=3, access="free", visitor="", device="desktop"
    )
    make_event(local(day, "13:00"), Kind.SIGN_IN, visitor="abc", user_id=9)
    make_event(local(day, "14:00"), Kind.SUBSCRIPTION, article_id=None, section_id=None)


def test_a_rolled_up_day_holds_the_figures_the_report_would_count_live():
    a_day_of_events(DAY)
    make_event(local(DAY - timedelta(days=1), "23:59"))  # the days around it stay out
    make_event(local(DAY + timedelta(days=1), "00:00"))

    day_roll_up(day=DAY)

    assert stored_rows(DAY) == figures_rows(figures_of_events(events_of_day(DAY)))
    walls = DailyFigures.objects.get(day=DAY, article_id=1, referrer="search", device="mobile")
    assert (walls.reads, walls.walls, walls.walls_meter, walls.readers) == (1, 2, 2, 1)
    assert RolledUpDay.objects.filter(day=DAY).exists()


def test_rolling_up_a_day_again_gives_the_same_figures_not_twice_as_many():
    a_day_of_events(DAY)
    day_roll_up(day=DAY)
    first = stored_rows(DAY)

    day_roll_up(day=DAY)

    assert stored_rows(DAY) == first
    assert DailyFigures.objects.count() == len(first)


def test_a_late_event_counts_when_the_day_is_rolled_up_again():
    a_day_of_events(DAY)
    day_roll_up(day=DAY)
    make_event(local(DAY, "22:00"), visitor="ghi")

    day_roll_up(day=DAY)

    assert stored_rows(DAY) == figures_rows(figures_of_events(events_of_day(DAY)))


def test_a_day_is_rolled_up_only_once_its_last_batches_are_written():
    make_event(local(DAY, "23:59"))
    midnight = local(DAY + timedelta(days=1), "00:00")

    with time_machine.travel(midnight + timedelta(minutes=5), tick=False):
        assert days_roll_up(now=timezone.now()) == ([], True)
        assert not RolledUpDay.objects.exists()
    with time_machine.travel(midnight + timedelta(minutes=11), tick=False):
        assert days_roll_up(now=timezone.now()) == ([DAY], True)


def test_the_days_behind_are_rolled_up_oldest_first_a_few_at_a_time():
    for back in range(3):
        make_event(local(DAY - timedelta(days=back)))
    now = local(DAY + timedelta(days=1), "03:00")

    assert days_roll_up(now=now, at_most=2) == (
        [DAY - timedelta(days=2), DAY - timedelta(1)],
        False,
    )
    assert days_roll_up(now=now, at_most=2) == ([DAY], True)
    assert days_roll_up(now=now) == ([], True)


def test_events_around_local_midnight_count_on_the_local_day():
    # 23:30 UTC on the 10th is 00:30 on the 11th in London (summer time): the next day.
    after_midnight = make_event(local(DAY + timedelta(days=1), "00:30"), visitor="late")
    make_event(local(DAY, "23:30"), visitor="early")
    assert after_midnight.at.astimezone(UTC).date() == DAY

    day_roll_up(day=DAY)
    day_roll_up(day=DAY + timedelta(days=1))

    assert DailyFigures.objects.get(day=DAY).reads == 1
    assert DailyFigures.objects.get(day=DAY + timedelta(days=1)).reads == 1


def test_the_clocks_going_back_make_a_day_of_25_hours_all_on_that_day():
    autumn = date(2026, 10, 25)  # British Summer Time ends at 02:00
    make_event(local(autumn, "00:30"))
    make_event(local(autumn, "23:30"))

    day_roll_up(day=autumn)

    assert DailyFigures.objects.get(day=autumn).reads == 2


# The meter's demand ----------------------------------------------------------------------------


def demand(month, reader_kind) -> dict[int, tuple[int, int]]:
    return {
        row.articles: (row.readers, row.walled)
        for row in MeterDemand.objects.filter(month=month, reader_kind=reader_kind)
    }


MONTH = date(2026, 6, 1)
AFTER_THE_MONTH = local(date(2026, 7, 1), "03:00")


def test_the_meter_demand_counts_each_reader_by_the_metered_articles_they_wanted():
    # A reader read three metered articles (one of them twice), then met the used-up meter's
    # wall on a fourth: they wanted four, and were walled.
    for article in (1, 2, 3, 1):
        make_event(local(date(2026, 6, 3)), article_id=article, visitor="abc")
    make_event(local(date(2026, 6, 20)), Kind.WALL, article_id=4, detail="meter_exhausted")
    # Another read one and went.
    make_event(local(date(2026, 6, 5)), visitor="def")
    # A registered reader wanted fourteen: "eleven or more".
    for article in range(14):
        make_event(local(date(2026, 6, 7)), article_id=article, reader_kind="registered", user_id=5)
    # Left out: free articles, subscribers, clicks, events of no one, the month after.
    make_event(local(date(2026, 6, 3)), article_id=9, access="free", visitor="abc")
    make_event(local(date(2026, 6, 3)), reader_kind="subscriber", user_id=6, visitor="")
    make_event(local(date(2026, 6, 3)), Kind.PROMPT_CLICK, article_id=8)
    make_event(local(date(2026, 6, 3)), visitor="")
    make_event(local(date(2026, 7, 1), "00:30"), article_id=7, visitor="abc")

    meter_demand_make(month=MONTH, now=AFTER_THE_MONTH)

    anonymous = demand(MONTH, "anonymous")
    assert anonymous[4] == (1, 1)
    assert anonymous[1] == (1, 0)
    assert sum(readers for readers, _ in anonymous.values()) == 2
    registered = demand(MONTH, "registered")
    assert registered[11] == (1, 0)
    assert sum(readers for readers, _ in registered.values()) == 1
    assert sorted(anonymous) == list(range(1, 12))  # every bar, the empty ones too


def test_making_a_month_s_demand_again_replaces_it():
    make_event(local(date(2026, 6, 3)), visitor="abc")
    with time_machine.travel(local(date(2026, 6, 4), "03:00"), tick=False):
        meter_demand_make(month=MONTH, now=timezone.now())
    make_event(local(date(2026, 6, 10)), article_id=2, visitor="abc")

    with time_machine.travel(AFTER_THE_MONTH, tick=False):
        meter_demand_make(month=MONTH, now=timezone.now())

    assert demand(MONTH, "anonymous")[2] == (1, 0)
    assert demand(MONTH, "anonymous")[1] == (0, 0)
    assert MeterDemand.objects.count() == 22


def test_the_current_month_s_demand_counts_only_its_finished_days():
    make_event(local(date(2026, 6, 3)), visitor="abc")
    make_event(local(date(2026, 6, 4), "08:00"), article_id=2, visitor="abc")

    meter_demand_make(month=MONTH, now=local(date(2026, 6, 4), "09:00"))

    assert demand(MONTH, "anonymous")[1] == (1, 0)
    assert Event.objects.count() == 2


# Two runs at once, on PostgreSQL only ----------------------------------------------------------

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite serialises writes: races need PostgreSQL"
)


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_roll_ups_of_a_day_at_once_leave_its_figures_once_not_twice():
    a_day_of_events(DAY)
    barrier = threading.Barrier(4)

    def roll_up():
        try:
            barrier.wait(timeout=30)
            day_roll_up(day=DAY)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda _: roll_up(), range(4)))

    assert stored_rows(DAY) == figures_rows(figures_of_events(events_of_day(DAY)))
