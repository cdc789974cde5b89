"""Events counted into figures: the one aggregation that both the daily roll-up
(`insight.rollups`) and the report's days not yet rolled up read, so the two cannot differ.

A day is a calendar day in the site's time zone. "Readers" are the distinct readers an article
was shown to in a day (in full or as a preview), known by their account or meter id; a reader
without either counts once per page. Over several days they add up (a reader of two days counts
twice): the report says so.
"""

from __future__ import annotations

from django.db.models import Case, CharField, Count, F, Q, Value, When
from django.db.models.functions import Cast, Concat, TruncDate
from django.utils import timezone

from insight.models import Kind

# The dimensions a figure is kept by, as `DailyFigures` names them.
DIMENSIONS = ("day", "article_id", "section_id", "access", "reader_kind", "referrer", "device")
# Each count: the events it counts.
COUNTS = {
    "reads": Q(kind=Kind.READ),
    "walls": Q(kind=Kind.WALL),
    "walls_meter": Q(kind=Kind.WALL, detail="meter_exhausted"),
    "prompt_clicks": Q(kind=Kind.PROMPT_CLICK),
    "signups_started": Q(kind=Kind.SIGNUP_STARTED),
    "signups": Q(kind=Kind.SIGNUP),
    "checkouts": Q(kind=Kind.CHECKOUT),
    "subscriptions": Q(kind=Kind.SUBSCRIPTION),
    "gifts_opened": Q(kind=Kind.GIFT_OPENED),
    "gift_signups": Q(kind=Kind.GIFT_SIGNUP),
    "newsletter_signups": Q(kind=Kind.NEWSLETTER_SIGNUP),
    "last_free_reads": Q(kind=Kind.LAST_FREE_READ),
}
FIGURES = ("readers", *COUNTS)
# The events a figure counts: a sign-in only ties a meter id to an account.
COUNTED = ~Q(kind=Kind.SIGN_IN)


def reader_key():
    """Return an expression naming an event's reader: account, meter id, or the event itself."""
    return Case(
        When(user_id__isnull=False, then=Concat(Value("u"), Cast("user_id", CharField()))),
        When(~Q(visitor=""), then=Concat(Value("v"), F("visitor"))),
        default=Concat(Value("e"), Cast("pk", CharField())),
        output_field=CharField(),
    )


def figures_of_events(events):
    """Return `events` counted by day and dimension: a queryset of dicts with `DIMENSIONS` and
    `FIGURES`, one per day, article, section, access, reader kind, referrer and device."""
    return (
        events.filter(COUNTED)
        .annotate(day=TruncDate("at", tzinfo=timezone.get_default_timezone()))
        .values(*DIMENSIONS)
        .annotate(
            readers=Count(reader_key(), filter=Q(kind__in=[Kind.READ, Kind.WALL]), distinct=True),
            **{name: Count("pk", filter=q) for name, q in COUNTS.items()},
        )
        .order_by()
    )
