from datetime import date, timedelta

import pytest
from django.utils import timezone

from insight.models import Event, Kind
from insight.report import (
    Period,
    ReportRow,
    meter_what_if,
    paywall_report,
    period_preset,
    reconciliation,
    sort_rows,
)
from subscriptions.models import Subscription
from tests.factories import make_article, make_section
from tests.insight.factories import converted, demand, noon, roll_up, seen
from tests.subscriptions.factories import make_reader, make_subscription

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate(timezone=timezone.get_default_timezone())


def week():
    return period_preset("7", today=today())


def by_key(report):
    return {row.key: row for row in report.rows}


def a_morning_of_walls(article, *, days_ago=0):
    """Two walls and a read of `article`, a prompt click, a sign-up and a subscription after
    the walls, and a subscription after no wall: the report's every column."""
    at = noon(days_ago)
    seen(Kind.WALL, article, visitor="v1", at=at)
    seen(Kind.WALL, article, visitor="v1", at=at + timedelta(minutes=1))
    seen(Kind.READ, article, visitor="v2", at=at + timedelta(minutes=2))
    seen(Kind.PROMPT_CLICK, article, visitor="v1", at=at + timedelta(minutes=3))
    converted(Kind.SIGNUP, user_id=5, visitor="v1", at=at + timedelta(minutes=4))
    converted(Kind.CHECKOUT, user_id=5, at=at + timedelta(minutes=5))
    converted(Kind.SUBSCRIPTION, user_id=5, subscription_id=1, at=at + timedelta(minutes=6))
    converted(Kind.SUBSCRIPTION, user_id=9, subscription_id=2, at=at + timedelta(minutes=7))


def test_the_report_counts_walls_and_attributes_conversions_to_the_last_wall():
    article = make_article()
    a_morning_of_walls(article)

    report = paywall_report(period=week())

    rows = by_key(report)
    row = rows[article.pk]
    assert row.name == article.headline
    assert {name: row.figures[name] for name in ("readers", "walls", "prompt_clicks")} == {
        "readers": 2,
        "walls": 2,
        "prompt_clicks": 1,
    }
    assert (row.figures["signups"], row.figures["checkouts"], row.figures["subscriptions"]) == (
        1,
        1,
        1,
    )
    assert row.conversion_percent == 50
    # The subscription after no wall has its own row, and the totals count it.
    assert rows[None].figures["subscriptions"] == 1
    assert rows[None].conversion_rate is None
    assert report.totals["subscriptions"] == 2
    assert report.totals["walls"] == 2
    assert dict(report.funnel) == {
        "reads": 1,
        "walls": 2,
        "prompt_clicks": 1,
        "signups": 1,
        "checkouts": 1,
        "subscriptions": 2,
    }


def test_a_conversion_counts_for_the_article_of_the_last_wall_not_the_first():
    first, last = make_article(), make_article()
    seen(Kind.WALL, first, visitor="v1", at=noon(3))
    seen(Kind.WALL, last, visitor="v1", at=noon(2))
    converted(Kind.SUBSCRIPTION, visitor="v1", at=noon(1))

    rows = by_key(paywall_report(period=week()))

    assert rows[last.pk].figures["subscriptions"] == 1
    assert rows[first.pk].figures["subscriptions"] == 0


def test_a_day_reads_the_same_rolled_up_as_counted_from_its_events():
    article, other = make_article(), make_article()
    a_morning_of_walls(article, days_ago=1)
    seen(Kind.WALL, other, visitor="v3", at=noon(1), device="desktop")
    seen(Kind.READ, other, at=noon(0))  # today: always counted from its events
    live = paywall_report(period=week())

    roll_up(today() - timedelta(days=1))
    # The roll-up's figures are read, not the events: without them the day still counts.
    Event.objects.filter(at__lt=noon(0) - timedelta(hours=6)).delete()
    rolled = paywall_report(period=week())

    assert [(row.key, row.figures) for row in rolled.rows] == [
        (row.key, row.figures) for row in live.rows
    ]
    assert rolled.totals == live.totals
    assert paywall_report(period=week(), by="section").totals == live.totals


def test_readers_are_distinct_per_day_and_added_up_over_the_days():
    article = make_article()
    for days_ago in (0, 0, 1):
        seen(Kind.WALL, article, visitor="v1", at=noon(days_ago))

    (row,) = paywall_report(period=week()).rows

    assert (row.figures["readers"], row.figures["walls"]) == (2, 3)


def test_filters_keep_the_events_of_their_kind_of_reader_device_and_section():
    news, sport = make_section(), make_section()
    on_news, on_sport = make_article(section=news), make_article(section=sport)
    seen(Kind.WALL, on_news, device="mobile", reader_kind="anonymous")
    seen(Kind.WALL, on_news, device="desktop", reader_kind="registered")
    seen(Kind.WALL, on_sport, device="desktop", reader_kind="anonymous")

    def walls(**filters):
        report = paywall_report(period=week(), filters=filters)
        return {row.key: row.figures["walls"] for row in report.rows}

    assert walls(device="desktop") == {on_news.pk: 1, on_sport.pk: 1}
    assert walls(reader_kind="registered") == {on_news.pk: 1}
    assert walls(section_id=sport.pk) == {on_sport.pk: 1}
    assert walls(referrer="social") == {}
    by_section = paywall_report(period=week(), by="section", filters={"device": "desktop"})
    assert {row.name: row.figures["walls"] for row in by_section.rows} == {
        news.name: 1,
        sport.name: 1,
    }


def test_the_period_leaves_out_the_days_before_it():
    article = make_article()
    seen(Kind.WALL, article, at=noon(7))  # the day before the last seven
    seen(Kind.WALL, article, at=noon(6))

    assert paywall_report(period=week()).totals["walls"] == 1
    assert paywall_report(period=period_preset("30", today=today())).totals["walls"] == 2


def row(key, walls, subscriptions):
    figures = {"walls": walls, "subscriptions": subscriptions, "readers": 0}
    return ReportRow(key, figures)


def test_sorting_by_conversion_rate_puts_rows_without_walls_last_and_keeps_ties_by_id():
    rows = [row(4, 10, 1), row(2, 10, 5), row(3, 0, 0), row(1, 10, 1), row(None, 0, 3)]

    assert [r.key for r in sort_rows(rows, "-conversion")] == [2, 1, 4, 3, None]
    assert [r.key for r in sort_rows(rows, "conversion")] == [1, 4, 2, 3, None]
    assert [r.key for r in sort_rows(rows, "-subscriptions")] == [2, None, 1, 4, 3]


def test_the_first_hundred_rows_are_named_and_the_totals_count_them_all(settings):
    articles = [make_article() for _ in range(3)]
    for article in articles:
        seen(Kind.WALL, article)

    report = paywall_report(period=week(), limit=2, sort="walls")

    assert [r.key for r in report.rows] == [articles[0].pk, articles[1].pk]
    assert (report.row_count, report.cut, report.totals["walls"]) == (3, True, 3)


def test_reconciliation_sets_provider_subscriptions_against_subscription_events():
    article = make_article()
    seen(Kind.WALL, article, visitor="v1")
    converted(Kind.SUBSCRIPTION, visitor="v1")
    converted(Kind.SUBSCRIPTION, user_id=8)
    for source in (Subscription.Source.PROVIDER, Subscription.Source.COMPLIMENTARY):
        make_subscription(user=make_reader(), source=source)

    found = reconciliation(period=week())

    assert (found.provider_subscriptions, found.subscription_events) == (1, 2)
    assert (found.after_wall, found.after_no_wall) == (1, 1)
    assert (found.reconciles, found.difference) == (False, 1)


def test_presets_end_today_and_this_week_starts_on_monday():
    wednesday = date(2026, 12, 2)
    assert period_preset("7", today=wednesday) == Period(date(2026, 11, 26), wednesday)
    assert period_preset("week", today=wednesday) == Period(date(2026, 11, 30), wednesday)
    assert period_preset("90", today=wednesday).days()[0] == date(2026, 9, 4)


def test_the_meter_what_if_counts_readers_who_wanted_more_than_each_allowance(settings):
    settings.NEWSROOM_METER_ANONYMOUS = 3
    settings.NEWSROOM_METER_REGISTERED = 5
    month = date(2026, 11, 1)
    # 100 anonymous readers read 1 article, 50 read 3, 30 read 4, 20 read eleven or more.
    demand(month, "anonymous", {1: 100, 3: 50, 4: 30, 11: 20}, walled={4: 28, 11: 20})

    anonymous, registered = meter_what_if(month=month)

    assert (anonymous.allowance, anonymous.readers, anonymous.walled) == (3, 200, 48)
    walled = {a.articles: a.readers_walled for a in anonymous.allowances}
    assert walled == {1: 100, 2: 100, 3: 50, 4: 20, 5: 20, 6: 20, 7: 20, 8: 20, 9: 20, 10: 20}
    four = anonymous.allowances[3]
    assert four.change_percent == -60
    assert four.summary == "4 free articles: 60 % fewer readers meet the wall"
    assert anonymous.allowances[0].summary == "1 free article: 100 % more readers meet the wall"
    assert anonymous.allowances[2].summary == "3 free articles: the meter now"
    assert (registered.readers, registered.allowances[0].change_percent) == (0, None)


def test_the_meter_what_if_of_a_month_without_figures_is_empty():
    assert meter_what_if(month=date(2026, 11, 1)) == []


def test_the_report_says_how_many_past_days_are_not_rolled_up_yet():
    seen(Kind.WALL, make_article(), at=noon(2))
    for days_ago in (1, 3, 4, 5, 6):
        roll_up(today() - timedelta(days=days_ago))

    report = paywall_report(period=week())

    assert report.days_from_events == (today() - timedelta(days=2), today())
    assert report.late_days == 1
    assert report.totals["walls"] == 1
