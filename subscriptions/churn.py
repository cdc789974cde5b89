"""Churn per calendar month, for editors: who was subscribed, who cancelled, who left.

The months are calendar months in the site's time zone. Complimentary access is left out: it
never renews, so its end is not a reader leaving.

A subscription row keeps only its current period (a renewal moves it on), so the months before
it are read from what the row still knows:

- it began at the earlier of its creation and its current period's start;
- it was entitled from then until its current period ends (a renewing subscription's end is
  still ahead, so it counts in every month since it began);
- it *ended* in the month its period ended, once that has passed and nothing entitles it now
  (cancelled, or lapsed after a failed payment; one still inside its renewal or payment grace
  has not ended yet).

Cancellations requested and resumed come from `CancellationFeedback`, which the site's own
cancel page records (a cancellation made at the payment provider's portal has no reason).

The whole report takes three queries, however many months and subscriptions there are: one
aggregate over subscriptions, one over feedback, one for the reasons by month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import pairwise

from django.db.models import Count, Q
from django.db.models.functions import Least, TruncMonth
from django.utils import timezone

from subscriptions.models import CancellationFeedback, Subscription, add_months


@dataclass(frozen=True)
class ChurnMonth:
    """One calendar month of the report."""

    month: date  # its first day
    entitled_at_start: int
    cancellations_requested: int
    resumed: int
    ended: int
    reasons: tuple[tuple[str, int], ...]  # (label, count) for every reason, in the list's order

    @property
    def churn_rate(self) -> float | None:
        """Return the share of the month's opening subscriptions that ended in it (None: 0/0)."""
        if not self.entitled_at_start:
            return None
        return self.ended / self.entitled_at_start

    @property
    def churn_percent(self) -> float | None:
        rate = self.churn_rate
        return None if rate is None else rate * 100


def month_starts(*, months: int, at: datetime) -> list[datetime]:
    """Return the starts of the last `months` calendar months up to `at`'s, and the next one's.

    Midnight on the first, in the site's time zone; oldest first.
    """
    local = timezone.localtime(at, timezone.get_default_timezone())
    this_month = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return [add_months(this_month, offset) for offset in range(-(months - 1), 2)]


def churn_report(*, months: int = 12, at: datetime | None = None) -> list[ChurnMonth]:
    """Return churn for the last `months` calendar months, the newest first, in three queries."""
    at = at or timezone.now()
    starts = month_starts(months=months, at=at)
    spans = list(pairwise(starts))

    paid = Subscription.objects.exclude(source=Subscription.Source.COMPLIMENTARY).annotate(
        began=Least("created_at", "current_period_start")
    )
    over = Q(current_period_end__lte=at) & ~Subscription.objects.entitling_q(at=at)
    subscription_counts = paid.aggregate(
        **{
            f"entitled_{i}": Count("pk", filter=Q(began__lte=start, current_period_end__gt=start))
            for i, (start, _) in enumerate(spans)
        },
        **{
            f"ended_{i}": Count(
                "pk", filter=over & Q(current_period_end__gte=start, current_period_end__lt=end)
            )
            for i, (start, end) in enumerate(spans)
        },
    )

    feedback = CancellationFeedback.objects.all()
    feedback_counts = feedback.aggregate(
        **{
            f"requested_{i}": Count("pk", filter=Q(created_at__gte=start, created_at__lt=end))
            for i, (start, end) in enumerate(spans)
        },
        **{
            f"resumed_{i}": Count("pk", filter=Q(resumed_at__gte=start, resumed_at__lt=end))
            for i, (start, end) in enumerate(spans)
        },
    )

    tz = timezone.get_default_timezone()
    reason_rows = (
        feedback.filter(created_at__gte=starts[0], created_at__lt=starts[-1])
        .annotate(month=TruncMonth("created_at", tzinfo=tz))
        .values_list("month", "reason")
        .annotate(count=Count("pk"))
        .order_by()
    )
    reasons_by_month: dict[date, dict[str, int]] = {}
    for month, reason, count in reason_rows:
        reasons_by_month.setdefault(timezone.localtime(month, tz).date(), {})[reason] = count

    report = []
    for i, (start, _) in enumerate(spans):
        month = start.date()
        counted = reasons_by_month.get(month, {})
        report.append(
            ChurnMonth(
                month=month,
                entitled_at_start=subscription_counts[f"entitled_{i}"],
                cancellations_requested=feedback_counts[f"requested_{i}"],
                resumed=feedback_counts[f"resumed_{i}"],
                ended=subscription_counts[f"ended_{i}"],
                reasons=tuple(
                    (label, counted.get(value, 0))
                    for value, label in CancellationFeedback.Reason.choices
                ),
            )
        )
    return report[::-1]
