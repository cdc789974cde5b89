"""What readers were shown and what they did (`Event`), and the daily figures made from it.

Events point at articles and sections by id, without a database constraint: an event outlives
the article it was about (and its deletion), and a batch of thousands is written without a
check per row. Who did it is kept only as long as attribution needs it (`Event.user_id`,
`Event.visitor`, cleared after `NEWSROOM_INSIGHT_READER_DAYS`); the rest is kept for
`NEWSROOM_INSIGHT_KEEP_MONTHS` and the daily figures for good.
"""

from __future__ import annotations

from django.db import models

from subscriptions.funnel import ReaderKind
from subscriptions.funnel import Step as Kind  # what happened: the paywall's vocabulary

# Conversions are attributed to the last wall the reader met within the attribution window
# before them: they take that wall's article, section, access, referrer and device.
CONVERSIONS = frozenset({Kind.SIGNUP, Kind.CHECKOUT, Kind.SUBSCRIPTION})


class Referrer(models.TextChoices):
    SEARCH = "search", "Search"
    SOCIAL = "social", "Social"
    NEWSLETTER = "newsletter", "Newsletter"
    DIRECT = "direct", "Direct"
    INTERNAL = "internal", "Internal"
    OTHER = "other", "Other"


class Device(models.TextChoices):
    MOBILE = "mobile", "Mobile"
    TABLET = "tablet", "Tablet"
    DESKTOP = "desktop", "Desktop"


class Dimensions(models.Model):
    """What an event is about and a figure is counted by: the article (with its section and
    access as they were), the kind of reader, where they came from and on what device."""

    article = models.ForeignKey(
        "articles.Article",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    section = models.ForeignKey(
        "articles.Section",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    access = models.CharField(max_length=11, blank=True)  # the article's, when it happened
    reader_kind = models.CharField(max_length=10, choices=ReaderKind.choices, blank=True)
    referrer = models.CharField(max_length=10, choices=Referrer.choices, blank=True)
    device = models.CharField(max_length=7, choices=Device.choices, blank=True)

    class Meta:
        abstract = True


class Event(Dimensions):
    at = models.DateTimeField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # Why a wall was shown (an `AccessReason`: meter_exhausted, subscribers_only), which button
    # of the prompt was clicked, where a newsletter sign-up came from.
    detail = models.CharField(max_length=20, blank=True)
    # Who, for attribution only: the account, or the meter cookie's random id. Cleared after
    # NEWSROOM_INSIGHT_READER_DAYS.
    user_id = models.IntegerField(null=True)
    visitor = models.CharField(max_length=32, blank=True)
    # A subscription event's subscription (so the report reconciles with the table).
    subscription_id = models.IntegerField(null=True)
    # A conversion's wall: the last one its reader met within the attribution window.
    wall = models.ForeignKey(
        "self", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["at"], name="event_at"),
            # The last wall of a reader, by account or by meter id (attribution).
            models.Index(
                fields=["user_id", "at"],
                name="event_wall_by_user",
                condition=models.Q(kind="wall", user_id__isnull=False),
            ),
            models.Index(
                fields=["visitor", "at"],
                name="event_wall_by_visitor",
                condition=models.Q(kind="wall") & ~models.Q(visitor=""),
            ),
            # A reader's meter ids, from their sign-ups and sign-ins.
            models.Index(
                fields=["user_id", "at"],
                name="event_visitor_of_user",
                condition=models.Q(kind__in=["signup", "sign_in"]) & ~models.Q(visitor=""),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} at {self.at:%Y-%m-%d %H:%M}"


class DailyFigures(Dimensions):
    """One day's events of one article (none: conversions after no wall) for one kind of
    reader, referrer and device, counted. Made by `insight.rollups` once the day is over."""

    day = models.DateField()
    readers = models.PositiveIntegerField(default=0)  # distinct readers shown it that day
    reads = models.PositiveIntegerField(default=0)
    walls = models.PositiveIntegerField(default=0)
    walls_meter = models.PositiveIntegerField(default=0)  # of which: the meter was used up
    prompt_clicks = models.PositiveIntegerField(default=0)
    signups_started = models.PositiveIntegerField(default=0)
    signups = models.PositiveIntegerField(default=0)
    checkouts = models.PositiveIntegerField(default=0)
    subscriptions = models.PositiveIntegerField(default=0)
    gifts_opened = models.PositiveIntegerField(default=0)
    gift_signups = models.PositiveIntegerField(default=0)
    newsletter_signups = models.PositiveIntegerField(default=0)
    last_free_reads = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "daily figures"
        indexes = [models.Index(fields=["day"], name="dailyfigures_day")]

    def __str__(self):
        return f"{self.day}: article {self.article_id}"


class RolledUpDay(models.Model):
    """A day whose events `DailyFigures` holds: the report reads its figures, not its events."""

    day = models.DateField(primary_key=True)
    made_at = models.DateTimeField()

    def __str__(self):
        return str(self.day)


class MeterDemand(models.Model):
    """How many readers of one kind wanted `articles` metered articles in `month` (11: eleven
    or more), and how many of them met the meter's wall: the meter's "what if"."""

    month = models.DateField()  # its first day
    reader_kind = models.CharField(max_length=10, choices=ReaderKind.choices)
    articles = models.PositiveSmallIntegerField()
    readers = models.PositiveIntegerField()
    walled = models.PositiveIntegerField()
    made_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "reader_kind", "articles"], name="meterdemand_unique"
            )
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.reader_kind}: {self.articles} articles"


class WrittenBatch(models.Model):
    """A batch of events a worker has written: a task run again writes it once."""

    token = models.CharField(max_length=32, primary_key=True)
    written_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return self.token


class Report(Event):
    """The paywall report's place in the admin's index: no table and no permissions of its
    own (the report asks for `insight.view_event`, as the events it counts do)."""

    class Meta:
        proxy = True
        default_permissions = ()
        verbose_name = verbose_name_plural = "conversion report"


class Meter(MeterDemand):
    """The meter's what-if's place in the admin's index, as `Report`."""

    class Meta:
        proxy = True
        default_permissions = ()
        verbose_name = verbose_name_plural = "meter what-if"
