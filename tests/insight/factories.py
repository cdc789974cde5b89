"""Events made by hand for the insight's tests: walls, reads and conversions at chosen times
(local times of the site's day), conversions attributed as the recording attributes them."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from insight.figures import FIGURES, figures_of_events
from insight.models import DailyFigures, Event, Kind, MeterDemand, RolledUpDay
from insight.recording import attribute
from insight.report import day_start


def local(day: date, clock: str = "12:00") -> datetime:
    """Return `day` at the local time `clock` ("HH:MM") in the site's time zone."""
    hour, minute = (int(part) for part in clock.split(":"))
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_default_timezone())


def make_event(at: datetime, kind: str = Kind.READ, **fields) -> Event:
    """Return a saved event: a read of article 1 (section 1, metered) by an anonymous reader
    with meter id `abc`, unless `fields` say otherwise."""
    values = {
        "article_id": 1,
        "section_id": 1,
        "access": "metered",
        "reader_kind": "anonymous",
        "referrer": "search",
        "device": "mobile",
        "visitor": "abc",
    }
    return Event.objects.create(at=at, kind=kind, **(values | fields))


def noon(days_ago=0) -> datetime:
    """Return noon, site time, `days_ago` days before today."""
    today = timezone.localdate(timezone=timezone.get_default_timezone())
    return timezone.make_aware(
        datetime.combine(today - timedelta(days=days_ago), time(12)),
        timezone.get_default_timezone(),
    )


def seen(kind, article, *, at=None, **fields) -> Event:
    """Record that a reader was shown `article` (read in full, or met its wall)."""
    fields.setdefault("reader_kind", "anonymous")
    fields.setdefault("referrer", "search")
    fields.setdefault("device", "mobile")
    fields.setdefault("access", article.access)
    if kind == Kind.WALL:
        fields.setdefault("detail", "meter_exhausted")
    return Event.objects.create(
        at=at or noon(),
        kind=kind,
        article_id=article.pk,
        section_id=article.section_id,
        **fields,
    )


def converted(kind, *, at=None, **fields) -> Event:
    """Record a sign-up, checkout or subscription, attributed to its reader's last wall."""
    event = Event(at=at or noon(), kind=kind, **fields)
    attribute(event)
    event.save()
    return event


def roll_up(day) -> None:
    """Stand in for the nightly roll-up: `day`'s figures from its events, the day marked."""
    events = Event.objects.filter(at__gte=day_start(day), at__lt=day_start(day + timedelta(days=1)))
    DailyFigures.objects.bulk_create(
        DailyFigures(**{name: row[name] for name in ("day", *FIGURES)}, **dimensions(row))
        for row in figures_of_events(events)
    )
    RolledUpDay.objects.create(day=day, made_at=timezone.now())


def dimensions(row):
    return {
        name: row[name]
        for name in ("article_id", "section_id", "access", "reader_kind", "referrer", "device")
    }


def demand(month, reader_kind, wanted: dict[int, int], walled: dict[int, int] | None = None):
    """Write a month's meter demand: readers who wanted each number of metered articles."""
    walled = walled or {}
    MeterDemand.objects.bulk_create(
        MeterDemand(
            month=month,
            reader_kind=reader_kind,
            articles=articles,
            readers=readers,
            walled=walled.get(articles, 0),
            made_at=timezone.now(),
        )
        for articles, readers in wanted.items()
    )
