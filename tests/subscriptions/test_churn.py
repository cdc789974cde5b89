"""Churn per month and cancellation reasons, as editors see them in the admin."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from subscriptions.churn import churn_report, month_starts
from subscriptions.models import CancellationFeedback, Subscription
from tests.factories import make_staff
from tests.subscriptions.factories import make_plan, make_reader, make_subscription, page_text

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
AT = datetime(2026, 3, 15, 12, tzinfo=NEW_YORK)
CHURN = reverse("admin:subscriptions_subscription_churn")
FEEDBACK = reverse("admin:subscriptions_cancellationfeedback_changelist")


@pytest.fixture(autouse=True)
def new_york(settings):
    """Months are calendar months in the site's time zone, here five hours behind UTC."""
    settings.TIME_ZONE = "America/New_York"


def ny(*args):
    return datetime(*args, tzinfo=NEW_YORK)


def subscription(*, began, end, plan=None, **fields):
    """Return a subscription that began at `began` and whose current period ends at `end`."""
    made = make_subscription(
        user=make_reader(),
        plan=plan,
        current_period_start=max(began, end - timedelta(days=30)),
        current_period_end=end,
        **fields,
    )
    Subscription.objects.filter(pk=made.pk).update(created_at=began)
    return made


def feedback(subscription, *, at, reason="other", resumed_at=None, text=""):
    return CancellationFeedback.objects.create(
        subscription=subscription, reason=reason, created_at=at, resumed_at=resumed_at, text=text
    )


@pytest.fixture
def history():
    """Three months of subscribers in New York time, seen at noon on 15 March 2026."""
    plan = make_plan(name="Monthly")
    renewing = subscription(began=ny(2025, 12, 1), end=ny(2026, 4, 5), plan=plan)
    # Cancelled in January, resumed on 2 February; the cancellation is January's by New York
    # time although it is already February in UTC.
    feedback(renewing, at=ny(2026, 1, 31, 22), resumed_at=ny(2026, 2, 2))
    left_in_february = subscription(
        began=ny(2025, 12, 10), end=ny(2026, 2, 10), plan=plan, cancel_at_period_end=True
    )
    feedback(left_in_february, at=ny(2026, 1, 20), reason="too_expensive")
    left_in_march = subscription(
        began=ny(2026, 1, 15), end=ny(2026, 3, 15, 10), plan=plan, cancel_at_period_end=True
    )
    feedback(left_in_march, at=ny(2026, 2, 3), reason="not_reading", resumed_at=ny(2026, 2, 5))
    feedback(left_in_march, at=ny(2026, 2, 20), reason="content")
    # Lapsed after a failed payment, at midnight as February began.
    subscription(
        began=ny(2025, 11, 1), end=ny(2026, 2, 1), plan=plan, status=Subscription.Status.EXPIRED
    )
    # Renewal due half an hour ago: inside the renewal grace, so it has not ended.
    subscription(began=ny(2026, 2, 15), end=ny(2026, 3, 15, 11, 30), plan=plan)
    # Cancelled, ending later this month: not ended yet.
    subscription(began=ny(2026, 2, 25), end=ny(2026, 3, 25), plan=plan, cancel_at_period_end=True)
    # Complimentary access never counts: its end is not a reader leaving.
    subscription(
        began=ny(2025, 12, 1),
        end=ny(2026, 2, 10),
        source=Subscription.Source.COMPLIMENTARY,
        cancel_at_period_end=True,
    )
    feedback(renewing, at=ny(2025, 12, 5))  # before the report's months
    return plan


def row(report, month):
    [found] = [r for r in report if r.month == month]
    return found


def test_month_starts_are_local_midnights():
    starts = month_starts(months=3, at=AT)
    assert starts == [ny(2026, 1, 1), ny(2026, 2, 1), ny(2026, 3, 1), ny(2026, 4, 1)]


@pytest.mark.usefixtures("history")
def test_churn_per_month(django_assert_num_queries):
    with django_assert_num_queries(3):
        report = churn_report(months=3, at=AT)

    assert [r.month.isoformat() for r in report] == ["2026-03-01", "2026-02-01", "2026-01-01"]
    january, february, march = (row(report, ny(2026, m, 1).date()) for m in (1, 2, 3))
    counts = ("entitled_at_start", "cancellations_requested", "resumed", "ended")
    assert [getattr(january, c) for c in counts] == [3, 2, 0, 0]
    assert [getattr(february, c) for c in counts] == [3, 2, 2, 2]
    assert [getattr(march, c) for c in counts] == [4, 0, 0, 1]
    assert (january.churn_rate, february.churn_rate, march.churn_rate) == (0, 2 / 3, 0.25)
    reasons = dict(february.reasons)
    assert reasons["I don't read it enough"] == reasons["I'm unhappy with the journalism"] == 1
    assert reasons["It costs too much"] == 0
    assert dict(january.reasons)["It costs too much"] == dict(january.reasons)["Something else"]
    assert sum(dict(march.reasons).values()) == 0


def test_a_month_without_subscribers_has_no_churn_rate():
    [only] = churn_report(months=1, at=AT)
    assert (only.entitled_at_start, only.ended, only.churn_rate) == (0, 0, None)


# The admin -----------------------------------------------------------------------------------


@pytest.fixture
def last_month():
    """Last month's start, and a subscriber who left in it after saying why, from today."""
    previous, _this_month, _ = month_starts(months=2, at=timezone.now())
    plan = make_plan(name="Monthly")
    subscription(began=previous - timedelta(days=60), end=timezone.now() + timedelta(20), plan=plan)
    leaver = subscription(
        began=previous - timedelta(days=40),
        end=previous + timedelta(days=3),
        plan=plan,
        cancel_at_period_end=True,
    )
    feedback(leaver, at=previous + timedelta(days=1), reason="too_expensive", text="Too dear.")
    return previous


def test_the_churn_report_in_the_admin(admin_client, last_month):
    response = admin_client.get(CHURN)

    assert response.status_code == 200
    text = page_text(response)
    assert "Churn by month" in text
    assert f"{last_month:%B %Y} 2 1 0 1 50.0%" in text
    assert "It costs too much" in text
    assert f'href="{FEEDBACK}"' in response.content.decode()


def test_the_churn_report_costs_the_same_queries_for_more_subscribers(admin_client, last_month):
    admin_client.get(CHURN)  # the site's shared page parts are made once, on the first page
    with CaptureQueriesContext(connection) as few:
        admin_client.get(CHURN)
    plan = make_plan()
    for days in range(30):
        made = subscription(
            began=last_month - timedelta(days=100 + days),
            end=last_month + timedelta(days=days % 20),
            plan=plan,
            cancel_at_period_end=True,
        )
        feedback(made, at=last_month - timedelta(days=days), reason="content")

    with CaptureQueriesContext(connection) as many:
        response = admin_client.get(CHURN)

    assert response.status_code == 200
    assert len(many) == len(few)


def test_the_churn_report_needs_permission_to_view_subscriptions(client):
    client.force_login(make_staff())
    assert client.get(CHURN).status_code == 403
    client.force_login(make_staff("subscriptions.view_subscription"))
    assert client.get(CHURN).status_code == 200


def test_readers_and_anonymous_visitors_are_sent_to_the_admin_log_in(client):
    assert client.get(CHURN)["Location"].startswith(reverse("admin:login"))
    client.force_login(make_reader())
    assert client.get(CHURN)["Location"].startswith(reverse("admin:login"))


def test_the_subscriptions_list_links_the_churn_report(admin_client):
    changelist = admin_client.get(reverse("admin:subscriptions_subscription_changelist"))
    assert f'<a href="{CHURN}">Churn report</a>' in changelist.content.decode()


@pytest.fixture
def reasons():
    plan = make_plan(name="Digital monthly")
    cost = subscription(began=ny(2025, 1, 1), end=ny(2026, 2, 10), plan=plan)
    cost.user.email = "cost@example.com"
    cost.user.save()
    words = "The crossword is the only thing I read, and " + "it is too short. " * 10
    feedback(
        cost,
        at=ny(2026, 1, 20),
        reason="too_expensive",
        text=words,
        resumed_at=ny(2026, 1, 22),
    )
    content = subscription(began=ny(2025, 1, 1), end=ny(2026, 3, 10), plan=plan)
    content.user.email = "content@example.com"
    content.user.save()
    feedback(content, at=ny(2026, 2, 20), reason="content", text="Too many ferry stories.")
    return cost, content


def test_the_cancellation_reasons_list(admin_client, reasons):
    response = admin_client.get(FEEDBACK)

    text = page_text(response)
    assert "cost@example.com Digital monthly It costs too much The crossword is the only" in text
    assert "it is too short. i… 20 Jan 2026" in text  # an excerpt, not all of it
    assert "content@example.com Digital monthly I'm unhappy with the journalism" in text.replace(
        "&#x27;", "'"
    )
    assert "Too many ferry stories." in text
    assert 'alt="True"' in response.content.decode()  # one resumed
    assert f'<a href="{CHURN}">Churn report</a>' in response.content.decode()


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("reason__exact=content", "content@example.com", "cost@example.com"),
        ("month=2026-01", "cost@example.com", "content@example.com"),
        ("month=2026-02", "content@example.com", "cost@example.com"),
    ],
)
@pytest.mark.usefixtures("reasons")
def test_the_cancellation_reasons_filter_by_reason_and_month(admin_client, query, shown, hidden):
    response = admin_client.get(f"{FEEDBACK}?{query}")
    text = page_text(response)
    assert shown in text and hidden not in text
    assert "February 2026" in text and "January 2026" in text  # the months to choose from


@pytest.mark.usefixtures("reasons")
def test_a_made_up_month_is_not_an_error(admin_client):
    response = admin_client.get(f"{FEEDBACK}?month=last-tuesday")
    assert response.status_code == 302  # the admin's own "?e=1" for a bad filter


def test_cancellation_reasons_are_view_only(client, reasons):
    cost, _ = reasons
    feedback_row = cost.cancellations.get()
    for editor in (
        make_staff("subscriptions.view_cancellationfeedback"),
        make_reader(is_staff=True, is_superuser=True),
    ):
        client.force_login(editor)
        change = reverse("admin:subscriptions_cancellationfeedback_change", args=[feedback_row.pk])
        page = client.get(change)
        assert page.status_code == 200
        assert "The crossword is the only thing I read" in page_text(page)
        assert 'name="_save"' not in page.content.decode()
        assert client.post(change, {"reason": "other", "text": "forged"}).status_code == 403
        add = reverse("admin:subscriptions_cancellationfeedback_add")
        assert client.get(add).status_code == 403
        delete = reverse("admin:subscriptions_cancellationfeedback_delete", args=[feedback_row.pk])
        assert client.post(delete, {"post": "yes"}).status_code == 403
    feedback_row.refresh_from_db()
    assert (feedback_row.reason, feedback_row.text[:14]) == ("too_expensive", "The crossword ")


def test_a_feedback_viewer_without_subscriptions_is_not_sent_to_the_churn_report(client, reasons):
    client.force_login(make_staff("subscriptions.view_cancellationfeedback"))
    response = client.get(FEEDBACK)
    assert response.status_code == 200
    assert "Churn report" not in response.content.decode()


def test_editors_see_the_reasons_and_the_churn_report(client, reasons):
    # The Editor group's one subscriptions permission (tests/articles/test_migrations.py); the
    # group itself is not used, since a browser test ordered earlier may have flushed it away.
    client.force_login(make_staff("subscriptions.view_subscription"))

    index = client.get(reverse("admin:index")).content.decode()
    listed = client.get(FEEDBACK)

    assert f'href="{FEEDBACK}"' in index
    assert "Too many ferry stories." in page_text(listed)
    assert f'<a href="{CHURN}">Churn report</a>' in listed.content.decode()
    assert client.get(CHURN).status_code == 200
