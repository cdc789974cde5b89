"""Plans, and the entitlement rule (the table in README.md) in Python and in SQL."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import product

import pytest
from django.db import IntegrityError

from subscriptions.models import RENEWAL_GRACE, MeteredRead, Plan, Subscription, add_months
from tests.factories import make_article
from tests.subscriptions.factories import make_plan, make_reader

START = datetime(2026, 3, 1, 12, tzinfo=UTC)
END = datetime(2026, 4, 1, 12, tzinfo=UTC)
SECOND = timedelta(seconds=1)
DAY = timedelta(days=1)

# The moments at which the table is read (NEWSROOM_PAST_DUE_GRACE_DAYS is 7).
MOMENTS = {
    "before_start": START - SECOND,
    "at_start": START,
    "mid_period": START + 15 * DAY,
    "just_before_end": END - SECOND,
    "at_end": END,
    "end+23h": END + timedelta(hours=23),
    "end+1d": END + DAY,
    "end+6d23h": END + 7 * DAY - timedelta(hours=1),
    "end+7d": END + 7 * DAY,
    "end+1y": END + 365 * DAY,
}

# status, cancel at period end, moment -> entitled: the README's entitlement table as a test.
ENTITLEMENT = """
status   cancel moment          entitled
trialing no     before_start    no
trialing no     at_start        yes
trialing no     mid_period      yes
trialing no     just_before_end yes
trialing no     at_end          no
trialing yes    just_before_end yes
trialing yes    at_end          no
active   no     before_start    no
active   no     at_start        yes
active   no     mid_period      yes
active   no     just_before_end yes
active   no     at_end          yes
active   no     end+23h         yes
active   no     end+1d          no
active   yes    mid_period      yes
active   yes    just_before_end yes
active   yes    at_end          no
past_due no     before_start    no
past_due no     mid_period      yes
past_due no     at_end          yes
past_due no     end+6d23h       yes
past_due no     end+7d          no
past_due yes    end+6d23h       yes
past_due yes    end+7d          no
canceled yes    before_start    no
canceled yes    mid_period      yes
canceled yes    just_before_end yes
canceled yes    at_end          no
canceled no     at_end          no
expired  no     at_start        no
expired  no     mid_period      no
expired  yes    mid_period      no
"""


def entitlement_rows():
    header, *rows = [line.split() for line in ENTITLEMENT.strip().splitlines()]
    return [dict(zip(header, row, strict=True)) for row in rows]


def subscription_of(row, **fields):
    return Subscription(
        status=row["status"],
        cancel_at_period_end=row["cancel"] == "yes",
        current_period_start=START,
        current_period_end=END,
        **fields,
    )


@pytest.mark.parametrize("row", entitlement_rows(), ids=lambda row: "-".join(row.values()))
def test_entitlement_table(row):
    at = MOMENTS[row["moment"]]
    assert subscription_of(row).entitles(at=at) is (row["entitled"] == "yes")


@pytest.mark.django_db
@pytest.mark.parametrize("row", entitlement_rows(), ids=lambda row: "-".join(row.values()))
def test_entitlement_table_in_sql(row):
    subscription = subscription_of(row, user=make_reader())
    subscription.save()
    at = MOMENTS[row["moment"]]
    assert Subscription.objects.entitling(at=at).filter(pk=subscription.pk).exists() is (
        row["entitled"] == "yes"
    )


def test_every_status_is_in_the_table():
    assert {row["status"] for row in entitlement_rows()} == set(Subscription.Status.values)


def test_past_due_grace_follows_the_setting(settings):
    settings.NEWSROOM_PAST_DUE_GRACE_DAYS = 2
    subscription = Subscription(
        status="past_due", current_period_start=START, current_period_end=END
    )
    assert subscription.entitles(at=END + DAY)
    assert not subscription.entitles(at=END + 2 * DAY)


@pytest.mark.django_db
def test_python_and_sql_agree_over_the_whole_table():
    """Every status, cancel flag and period placement, read at many moments."""
    user = make_reader()
    offsets = [-400 * DAY, -8 * DAY, -3 * DAY, -2 * RENEWAL_GRACE, -SECOND, SECOND, 5 * DAY]
    for status, cancel, end_offset in product(Subscription.Status.values, [False, True], offsets):
        end = END + end_offset
        Subscription.objects.create(
            user=user,
            status=status,
            cancel_at_period_end=cancel,
            current_period_start=end - 30 * DAY,
            current_period_end=end,
        )
    subscriptions = list(Subscription.objects.all())
    assert len(subscriptions) == len(Subscription.Status.values) * 2 * len(offsets)
    moments = [*MOMENTS.values(), *(END + k * timedelta(hours=7) for k in range(-40, 40))]
    for at in moments:
        in_python = {s.pk for s in subscriptions if s.entitles(at=at)}
        in_sql = set(Subscription.objects.entitling(at=at).values_list("pk", flat=True))
        assert in_python == in_sql, at


def test_will_renew_and_can_cancel():
    active = Subscription(status="active", current_period_start=START, current_period_end=END)
    assert active.will_renew
    assert active.can_cancel(at=START + DAY)
    assert not active.can_cancel(at=END + 2 * DAY)  # over
    active.cancel_at_period_end = True
    assert not active.will_renew
    assert not active.can_cancel(at=START + DAY)  # already cancelled
    expired = Subscription(status="expired", current_period_start=START, current_period_end=END)
    assert not expired.can_cancel(at=START + DAY)


@pytest.mark.django_db
def test_a_period_must_not_be_empty():
    with pytest.raises(IntegrityError):
        Subscription.objects.create(
            user=make_reader(), status="active", current_period_start=END, current_period_end=END
        )


# Plans --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("price", "currency", "interval", "label"),
    [
        ("8.00", "GBP", "month", "£8.00 a month"),
        ("80", "EUR", "year", "€80.00 a year"),
        ("1200.5", "USD", "year", "$1,200.50 a year"),
        ("99", "CHF", "month", "99.00 CHF a month"),
    ],
)
def test_price_label(price, currency, interval, label):
    assert Plan(price=Decimal(price), currency=currency, interval=interval).price_label == label


def test_benefit_lines():
    plan = Plan(benefits="Every article in full\n\n  The crossword \n")
    assert plan.benefit_lines == ["Every article in full", "The crossword"]


@pytest.mark.parametrize(
    ("interval", "start", "end"),
    [
        ("month", datetime(2026, 1, 31, 10, tzinfo=UTC), datetime(2026, 2, 28, 10, tzinfo=UTC)),
        ("month", datetime(2026, 12, 15, 10, tzinfo=UTC), datetime(2027, 1, 15, 10, tzinfo=UTC)),
        ("year", datetime(2028, 2, 29, 10, tzinfo=UTC), datetime(2029, 2, 28, 10, tzinfo=UTC)),
    ],
)
def test_plan_period_end(interval, start, end):
    assert Plan(interval=interval).period_end(start) == end


def test_add_months_keeps_the_local_time_across_daylight_saving(settings):
    settings.TIME_ZONE = "Europe/London"
    # 09:00 in London in winter (UTC) and in summer (BST, UTC+1).
    winter = datetime(2026, 3, 10, 9, tzinfo=UTC)
    summer = add_months(winter, 1)
    assert summer == datetime(2026, 4, 10, 8, tzinfo=UTC)


@pytest.mark.django_db
def test_plans_active():
    offered = make_plan(is_active=True)
    make_plan(is_active=False)
    assert list(Plan.objects.active()) == [offered]


@pytest.mark.django_db
def test_a_metered_read_counts_once_a_period():
    user, article = make_reader(), make_article()
    period = datetime(2026, 3, 1).date()
    MeteredRead.objects.create(user=user, article_id=article.pk, period=period)
    MeteredRead.objects.create(user=user, article_id=article.pk, period=period.replace(month=4))
    with pytest.raises(IntegrityError):
        MeteredRead.objects.create(user=user, article_id=article.pk, period=period)
