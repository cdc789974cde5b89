"""Events made by hand for the insight's tests, at local times of the site's day."""

from datetime import date, datetime, time

from django.utils import timezone

from insight.models import Event, Kind


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
