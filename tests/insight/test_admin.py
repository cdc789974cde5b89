import csv
import io
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from insight.models import Event, Kind
from subscriptions.models import Subscription
from tests.factories import make_article, make_staff
from tests.insight.factories import converted, demand, noon, seen
from tests.subscriptions.factories import make_reader, make_subscription

pytestmark = pytest.mark.django_db

REPORT = reverse("admin:insight_report_changelist")
METER = reverse("admin:insight_meter_changelist")
EVENTS = reverse("admin:insight_event_changelist")


@pytest.fixture
def editor(client):
    user = make_staff()
    user.groups.add(Group.objects.get(name="Editor"))
    client.force_login(user)
    return user


def a_wall_and_a_subscription(article, *, visitor="v1", user_id=5, **fields):
    wall = seen(Kind.WALL, article, visitor=visitor, **fields)
    subscription = converted(
        Kind.SUBSCRIPTION, user_id=user_id, visitor=visitor, subscription_id=user_id
    )
    return wall, subscription


def test_editors_may_see_the_report_and_the_index_shows_it(client, editor):
    response = client.get(reverse("admin:index"))
    assert "Paywall insight" in response.text
    assert f'href="{REPORT}"' in response.text
    assert f'href="{METER}"' in response.text
    assert f'href="{EVENTS}"' in response.text

    response = client.get(REPORT)
    assert response.status_code == 200
    assert "counts for the article whose wall the reader met last, within 30 days" in (
        response.text
    )
    assert "distinct readers per day, added up over the days" in response.text
    assert "6 days before today are not rolled up yet" in response.text
    assert f'href="{METER}"' in response.text
    assert f'href="{EVENTS}"' in response.text


def test_staff_without_the_events_permission_are_refused(client):
    client.force_login(make_staff())
    assert client.get(REPORT).status_code == 403
    assert client.get(METER).status_code == 403
    assert client.get(REPORT + "?format=csv").status_code == 403


def test_readers_not_signed_in_are_sent_to_the_admins_sign_in(client):
    response = client.get(REPORT)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=2026-13-01&end=2026-12-01", "Enter a valid date."),
        ("start=2026-12-05&end=2026-12-01", "The period ends before it starts."),
        ("start=2026-12-05", "Give both dates of the period, or neither."),
        ("start=2020-01-01&end=2026-01-01", "Ask for at most 731 days at once"),
        ("sort=headline", "Select a valid choice."),
        ("by=author", "Select a valid choice."),
        ("section=abc", "Select a valid choice."),
    ],
)
def test_bad_questions_are_answered_with_a_message_and_400(client, editor, query, message):
    response = client.get(f"{REPORT}?{query}")
    assert response.status_code == 400
    assert message in response.text
    assert client.get(f"{REPORT}?{query}&format=csv").status_code == 400


def test_the_table_shows_an_articles_figures_with_links_to_their_events(client, editor):
    article = make_article(headline="Inside the ferry accounts")
    wall, _ = a_wall_and_a_subscription(article)

    response = client.get(REPORT)

    assert response.status_code == 200
    (line,) = [line for line in response.context["rows"] if line["row"].key == article.pk]
    assert line["rate"] == "100.0 %"
    walls_value, walls_url = line["cells"][1]
    assert walls_value == "1"
    listed = client.get(walls_url)
    assert list(listed.context["cl"].result_list) == [wall]
    subscriptions_url = line["cells"][5][1]
    query = parse_qs(urlsplit(subscriptions_url).query)
    assert query["kind__exact"] == ["subscription"]
    assert query["article_id"] == [str(article.pk)]
    assert [e.kind for e in client.get(subscriptions_url).context["cl"].result_list] == [
        "subscription"
    ]


def test_the_reconciliation_line_says_whether_provider_and_events_agree(client, editor):
    article = make_article()
    a_wall_and_a_subscription(article)
    make_subscription(user=make_reader(), source=Subscription.Source.PROVIDER)

    response = client.get(REPORT)
    assert "It reconciles." in response.text
    assert "1 after a wall, 0 after no wall" in response.text

    converted(Kind.SUBSCRIPTION, user_id=77)
    response = client.get(REPORT)
    assert "They differ by 1" in response.text
    assert "1 after a wall, 1 after no wall" in response.text

    # The development checkout's subscriptions (no payment) are in the table, not in the check.
    converted(Kind.SUBSCRIPTION, user_id=78, detail=Subscription.Source.MANUAL)
    response = client.get(REPORT)
    assert (
        "the development checkout (no payment) started 1: the table above counts it, this "
        "check leaves it out of both sides."
    ) in " ".join(response.text.split())


def test_the_funnel_is_an_svg_with_its_numbers_also_in_a_table(client, editor):
    article = make_article()
    seen(Kind.READ, article)
    a_wall_and_a_subscription(article)

    html = client.get(REPORT).text

    assert '<svg class="insight-chart__svg"' in html
    assert 'role="img" aria-labelledby="funnel-title funnel-desc"' in html
    assert "<figcaption>From article read to subscription" in html
    assert "style=" not in html.split('id="content-main"')[1]
    assert "<script" not in html.split('id="content-main"')[1]


def test_sorting_by_conversion_rate(client, editor):
    low, high, none = make_article(), make_article(), make_article()
    for n in range(4):
        seen(Kind.WALL, low, visitor=f"low{n}")
    a_wall_and_a_subscription(low, visitor="low0", user_id=1)
    a_wall_and_a_subscription(high, visitor="high", user_id=2)
    seen(Kind.READ, none)

    rows = client.get(REPORT + "?sort=-conversion").context["rows"]
    assert [line["row"].key for line in rows] == [high.pk, low.pk, none.pk]
    assert [line["rate"] for line in rows] == ["100.0 %", "20.0 %", "—"]
    headers = client.get(REPORT + "?sort=-conversion").context["headers"]
    assert headers[-1]["state"] == "descending"
    assert "sort=conversion" in headers[-1]["url"]


def test_the_csv_is_the_table_with_its_filters_order_and_totals(client, editor):
    first = make_article(headline="=SUM(A1) is not a formula")
    second = make_article(headline="Harbour")
    a_wall_and_a_subscription(first, device="desktop", visitor="a", user_id=1)
    seen(Kind.WALL, second, visitor="b", device="desktop")
    seen(Kind.WALL, second, visitor="c", device="desktop")
    seen(Kind.WALL, second, visitor="d", device="mobile")

    response = client.get(REPORT + "?device=desktop&sort=-walls&format=csv")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    today = timezone.localdate()
    assert response["Content-Disposition"] == (
        'attachment; filename="paywall-report-by-article-'
        f'{today - timedelta(days=6)}-to-{today}.csv"'
    )
    table = list(csv.reader(io.StringIO(response.content.decode())))
    assert table == [
        [
            "Article",
            "Id",
            "Readers",
            "Walls shown",
            "Prompt clicks",
            "Sign-ups",
            "Checkouts",
            "Subscriptions started",
            "Conversion rate",
        ],
        ["Harbour", str(second.pk), "2", "2", "0", "0", "0", "0", "0.00"],
        ["'=SUM(A1) is not a formula", str(first.pk), "1", "1", "0", "0", "0", "1", "100.00"],
        ["Total", "", "3", "3", "0", "0", "0", "1", "33.33"],
    ]


def test_presets_are_links_that_keep_the_filters_and_fill_the_dates(client, editor):
    response = client.get(REPORT + "?preset=30&device=mobile&start=&end=")
    today = timezone.localdate()
    assert response.context["report"].period.start == today - timedelta(days=29)
    assert f'value="{today - timedelta(days=29)}"' in response.text
    thirty = next(p for p in response.context["presets"] if p["label"] == "Last 30 days")
    assert thirty["current"]
    week = next(p for p in response.context["presets"] if p["label"] == "This week")
    assert parse_qs(urlsplit(week["url"]).query) == {"preset": ["week"], "device": ["mobile"]}


def test_dates_choose_the_period(client, editor):
    article = make_article()
    seen(Kind.WALL, article, at=noon(40))
    day = (noon(40)).date()

    response = client.get(f"{REPORT}?start={day}&end={day}")
    assert response.context["report"].totals["walls"] == 1
    assert client.get(REPORT).context["report"].totals["walls"] == 0


def test_the_report_page_costs_the_same_queries_for_many_articles(
    client, editor, django_assert_max_num_queries
):
    def articles_with_walls(n):
        for article in [make_article() for _ in range(n)]:
            a_wall_and_a_subscription(article, visitor=f"v{article.pk}", user_id=article.pk)

    articles_with_walls(2)
    with django_assert_max_num_queries(12) as few:
        client.get(REPORT)
    articles_with_walls(20)
    with django_assert_max_num_queries(len(few)) as many:
        response = client.get(REPORT)
    assert len(response.context["rows"]) == 22
    assert len(many) == len(few)
    print(f"The report page took {len(few)} queries.")


def test_the_event_list_filters_searches_and_edits_nothing(client, editor):
    article = make_article()
    wall, subscription = a_wall_and_a_subscription(article)
    read = seen(Kind.READ, make_article(), at=noon() - timedelta(hours=1))

    response = client.get(EVENTS)
    assert response.status_code == 200
    # Newest first; the wall and the subscription share a moment, the later row first.
    assert list(response.context["cl"].result_list) == [subscription, wall, read]
    found = client.get(f"{EVENTS}?q={article.pk}").context["cl"].result_list
    assert {e.pk for e in found} == {wall.pk, subscription.pk}
    assert list(client.get(f"{EVENTS}?q=ferry").context["cl"].result_list) == []
    walls = client.get(f"{EVENTS}?kind__exact=wall&detail=meter_exhausted")
    assert list(walls.context["cl"].result_list) == [wall]
    assert client.get(reverse("admin:insight_event_add")).status_code == 403
    change = reverse("admin:insight_event_change", args=[subscription.pk])
    assert client.post(change, {}).status_code == 403
    assert client.get(reverse("admin:insight_event_delete", args=[wall.pk])).status_code == 403


def test_an_events_page_shows_its_wall_and_subscription(client, editor):
    wall, subscription = a_wall_and_a_subscription(make_article(), user_id=41)

    response = client.get(reverse("admin:insight_event_change", args=[subscription.pk]))

    assert response.status_code == 200
    assert reverse("admin:insight_event_change", args=[wall.pk]) in response.text
    assert f"Wall #{wall.pk}" in response.text
    assert "Subscription #41" in response.text


def test_the_meter_what_if_of_a_month_with_figures(client, editor, settings):
    settings.NEWSROOM_METER_ANONYMOUS = 3
    month = timezone.localdate().replace(day=1)
    demand(month, "anonymous", {1: 100, 3: 50, 4: 30, 11: 20}, walled={4: 28, 11: 20})

    response = client.get(METER)

    assert response.status_code == 200
    assert "4 free articles: 60 % fewer readers meet the wall" in response.text
    assert 'aria-labelledby="anonymous-title anonymous-desc"' in response.text
    assert f'href="{REPORT}"' in response.text


def test_the_meter_what_if_says_when_figures_come(client, editor):
    response = client.get(METER)
    assert response.status_code == 200
    assert "They are made every night" in response.text


@pytest.mark.parametrize("month", ["2026-1x", "1999-01"])
def test_the_meter_what_if_of_a_month_it_cannot_show_is_a_400(client, editor, month):
    demand(date(2026, 10, 1), "anonymous", {1: 1})
    response = client.get(f"{METER}?month={month}")
    assert response.status_code == 400
    assert "month" in response.text
    assert client.get(f"{METER}?month=2026-10").status_code == 200


def test_the_event_list_of_no_events(client, editor):
    assert not Event.objects.exists()
    assert client.get(EVENTS).status_code == 200
