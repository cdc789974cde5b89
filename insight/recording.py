"""Writing events: the sink of `foundation.events`, and attribution of conversions to walls.

A batch of `(time, kind, facts)` becomes `Event` rows in one insert. On the way, what the
request said is reduced to its class (`insight.classify`), crawlers are left out, and each
conversion (a sign-up, a checkout, a subscription) is attributed to the last wall its reader met
within `NEWSROOM_INSIGHT_ATTRIBUTION_DAYS` before it (so is a newsletter sign-up that does not
name its article, the registration wall's): the reader is known by their account and by
every meter id they carried when they signed up or in, and the conversion takes that wall's
article, section, access, reader kind, referrer and device (the reader as they met the wall).
A conversion after no wall has no article.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from articles.models import Article
from foundation import events
from foundation.engine import task_enqueue
from insight.classify import device_class, referrer_class
from insight.models import CONVERSIONS, Event, Kind, WrittenBatch
from subscriptions.paywall import CRAWLER_USER_AGENT

# Facts an event keeps as they are, in the order a handed-over batch lists them.
KEPT_FACTS = (
    "detail",
    "article_id",
    "section_id",
    "access",
    "reader_kind",
    "user_id",
    "visitor",
    "subscription_id",
    "device",
    "referrer",
)
# Classes are remembered for this many User-Agents and Referers: readers share a few thousand.
CLASSES_REMEMBERED = 4096


@lru_cache(maxsize=CLASSES_REMEMBERED)
def _device(user_agent: str) -> str | None:
    """Return the device class of `user_agent`, or None for a crawler's."""
    return None if CRAWLER_USER_AGENT.search(user_agent) else device_class(user_agent)


@lru_cache(maxsize=CLASSES_REMEMBERED)
def _referrer(referer: str, host: str, utm_medium: str, utm_source: str) -> str:
    return referrer_class(referer=referer, host=host, utm_medium=utm_medium, utm_source=utm_source)


def classified(facts: dict) -> dict | None:
    """Return the `KEPT_FACTS` of an event, what its request said reduced to its classes
    (device, referrer), or None for a crawler's event. Safe to apply twice."""
    kept = {name: facts[name] for name in KEPT_FACTS if facts.get(name) is not None}
    if facts.get("user_agent") is not None:
        device = _device(facts["user_agent"])
        if device is None:
            return None
        kept["device"] = device
    referer = facts.get("referer", events.UNKNOWN_REFERER)
    if referer != events.UNKNOWN_REFERER:
        kept["referrer"] = _referrer(
            referer,
            facts.get("host", ""),
            facts.get("utm_medium", ""),
            facts.get("utm_source", ""),
        )
    return kept


@task()
def events_write_later(token: str, batch: str) -> str:
    """Write a batch a web process handed over (`events_hand_over`), once."""
    events = [
        (moment, kind, dict(zip(KEPT_FACTS, values, strict=True)))
        for moment, kind, *values in json.loads(batch)
    ]
    with transaction.atomic():
        if WrittenBatch.objects.filter(pk=token).exists():
            return "Written already."
        events_write(events)
        WrittenBatch.objects.create(token=token, written_at=timezone.now())
    return f"{len(events)} events written."


def events_hand_over(batch: list) -> None:
    """Queue `batch` for a worker to write: one row, its events classified (crawlers' left out:
    the Referer and User-Agent go no further) as one compact JSON text, each event a list of its
    `KEPT_FACTS` in order, which the task engine stores as it is (a list it would walk value by
    value)."""
    rows = []
    for moment, kind, facts in batch:
        kept = classified(facts)
        if kept is not None:
            rows.append([moment, kind, *map(kept.get, KEPT_FACTS)])
    if rows:
        rows_json = json.dumps(rows, separators=(",", ":"))
        task_enqueue(events_write_later, secrets.token_hex(16), rows_json)


def events_write(batch: list[tuple[float, str, dict]]) -> None:
    """Write `batch` as events (one insert), attributing its conversions."""
    rows = []
    for moment, kind, facts in batch:
        kept = classified(facts)
        if kept is None:
            continue
        event = Event(
            at=datetime.fromtimestamp(moment, tz=UTC),
            kind=Kind(kind),
            **{name: value for name, value in kept.items() if value is not None},
        )
        if event.kind in CONVERSIONS or (
            event.kind == Kind.NEWSLETTER_SIGNUP and event.article_id is None
        ):
            attribute(event)
        rows.append(event)
    _fill_in_articles(rows)
    Event.objects.bulk_create(rows)


def _fill_in_articles(rows: list[Event]) -> None:
    """Give the events that name only their article (a prompt's button, a gift, a newsletter
    sign-up) its section and access, as they are now (one query)."""
    missing = {row.article_id for row in rows if row.article_id and not row.access}
    if not missing:
        return
    articles = Article.objects.filter(pk__in=missing).values_list("pk", "section_id", "access")
    known = {pk: (section_id, access) for pk, section_id, access in articles}
    for row in rows:
        if row.article_id in known and not row.access:
            row.section_id, row.access = known[row.article_id]


def attribute(conversion: Event) -> None:
    """Attribute `conversion` to the last wall its reader met within the attribution window."""
    wall = last_wall(user_id=conversion.user_id, visitor=conversion.visitor, at=conversion.at)
    conversion.wall = wall
    if wall is not None:
        for name in ("article_id", "section_id", "access", "reader_kind", "referrer", "device"):
            setattr(conversion, name, getattr(wall, name))


def last_wall(*, user_id: int | None, visitor: str, at: datetime) -> Event | None:
    """Return the last wall shown to a reader (their account, or any meter id they carried)
    within the attribution window before `at`, or None."""
    since = at - timedelta(days=settings.NEWSROOM_INSIGHT_ATTRIBUTION_DAYS)
    visitors = {visitor} - {""}
    walls = Event.objects.filter(kind=Kind.WALL, at__gte=since, at__lte=at)
    found = []
    if user_id is not None:
        visitors |= set(
            Event.objects.filter(
                kind__in=[Kind.SIGNUP, Kind.SIGN_IN], user_id=user_id, at__gte=since
            )
            .exclude(visitor="")
            .values_list("visitor", flat=True)
        )
        found.append(walls.filter(user_id=user_id).order_by("-at", "-pk").first())
    if visitors:
        found.append(walls.filter(visitor__in=visitors).order_by("-at", "-pk").first())
    found = [wall for wall in found if wall is not None]
    return max(found, key=lambda wall: (wall.at, wall.pk), default=None)
