import re
from datetime import timedelta

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from articles.models import Article
from subscriptions.models import MeteredRead, Plan, Subscription
from subscriptions.services import subscription_grant_complimentary
from tests.factories import make_article, make_staff, paragraphs
from tests.readers import BEYOND, logged_in, reads_in_full
from tests.subscriptions.factories import make_plan, make_reader, make_subscription

pytestmark = pytest.mark.django_db

USERS = reverse("admin:accounts_user_changelist")


def test_plan_admin(admin_client):
    make_plan(name="Digital monthly")
    assert admin_client.get(reverse("admin:subscriptions_plan_add")).status_code == 200
    response = admin_client.post(
        reverse("admin:subscriptions_plan_add"),
        {
            "name": "Digital yearly",
            "slug": "yearly",
            "price": "80.00",
            "currency": "GBP",
            "interval": "year",
            "trial_days": "0",
            "is_active": "on",
            "order": "1",
            "benefits": "Every article",
        },
    )
    assert response.status_code == 302
    assert Plan.objects.get(slug="yearly").interval == "year"
    changelist = admin_client.get(reverse("admin:subscriptions_plan_changelist"))
    assert "Digital monthly" in changelist.content.decode()


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("status__exact=past_due", "late@example.com", "paid@example.com"),
        ("source__exact=complimentary", "gift@example.com", "paid@example.com"),
        ("q=LATE@example", "late@example.com", "paid@example.com"),
    ],
)
def test_subscription_admin_filters_and_search(admin_client, query, shown, hidden):
    plan = make_plan(name="Digital monthly")
    make_subscription(user=make_reader(email="paid@example.com"), plan=plan)
    make_subscription(
        user=make_reader(email="late@example.com"),
        plan=plan,
        status=Subscription.Status.PAST_DUE,
    )
    subscription_grant_complimentary(
        user=make_reader(email="gift@example.com"), months=1, granted_by=None
    )

    html = admin_client.get(f"{reverse('admin:subscriptions_subscription_changelist')}?{query}")

    assert html.status_code == 200
    assert shown in html.content.decode()
    assert hidden not in html.content.decode()


def test_subscription_admin_filters_by_plan(admin_client):
    monthly, yearly = make_plan(name="Monthly"), make_plan(name="Yearly")
    make_subscription(user=make_reader(email="m@example.com"), plan=monthly)
    make_subscription(user=make_reader(email="y@example.com"), plan=yearly)
    url = reverse("admin:subscriptions_subscription_changelist")
    html = admin_client.get(f"{url}?plan__id__exact={yearly.pk}").content.decode()
    assert "y@example.com" in html
    assert "m@example.com" not in html


def test_readers_list_shows_subscription_status(admin_client):
    make_subscription(user=make_reader(email="paid@example.com"))
    make_subscription(
        user=make_reader(email="lapsed@example.com"), status=Subscription.Status.EXPIRED
    )
    make_reader(email="never@example.com")

    html = admin_client.get(USERS).content.decode()

    assert re.search(r"paid@example.com.*?<td[^>]*>Active</td>", html, re.S)
    assert re.search(r"lapsed@example.com.*?<td[^>]*>Ended</td>", html, re.S)
    assert re.search(r"never@example.com.*?<td[^>]*>—</td>", html, re.S)
    subscribers = admin_client.get(f"{USERS}?subscriber=yes").content.decode()
    assert "paid@example.com" in subscribers
    assert "lapsed@example.com" not in subscribers


def count_changelist_queries(client):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(USERS).status_code == 200
    return len(queries)


def test_readers_list_costs_the_same_for_3_or_30_readers(admin_client):
    def add_readers(n):
        for _ in range(n):
            make_subscription(user=make_reader(), plan=make_plan())

    add_readers(3)
    count_changelist_queries(admin_client)  # the first request also settles the session
    few = count_changelist_queries(admin_client)
    add_readers(27)
    assert count_changelist_queries(admin_client) == few


def test_add_a_user_without_a_username(admin_client):
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "journalist@example.com",
            "name": "Jo",
            "usable_password": "true",
            "password1": "newsroom-pass-2026",
            "password2": "newsroom-pass-2026",
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="journalist@example.com")
    assert user.check_password("newsroom-pass-2026")


def test_adding_a_user_twice_in_another_case_is_a_form_error(admin_client):
    make_reader(email="jo@example.com")
    response = admin_client.post(
        reverse("admin:accounts_user_add"),
        {"email": "JO@example.com", "usable_password": "false"},
    )
    assert response.status_code == 400
    assert "An account with this email address already exists." in response.content.decode()


def test_change_a_user(admin_client):
    user = make_reader(email="jo@example.com")
    url = reverse("admin:accounts_user_change", args=[user.pk])
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url,
        {
            "email": "jo@example.com",
            "name": "Jo Bloggs",
            "is_active": "on",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.name == "Jo Bloggs"


def test_grant_complimentary_asks_for_the_months_then_grants(admin_client, admin_user):
    ada, bob = make_reader(email="ada@example.com"), make_reader(email="bob@example.com")
    selected = {"action": "grant_complimentary", ACTION_CHECKBOX_NAME: [ada.pk, bob.pk]}

    form = admin_client.post(USERS, {**selected, "index": "0"})

    assert form.status_code == 200
    html = form.content.decode()
    assert "ada@example.com" in html and "bob@example.com" in html
    assert 'name="months"' in html
    assert not Subscription.objects.exists()

    done = admin_client.post(USERS, {**selected, "months": "3", "apply": "Grant"}, follow=True)

    assert "Granted 2 complimentary subscription(s) for 3 month(s)." in done.content.decode()
    for reader in (ada, bob):
        subscription = reader.subscriptions.get()
        assert subscription.source == Subscription.Source.COMPLIMENTARY
        assert subscription.granted_by == admin_user
        assert subscription.entitles(at=timezone.now() + timedelta(days=85))
        assert not subscription.entitles(at=timezone.now() + timedelta(days=95))


def test_grant_complimentary_refuses_a_bad_number(admin_client):
    ada = make_reader()
    selected = {"action": "grant_complimentary", ACTION_CHECKBOX_NAME: [ada.pk]}

    response = admin_client.post(USERS, {**selected, "months": "0", "apply": "Grant"})

    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    "permissions",
    [["accounts.view_user"], ["accounts.view_user", "subscriptions.view_subscription"]],
)
def test_staff_who_may_only_view_cannot_grant_complimentary_access(client, permissions):
    ada = make_reader(email="ada@example.com")
    client.force_login(make_staff(*permissions))
    selected = {"action": "grant_complimentary", ACTION_CHECKBOX_NAME: [ada.pk], "index": "0"}

    listing = client.get(USERS).content.decode()
    forged = client.post(USERS, {**selected, "months": "60", "apply": "Grant"}, follow=True)

    assert 'value="grant_complimentary"' not in listing  # not offered
    assert forged.status_code == 200  # Django runs only the actions this account may run
    assert not Subscription.objects.exists()
    assert not LogEntry.objects.exists()


def test_staff_who_may_add_subscriptions_grant_complimentary_access(client):
    granter = make_staff("accounts.view_user", "subscriptions.add_subscription")
    ada = make_reader(email="ada@example.com")
    client.force_login(granter)
    selected = {"action": "grant_complimentary", ACTION_CHECKBOX_NAME: [ada.pk], "index": "0"}

    done = client.post(USERS, {**selected, "months": "2", "apply": "Grant"}, follow=True)

    assert "Granted 1 complimentary subscription(s) for 2 month(s)." in done.content.decode()
    assert ada.subscriptions.get().granted_by == granter


# Metered reads: a record of what readers read, read-only; a read may be given back.

READS = reverse("admin:subscriptions_meteredread_changelist")


def metered_story():
    blocks = [("text", paragraphs(3)), ("break",), ("text", f"<p>{BEYOND}</p>")]
    return make_article(access=Article.Access.METERED, headline="Harbour levy", blocks=blocks)


@pytest.fixture
def used_up(settings):
    """A reader whose one free read of the month went on a metered article."""
    settings.NEWSROOM_METER_REGISTERED = 1
    reader = make_reader(email="ada@example.com")
    read, other = metered_story(), metered_story()
    client = logged_in(reader)
    assert reads_in_full(client, read) and not reads_in_full(client, other)
    return client, MeteredRead.objects.get(user=reader), other


def test_metered_reads_are_listed_and_shown_but_not_added_or_changed_by_hand(admin_client, used_up):
    _, read, _ = used_up
    change = reverse("admin:subscriptions_meteredread_change", args=[read.pk])

    listing = admin_client.get(READS).content.decode()
    shown = admin_client.get(change).content.decode()
    forged_add = admin_client.post(
        reverse("admin:subscriptions_meteredread_add"),
        {"user": read.user_id, "article_id": "99", "period": "2026-01-01"},
    )
    forged_change = admin_client.post(
        change, {"user": read.user_id, "article_id": "99", "period": "2020-01-01"}
    )

    assert "ada@example.com" in listing
    assert reverse("admin:subscriptions_meteredread_add") not in listing
    assert 'name="article_id"' not in shown and 'name="_save"' not in shown  # read-only
    assert forged_add.status_code == 403 and forged_change.status_code == 403
    assert MeteredRead.objects.get() == read and read.article_id != 99
    assert not LogEntry.objects.exists()


def test_deleting_a_read_gives_it_back_and_is_logged_saying_whose_and_of_which_article(
    admin_client, admin_user, used_up, django_capture_on_commit_callbacks
):
    client, read, other = used_up
    delete = reverse("admin:subscriptions_meteredread_delete", args=[read.pk])

    asked = admin_client.get(delete).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(delete, {"post": "yes"}, follow=True)

    assert "Give back" in asked
    assert done.status_code == 200
    assert not MeteredRead.objects.exists()
    assert reads_in_full(client, other)  # the read is theirs again
    entry = LogEntry.objects.get()
    assert entry.user == admin_user and entry.is_deletion()
    assert entry.get_change_message() == (
        f"Gave back ada@example.com's read of article #{read.article_id} "
        f"({read.period:%B %Y}): they may read another article free this month."
    )


def test_reads_given_back_from_the_list_are_each_logged(admin_client, used_up):
    _, read, _ = used_up
    second = MeteredRead.objects.create(
        user=read.user, article_id=read.article_id + 1000, period=read.period
    )
    selected = {"action": "delete_selected", ACTION_CHECKBOX_NAME: [read.pk, second.pk]}

    listing = admin_client.get(READS).content.decode()
    asked = admin_client.post(READS, selected)
    assert asked.status_code == 200 and MeteredRead.objects.count() == 2  # asked first
    assert "Give back these reads" in asked.content.decode()
    admin_client.post(READS, {**selected, "post": "yes"})

    assert "Give back the selected reads" in listing
    assert not MeteredRead.objects.exists()
    said = [entry.get_change_message() for entry in LogEntry.objects.all()]
    assert sorted(said) == sorted(
        f"Gave back ada@example.com's read of article #{article_id} ({read.period:%B %Y}): "
        "they may read another article free this month."
        for article_id in [read.article_id, second.article_id]
    )


def test_staff_without_the_delete_permission_cannot_give_a_read_back(client, used_up):
    _, read, _ = used_up
    client.force_login(make_staff("subscriptions.view_meteredread"))
    delete = reverse("admin:subscriptions_meteredread_delete", args=[read.pk])

    assert client.get(READS).status_code == 200
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert MeteredRead.objects.filter(pk=read.pk).exists()
    assert not LogEntry.objects.exists()
