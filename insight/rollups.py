"""The events made into what the report reads, and the events let go: roll-ups and retention.

`insight_roll_up_run` does it all, in this order, and is safe to run again at any time (the
task `insight.tasks.insight_roll_up` runs it every hour, `manage.py insight_roll_up` at once):

1. `days_roll_up`: each finished day not rolled up yet becomes `DailyFigures` (the counts of
   `insight.figures.figures_of_events`, the one aggregation) and a `RolledUpDay`. A day is
   finished `GRACE` after its midnight, in the site's time zone, so that the batches still held
   by the web processes (`foundation.events`: seconds) have been written.
2. `meter_demand_make`: each month whose meter demand is not final (the current month, through
   its last finished day; the month before until it is made once after its end), as
   `MeterDemand`.
3. `events_forget_readers`: events older than `NEWSROOM_INSIGHT_READER_DAYS` lose their reader
   (account and meter id).
4. `events_delete_old`: events older than `NEWSROOM_INSIGHT_KEEP_MONTHS` months are deleted.
   The daily figures and the meter demand are kept: they name no one.

Why this order: a month's meter demand counts distinct readers, so it needs the reader of every
event of the month. The first events of a 31-day month are 31 days old as it ends, so making the
demand after forgetting would lose them. Step 2 comes first in every run, and step 3 never goes
past the start of the oldest month whose demand is not final (`readers_needed_since`), so that
the order holds even when a run stops half-way or the workers were down for weeks.

Retention works in batches of primary keys (`BATCH_SIZE`), each its own short transaction: the
table is never locked for long, and the web processes' inserts never wait on it.
"""

from __future__ import annotations

import time as clock
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, CharField, Count, F, Max, Min, Q, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from insight.figures import DIMENSIONS, FIGURES, figures_of_events
from insight.models import (
    DailyFigures,
    Event,
    Kind,
    MeterDemand,
    ReaderKind,
    RolledUpDay,
    WrittenBatch,
)

# A day is finished this long after its end: the web processes' batches are written by then.
GRACE = timedelta(minutes=10)
# How long the tokens of the batches written are kept (`insight.recording.events_write_later`).
WRITTEN_BATCHES_KEPT = timedelta(days=7)
# Days rolled up in one run at most: a backlog (the workers were down) is caught up over runs.
DAYS_PER_RUN = 62
# Events touched by one statement of the retention steps.
BATCH_SIZE = 10_000
# An event is written within this long after its time (seconds, in fact): the retention's
# batches look this far past their cutoff for the events before it.
LATE = timedelta(days=1)
# The meter demand's last column: "eleven or more".
MOST_ARTICLES = 11
# The kinds of reader the meter counts (subscribers do not meet it).
METERED_READERS = (ReaderKind.ANONYMOUS, ReaderKind.REGISTERED)
# A reader known by their account or their meter id.
HAS_READER = Q(user_id__isnull=False) | ~Q(visitor="")


# Days and months in the site's time zone ----------------------------------------------------


def day_start(day: date) -> datetime:
    """Return the moment `day` begins in the site's time zone."""
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def last_finished_day(*, now: datetime) -> date:
    """Return the last day whose events are all written by `now` (its end plus `GRACE`)."""
    return timezone.localdate(now - GRACE) - timedelta(days=1)


def month_of(day: date) -> date:
    return day.replace(day=1)


def month_after(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_before(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def months_back(day: date, months: int) -> date:
    """Return `day` `months` calendar months earlier (the last day of a shorter month)."""
    month = month_of(day)
    for _ in range(months):
        month = month_before(month)
    last = (month_after(month) - timedelta(days=1)).day
    return month.replace(day=min(day.day, last))


def first_event_day() -> date | None:
    """Return the day of the oldest event kept (one step down the `event_at` index)."""
    first = Event.objects.order_by("at").values_list("at", flat=True).first()
    return None if first is None else timezone.localdate(first)


def events_of_day(day: date):
    """Return the events of `day`: a range of the `event_at` index, not a date lookup."""
    return Event.objects.filter(at__gte=day_start(day), at__lt=day_start(day + timedelta(days=1)))


# 1. Days ---------------------------------------------------------------------------------------


def day_roll_up(*, day: date, now: datetime | None = None) -> int:
    """Make `day`'s `DailyFigures` from its events again, and mark it rolled up; return how
    many rows it holds. Safe to run again, and at the same time as another run of it."""
    with transaction.atomic():
        # First, the day's mark: a roll-up of the same day in another process waits here for
        # this one to commit, instead of adding its rows beside these.
        RolledUpDay.objects.update_or_create(day=day, defaults={"made_at": now or timezone.now()})
        DailyFigures.objects.filter(day=day).delete()
        if connection.vendor == "postgresql":
            return figures_insert_select(events_of_day(day))
        return figures_fetch_and_insert(events_of_day(day))


def figures_insert_select(events) -> int:
    """Insert the figures of `events` as `DailyFigures` in one `INSERT … SELECT`: the rows never
    leave the database (benchmarks/insight.py measures it against fetching them)."""
    sql, params = figures_of_events(events).query.sql_with_params()
    columns = [
        DailyFigures._meta.get_field(name.removesuffix("_id")).column for name in DIMENSIONS
    ] + list(FIGURES)
    # The inner query names each column as `DailyFigures` does (`day`, `article_id`, `reads`…),
    # so they are taken by name, whatever order the ORM wrote them in.
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    selected = ", ".join(connection.ops.quote_name(name) for name in (*DIMENSIONS, *FIGURES))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(DailyFigures._meta.db_table)} ({names}) "  # noqa: S608
            f"SELECT {selected} FROM ({sql}) AS figures",
            params,
        )
        return cursor.rowcount


def figures_fetch_and_insert(events) -> int:
    """Insert the figures of `events` as `DailyFigures`, fetched as dicts and bulk-created."""
    rows = [DailyFigures(**row) for row in figures_of_events(events).iterator(chunk_size=5000)]
    DailyFigures.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def days_to_roll_up(*, now: datetime) -> list[date]:
    """Return the finished days with events kept and no roll-up yet, oldest first (none
    whose events are about to be deleted)."""
    first, last = first_event_day(), last_finished_day(now=now)
    if first is None or first > last:
        return []
    first = max(first, timezone.localdate(delete_cutoff(now=now)))
    done = set(
        RolledUpDay.objects.filter(day__gte=first, day__lte=last).values_list("day", flat=True)
    )
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if day not in done]


def days_roll_up(
    *, now: datetime, at_most: int = DAYS_PER_RUN, deadline: float | None = None
) -> tuple[list[date], bool]:
    """Roll up the finished days not rolled up yet, oldest first, `at_most` of them and none
    begun after `deadline` (`time.monotonic()`); return the days done and whether that was
    all of them."""
    days = days_to_roll_up(now=now)
    done = []
    for day in days[:at_most]:
        if done and deadline is not None and clock.monotonic() > deadline:
            break  # (at least one each run: a run always gets somewhere)
        day_roll_up(day=day, now=now)
        done.append(day)
    return done, len(done) == len(days)


# 2. The meter's demand -------------------------------------------------------------------------


def meter_reader_key():
    """Return an expression naming the reader the meter counts: account, else meter id."""
    return Case(
        When(user_id__isnull=False, then=Concat(Value("u"), Cast("user_id", CharField()))),
        default=Concat(Value("v"), F("visitor")),
        output_field=CharField(),
    )


def demand_through(*, month: date, now: datetime) -> datetime:
    """Return the moment `month`'s demand is counted up to: its end, or the end of the last
    finished day while it lasts."""
    return min(
        day_start(month_after(month)), day_start(last_finished_day(now=now) + timedelta(days=1))
    )


def meter_demand_make(*, month: date, now: datetime) -> list[MeterDemand]:
    """Count `month`'s meter demand (through its last finished day) and replace its rows.

    For each kind of reader the meter counts, and each number of articles from 1 to
    `MOST_ARTICLES` ("eleven or more"): how many readers (an account, or a meter id; events of
    neither are left out) wanted that many distinct metered articles in the month (read them,
    or met their wall), and how many of those met the wall of a used-up meter. Every number is
    written, none included, so that the report draws every bar and a month made after its end
    is known to be final (`demand_final`).
    """
    month = month_of(month)
    events = Event.objects.filter(
        at__gte=day_start(month),
        at__lt=demand_through(month=month, now=now),
        access="metered",
        kind__in=[Kind.READ, Kind.WALL],
        reader_kind__in=METERED_READERS,
    ).filter(HAS_READER)
    per_reader = (
        events.annotate(reader=meter_reader_key())
        .values("reader_kind", "reader")
        .annotate(
            articles=Count("article_id", distinct=True),
            walls_met=Count("pk", filter=Q(kind=Kind.WALL, detail="meter_exhausted")),
        )
        .values_list("reader_kind", "articles", "walls_met")
        .order_by()
    )
    readers, walled = Counter(), Counter()
    for reader_kind, articles, walls_met in per_reader.iterator(chunk_size=20_000):
        articles = min(articles, MOST_ARTICLES)
        readers[reader_kind, articles] += 1
        walled[reader_kind, articles] += walls_met > 0
    rows = [
        MeterDemand(
            month=month,
            reader_kind=reader_kind,
            articles=articles,
            readers=readers[reader_kind, articles],
            walled=walled[reader_kind, articles],
            made_at=now,  # the clock the month's days were judged finished by
        )
        for reader_kind in METERED_READERS
        for articles in range(1, MOST_ARTICLES + 1)
    ]
    # One upsert of the whole histogram: two runs at once cannot leave a month half made.
    return MeterDemand.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["month", "reader_kind", "articles"],
        update_fields=["readers", "walled", "made_at"],
    )


def demand_final(*, month: date) -> bool:
    """Whether `month`'s demand was made after its last day was finished: it will not change."""
    made_after = day_start(month_after(month)) + GRACE
    return MeterDemand.objects.filter(month=month, made_at__gte=made_after).exists()


def months_of_demand_due(*, now: datetime) -> list[date]:
    """Return the months whose demand is to be made, oldest first: the current month (that of
    the last finished day), when a day has finished since it was made, and every month before
    it that is not final, back to the oldest event's month."""
    last_day = last_finished_day(now=now)
    current = month_of(last_day)
    first = first_event_day()
    if first is None or month_of(first) > current:
        return []
    oldest = max(
        month_of(first), month_of(months_back(current, settings.NEWSROOM_INSIGHT_KEEP_MONTHS))
    )
    due = []
    through = day_start(last_day + timedelta(days=1)) + GRACE
    if not MeterDemand.objects.filter(month=current, made_at__gte=through).exists():
        due.append(current)
    month = current
    while month > oldest:
        month = month_before(month)
        if demand_final(month=month):
            break
        due.append(month)
    return sorted(due)


def meter_demands_make(*, now: datetime, deadline: float | None = None) -> tuple[list[date], bool]:
    """Make the demand of each month due (`months_of_demand_due`), oldest first, none begun
    after `deadline`; return the months made and whether that was all of them."""
    months = months_of_demand_due(now=now)
    made = []
    for month in months:
        if made and deadline is not None and clock.monotonic() > deadline:
            break
        meter_demand_make(month=month, now=now)
        made.append(month)
    return made, len(made) == len(months)


def readers_needed_since(*, now: datetime) -> datetime:
    """Return the start of the oldest month whose meter demand is not final (the current
    month's at the latest): events from then on keep their readers."""
    month = month_of(timezone.localdate(now))
    first = first_event_day()
    oldest = month_of(first) if first is not None else month
    while month > oldest and not demand_final(month=month_before(month)):
        month = month_before(month)
    return day_start(month)


# 3 and 4. Retention ----------------------------------------------------------------------------


@dataclass
class Batches:
    """What a retention step did: rows changed, statements run, and whether it is done."""

    rows: int = 0
    batches: int = 0
    finished: bool = True
    cutoff: datetime | None = None
    ranges: list[tuple[int, int]] = field(default_factory=list)


def newest_pk_before(cutoff: datetime) -> int | None:
    """Return a primary key above every event's before `cutoff`: the highest of the events
    within `LATE` of it (an event is written seconds after its time, a day at the very most),
    else that of the last event before it. An event this misses (written later still, on a
    quiet day) is met by the next run, whose range reaches further."""
    near = Event.objects.filter(at__gte=cutoff - LATE, at__lt=cutoff + LATE)
    newest = near.aggregate(highest=Max("pk"))["highest"]
    if newest is None:
        before = Event.objects.filter(at__lt=cutoff).order_by("-at")
        newest = before.values_list("pk", flat=True).first()
    return newest


def events_in_batches(
    *, events, first_pk: int | None, cutoff: datetime, work, batch_size: int, deadline
) -> Batches:
    """Run `work(batch)` on `events` older than `cutoff`, `batch_size` primary keys at a time
    from `first_pk`, each batch in its own transaction, until done or `deadline`."""
    done = Batches(cutoff=cutoff)
    last_pk = newest_pk_before(cutoff)
    if first_pk is None or last_pk is None:
        return done
    for low in range(first_pk, last_pk + 1, batch_size):
        if done.batches and deadline is not None and clock.monotonic() > deadline:
            done.finished = False
            break
        high = min(low + batch_size, last_pk + 1)
        with transaction.atomic():
            done.rows += work(events.filter(pk__gte=low, pk__lt=high, at__lt=cutoff))
        done.batches += 1
        done.ranges.append((low, high))
    return done


def forget_from(cutoff: datetime) -> int | None:
    """Return the first primary key that may still name a reader before `cutoff`: that of the
    day after the newest day (before the cutoff's) whose events were all forgotten already."""
    day = timezone.localdate(cutoff)
    first = first_event_day()
    if first is None:
        return None
    while day > first:
        previous = events_of_day(day - timedelta(days=1))
        if previous.exists() and not previous.filter(HAS_READER).exists():
            break
        day -= timedelta(days=1)
    lowest = events_of_day(day).aggregate(lowest=Min("pk"))["lowest"]
    if lowest is None:  # no events that day: the first after it
        after = Event.objects.filter(at__gte=day_start(day)).order_by("at")
        lowest = after.values_list("pk", flat=True).first()
    return lowest


def forget_cutoff(*, now: datetime) -> datetime:
    """Return the moment before which events lose their reader: `NEWSROOM_INSIGHT_READER_DAYS`
    ago, but never inside a month whose meter demand is not final."""
    return min(
        now - timedelta(days=settings.NEWSROOM_INSIGHT_READER_DAYS),
        readers_needed_since(now=now),
    )


def events_forget_readers(
    *, now: datetime, batch_size: int = BATCH_SIZE, deadline: float | None = None
) -> Batches:
    """Clear the reader (account and meter id) of the events older than
    `NEWSROOM_INSIGHT_READER_DAYS` days, in batches; return what was done.

    Run it after `meter_demands_make`: a month's demand needs its readers, and the cutoff stops
    at the start of a month whose demand is not final (module docstring)."""
    cutoff = forget_cutoff(now=now)
    return events_in_batches(
        events=Event.objects.filter(HAS_READER),
        first_pk=forget_from(cutoff),
        cutoff=cutoff,
        work=lambda batch: batch.update(user_id=None, visitor=""),
        batch_size=batch_size,
        deadline=deadline,
    )


def delete_cutoff(*, now: datetime) -> datetime:
    """Return the start of the day `NEWSROOM_INSIGHT_KEEP_MONTHS` months before `now`'s."""
    return day_start(months_back(timezone.localdate(now), settings.NEWSROOM_INSIGHT_KEEP_MONTHS))


def events_delete_old(
    *, now: datetime, batch_size: int = BATCH_SIZE, deadline: float | None = None
) -> Batches:
    """Delete the events older than `NEWSROOM_INSIGHT_KEEP_MONTHS` months, in batches; return
    what was done. Their days' figures stay (`DailyFigures`, `MeterDemand`)."""
    return events_in_batches(
        events=Event.objects.all(),
        first_pk=Event.objects.aggregate(lowest=Min("pk"))["lowest"],
        cutoff=delete_cutoff(now=now),
        work=lambda batch: batch.delete()[0],
        batch_size=batch_size,
        deadline=deadline,
    )


# All of it -------------------------------------------------------------------------------------


@dataclass
class RollUp:
    """What one run did, and whether work is left for the next (a deadline stopped it)."""

    days: list[date]
    months: list[date]
    forgotten: Batches
    deleted: Batches
    finished: bool

    def __str__(self):
        days = f"{len(self.days)} days rolled up" + (
            f" ({self.days[0]} to {self.days[-1]})" if self.days else ""
        )
        months = ", ".join(f"{month:%Y-%m}" for month in self.months) or "none"
        return (
            f"{days}; meter demand made for {months}; readers forgotten on "
            f"{self.forgotten.rows} events, {self.deleted.rows} old events deleted"
            + ("" if self.finished else "; more left for the next run")
        )


def insight_roll_up_run(*, now: datetime | None = None, seconds: float | None = None) -> RollUp:
    """Roll up the finished days, make the meter demand, forget readers and delete old events,
    in that order (module docstring), beginning nothing after `seconds` (no bound: None)
    but a first day, month and batch of each step, so that every run gets somewhere."""
    now = now or timezone.now()
    deadline = None if seconds is None else clock.monotonic() + seconds
    days, days_done = days_roll_up(now=now, deadline=deadline)
    months, months_done = meter_demands_make(now=now, deadline=deadline)
    forgotten = events_forget_readers(now=now, deadline=deadline)
    deleted = events_delete_old(now=now, deadline=deadline)
    # A batch's task is run again within hours if at all: a week of tokens is plenty.
    WrittenBatch.objects.filter(written_at__lt=now - WRITTEN_BATCHES_KEPT).delete()
    finished = days_done and months_done and forgotten.finished and deleted.finished
    return RollUp(days, months, forgotten, deleted, finished)
