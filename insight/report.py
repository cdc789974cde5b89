"""The paywall report and the meter's what-if, for editors: queries and sums, no HTTP.

A period is a run of calendar days in the site's time zone, both ends included. A day that
`insight.rollups` has finished (a `RolledUpDay`) is read from `DailyFigures`; any other day
(today, or one not rolled up yet) is counted from its events by `figures_of_events`, the
aggregation the roll-up itself uses. Both land in one sum (`figures_of_period`), so a day reads
the same before and after its roll-up.

"Readers" are the distinct readers of an article in a day, added up over the days (and over
the articles of a section): a reader of two days counts twice. A conversion (a sign-up, a
checkout, a subscription) counts for the article of the last wall its reader met within the
attribution window before it; one after no wall has no article, and its own row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from articles.models import Article, Section
from insight.figures import FIGURES, figures_of_events
from insight.models import DailyFigures, Event, Kind, MeterDemand, ReaderKind, RolledUpDay
from subscriptions.models import Subscription

# What the report may be filtered by: the same field on `Event` and on `DailyFigures`.
FILTERS = ("section_id", "access", "reader_kind", "referrer", "device")
# What a row stands for: an article, or a section.
BY = {"article": "article_id", "section": "section_id"}
# The table's columns of figures, each sortable; `conversion` is subscriptions per wall.
COLUMNS = ("readers", "walls", "prompt_clicks", "signups", "checkouts", "subscriptions")
SORTS = (*COLUMNS, "conversion")
# The funnel, step by step: the figures, as a reader goes from an article to a subscription.
FUNNEL = ("reads", "walls", "prompt_clicks", "signups", "checkouts", "subscriptions")
# Rows a page shows; the CSV has them all. A day of a large site has thousands of articles.
SHOWN_ROWS = 100
# Articles named per query when the CSV names them all.
NAMES_PER_QUERY = 5_000


def site_today() -> date:
    return timezone.localdate(timezone=timezone.get_default_timezone())


def day_start(day: date) -> datetime:
    """Return midnight at the start of `day` in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


@dataclass(frozen=True)
class Period:
    """Calendar days from `start` to `end`, both included, in the site's time zone."""

    start: date
    end: date

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def bounds(self) -> tuple[datetime, datetime]:
        """Return the period's first moment and the first moment after it."""
        return day_start(self.start), day_start(self.end + timedelta(days=1))

    def __str__(self) -> str:
        if self.start == self.end:
            return f"{self.start:%-d %b %Y}"
        return f"{self.start:%-d %b %Y} to {self.end:%-d %b %Y}"


def period_preset(name: str, *, today: date) -> Period:
    """Return the period a preset names, up to and including `today`."""
    if name == "week":
        return Period(today - timedelta(days=today.weekday()), today)
    days = {"7": 7, "30": 30, "90": 90}[name]
    return Period(today - timedelta(days=days - 1), today)


PRESETS = {
    "7": "Last 7 days",
    "week": "This week",
    "30": "Last 30 days",
    "90": "Last 90 days",
}


def _day_runs(days: list[date]) -> Iterable[tuple[date, date]]:
    """Yield the runs of consecutive days in sorted `days`, as (first, last)."""
    first = last = None
    for day in days:
        if last is not None and day == last + timedelta(days=1):
            last = day
            continue
        if first is not None:
            yield first, last
        first = last = day
    if first is not None:
        yield first, last


def _add(totals: dict, key, figures: Mapping[str, int]) -> None:
    into = totals.setdefault(key, dict.fromkeys(FIGURES, 0))
    for name in FIGURES:
        into[name] += figures[name] or 0


@dataclass(frozen=True)
class PeriodFigures:
    """A period's figures by article or section, and the days counted from their events."""

    by_key: dict[int | None, dict[str, int]]
    days_from_events: tuple[date, ...]


def figures_of_period(
    *, period: Period, by: str, filters: Mapping[str, str] | None = None
) -> PeriodFigures:
    """Return the period's `FIGURES` summed by `by` (`"article_id"` or `"section_id"`; None:
    conversions after no wall): rolled-up days from `DailyFigures`, the others counted from
    their events, into one sum. Three queries at most."""
    filters = dict(filters or {})
    rolled = set(
        RolledUpDay.objects.filter(day__range=(period.start, period.end)).values_list(
            "day", flat=True
        )
    )
    totals: dict[int | None, dict[str, int]] = {}
    if rolled:
        rows = (
            DailyFigures.objects.filter(day__in=sorted(rolled), **filters)
            .values(by)
            .annotate(**{name: Sum(name) for name in FIGURES})
            .order_by()
        )
        for row in rows:
            _add(totals, row[by], row)
    live = [day for day in period.days() if day not in rolled]
    if live:
        moments = Q()
        for first, last in _day_runs(live):
            moments |= Q(at__gte=day_start(first), at__lt=day_start(last + timedelta(days=1)))
        # Counted by day and every dimension, then summed here: readers stay distinct per day,
        # as the roll-up keeps them.
        for row in figures_of_events(Event.objects.filter(moments, **filters)):
            _add(totals, row[by], row)
    return PeriodFigures(by_key=totals, days_from_events=tuple(live))


def conversion_rate(figures: Mapping[str, int]) -> float | None:
    """Return subscriptions per wall shown (None: no wall was shown)."""
    if not figures["walls"]:
        return None
    return figures["subscriptions"] / figures["walls"]


@dataclass(frozen=True)
class ReportRow:
    """An article's or a section's figures (`key` None: conversions after no wall)."""

    key: int | None
    figures: Mapping[str, int]
    name: str = ""

    @property
    def conversion_rate(self) -> float | None:
        return conversion_rate(self.figures)

    @property
    def conversion_percent(self) -> float | None:
        rate = self.conversion_rate
        return None if rate is None else rate * 100


def sort_rows(rows: list[ReportRow], sort: str) -> list[ReportRow]:
    """Return `rows` sorted by a column (`"-subscriptions"`: the most first); ties by id, the
    row of no wall last, and rows without a rate after those with one, either way."""
    column = sort.removeprefix("-")
    descending = sort.startswith("-")
    ordered = sorted(rows, key=lambda row: (row.key is None, row.key or 0))

    def value(row):
        found = row.conversion_rate if column == "conversion" else row.figures[column]
        if descending:
            return (found is not None, found or 0)
        return (found is None, found or 0)

    # Python's sort is stable, reversed too: equal values keep the order by id.
    return sorted(ordered, key=value, reverse=descending)


@dataclass(frozen=True)
class Report:
    period: Period
    by: str  # "article" or "section"
    rows: tuple[ReportRow, ...]  # those shown, sorted, named
    row_count: int  # all there are
    totals: Mapping[str, int]
    days_from_events: tuple[date, ...] = ()  # not rolled up yet: today, or the roll-up is late

    @property
    def late_days(self) -> int:
        """Return how many days before today are still counted from their events."""
        today = site_today()
        return sum(1 for day in self.days_from_events if day < today)

    @property
    def totals_conversion_percent(self) -> float | None:
        rate = conversion_rate(self.totals)
        return None if rate is None else rate * 100

    @property
    def cut(self) -> bool:
        return self.row_count > len(self.rows)

    @property
    def funnel(self) -> list[tuple[str, int]]:
        return [(name, self.totals[name]) for name in FUNNEL]


def _names(by: str, keys: list[int]) -> dict[int, str]:
    if by == "section":
        return dict(Section.objects.filter(pk__in=keys).values_list("pk", "name"))
    names = {}
    for start in range(0, len(keys), NAMES_PER_QUERY):
        chunk = keys[start : start + NAMES_PER_QUERY]
        names.update(Article.objects.filter(pk__in=chunk).values_list("pk", "headline"))
    return names


def paywall_report(
    *,
    period: Period,
    by: str = "article",
    filters: Mapping[str, str] | None = None,
    sort: str = "-subscriptions",
    limit: int | None = SHOWN_ROWS,
) -> Report:
    """Return the period's figures per article or section, sorted, the first `limit` named
    (None: all), with the totals of every row."""
    figures = figures_of_period(period=period, by=BY[by], filters=filters)
    rows = sort_rows([ReportRow(key, counted) for key, counted in figures.by_key.items()], sort)
    shown = rows if limit is None else rows[:limit]
    names = _names(by, [row.key for row in shown if row.key is not None])
    totals = dict.fromkeys(FIGURES, 0)
    for row in rows:
        for name in FIGURES:
            totals[name] += row.figures[name]
    return Report(
        period=period,
        by=by,
        rows=tuple(ReportRow(row.key, row.figures, name_of(by, row.key, names)) for row in shown),
        row_count=len(rows),
        totals=totals,
        days_from_events=figures.days_from_events,
    )


def name_of(by: str, key: int | None, names: Mapping[int, str]) -> str:
    if key is None:
        return "No wall met (conversions not attributed)"
    if key in names:
        return names[key]
    return f"Deleted {by} #{key}"


@dataclass(frozen=True)
class Reconciliation:
    """Subscriptions the payment provider started in a period, against the events."""

    provider_subscriptions: int
    subscription_events: int
    after_wall: int
    # Started by the development checkout, which takes no payment (never in production).
    development_checkout: int = 0

    @property
    def after_no_wall(self) -> int:
        return self.subscription_events - self.after_wall

    @property
    def difference(self) -> int:
        return self.subscription_events - self.provider_subscriptions

    @property
    def reconciles(self) -> bool:
        return self.difference == 0


def reconciliation(*, period: Period) -> Reconciliation:
    """Return the period's provider subscriptions beside its subscription events (whatever
    the report's filters: the provider knows nothing of devices). Two queries."""
    start, end = period.bounds()
    provider = Subscription.objects.filter(
        source=Subscription.Source.PROVIDER, created_at__gte=start, created_at__lt=end
    ).count()
    paid = ~Q(detail=Subscription.Source.MANUAL)
    counted = Event.objects.filter(kind=Kind.SUBSCRIPTION, at__gte=start, at__lt=end).aggregate(
        events=Count("pk", filter=paid),
        after_wall=Count("pk", filter=paid & Q(wall__isnull=False)),
        development_checkout=Count("pk", filter=~paid),
    )
    return Reconciliation(
        provider_subscriptions=provider,
        subscription_events=counted["events"],
        after_wall=counted["after_wall"],
        development_checkout=counted["development_checkout"],
    )


# The meter's what-if ----------------------------------------------------------------------

# Allowances the what-if tries; `MeterDemand.articles` stops at 11, "eleven or more".
ALLOWANCES = range(1, 11)


def meter_allowances() -> dict[str, int]:
    """Return each metered kind of reader's free articles a month."""
    return {
        ReaderKind.ANONYMOUS: settings.NEWSROOM_METER_ANONYMOUS,
        ReaderKind.REGISTERED: settings.NEWSROOM_METER_REGISTERED,
    }


@dataclass(frozen=True)
class Allowance:
    """What an allowance of `articles` free articles would have done."""

    articles: int
    readers_walled: int  # readers who wanted more than `articles`
    change_percent: float | None  # against the current allowance; None: it walled nobody
    is_current: bool

    @property
    def change(self) -> str:
        """Return "30 % fewer readers meet the wall" (or more, or as now)."""
        if self.is_current:
            return "the meter now"
        if self.change_percent is None:
            return "nothing to compare: the meter now walls nobody"
        if round(self.change_percent) == 0:
            return "about as many readers meet the wall"
        more = "fewer" if self.change_percent < 0 else "more"
        return f"{abs(self.change_percent):.0f} % {more} readers meet the wall"

    @property
    def summary(self) -> str:
        """Return "4 free articles: 30 % fewer readers meet the wall"."""
        return f"{self.articles} free article{'s' if self.articles != 1 else ''}: {self.change}"


@dataclass(frozen=True)
class MeterWhatIf:
    """One kind of reader's month on the meter, and other allowances' walls."""

    reader_kind: str
    label: str
    allowance: int  # the current one
    readers: int  # who read a metered article
    walled: int  # who met the wall, as it was
    modelled: int  # who wanted more than the current allowance: the base of the changes
    allowances: tuple[Allowance, ...] = field(default=())

    @property
    def either_side(self) -> tuple[Allowance, ...]:
        """Return the allowances one below and one above the current one: the likely moves."""
        return tuple(a for a in self.allowances if abs(a.articles - self.allowance) == 1)


def meter_months() -> list[date]:
    """Return the months that have demand figures, the latest first (a small table)."""
    return list(MeterDemand.objects.dates("month", "month", order="DESC"))


def meter_what_if(*, month: date) -> list[MeterWhatIf]:
    """Return, for each metered kind of reader, how many would have met the wall in `month`
    at each allowance from 1 to 10, beside the current one. Empty: no figures yet."""
    rows = list(
        MeterDemand.objects.filter(month=month).values_list(
            "reader_kind", "articles", "readers", "walled"
        )
    )
    if not rows:
        return []
    what_ifs = []
    for kind, allowance in meter_allowances().items():
        demand = {articles: readers for k, articles, readers, _ in rows if k == kind}
        walled = sum(w for k, _, _, w in rows if k == kind)

        def beyond(k, demand=demand):
            return sum(readers for articles, readers in demand.items() if articles > k)

        current = beyond(allowance)
        what_ifs.append(
            MeterWhatIf(
                reader_kind=kind,
                label=ReaderKind(kind).label,
                allowance=allowance,
                readers=sum(demand.values()),
                walled=walled,
                modelled=current,
                allowances=tuple(
                    Allowance(
                        articles=k,
                        readers_walled=beyond(k),
                        change_percent=(beyond(k) - current) / current * 100 if current else None,
                        is_current=k == allowance,
                    )
                    for k in ALLOWANCES
                ),
            )
        )
    return what_ifs


def next_roll_up(*, now: datetime | None = None) -> datetime:
    """Return the next midnight in the site's time zone, after which the night's figures come."""
    return day_start(timezone.localtime(now or timezone.now()).date() + timedelta(days=1))
