"""The funnel, as a reader walks it and the paywall's insight records it: from a search on a
phone, three free articles, the wall of the harbour-front story, a free account, a checkout at
the (stand-in) Stripe and the subscription its webhook starts, credited to that story."""

import pytest
from django.core.management import call_command
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from insight.models import Event, Kind
from insight.report import Period, reconciliation
from subscriptions.models import Subscription
from tests.factories import make_article, make_section
from tests.insight import recorded
from tests.subscriptions.factories import make_plan
from tests.subscriptions.stripe_stand_in import signed_event

pytestmark = pytest.mark.django_db

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"
FROM_SEARCH = {"User-Agent": PHONE, "Referer": "https://www.google.com/"}


def test_a_subscription_is_credited_to_the_wall_the_reader_met_last(stripe_stand_in):
    make_plan(name="Monthly", slug="monthly", trial_days=0)
    call_command("sync_plans", stdout=open("/dev/null", "w"))  # noqa: SIM115
    city = make_section(name="City", slug="city")
    free_reads = [make_article(section=city) for _ in range(3)]
    harbour = make_article(headline="The harbour front", section=city)
    reader = Client(headers=FROM_SEARCH)

    for article in free_reads:
        reader.get(article.get_absolute_url())
    wall = reader.get(harbour.get_absolute_url())
    signup_link = reverse("prompt_click", args=[harbour.pk, "sign_up"])
    assert signup_link in wall.content.decode()
    to_signup = reader.get(signup_link + f"?next={harbour.get_absolute_url()}")
    assert to_signup["Location"] == f"{reverse('signup')}?next=%2Farticles%2F{harbour.slug}%2F"
    reader.post(
        to_signup["Location"],
        {
            "name": "Ada",
            "email": "ada@example.com",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )
    going = reader.post(reverse("checkout", args=["monthly"]), {"next": harbour.slug})
    assert going["Location"].startswith(stripe_stand_in.url)
    (session,) = stripe_stand_in.all("checkout.session")
    stripe_stand_in.complete_checkout(session["id"])
    body, signature = signed_event("checkout.session.completed", stripe_stand_in.get(session["id"]))
    with TestCase.captureOnCommitCallbacks(execute=True):
        Client().post(
            "/payments/webhook/",
            body,
            content_type="application/json",
            headers={"Stripe-Signature": signature},
        )

    events = recorded()
    kinds = [event.kind for event in events]
    assert kinds.count(Kind.READ) == 3 and kinds.count(Kind.LAST_FREE_READ) == 1
    (wall_event,) = [event for event in events if event.kind == Kind.WALL]
    assert (wall_event.article_id, wall_event.section_id) == (harbour.pk, city.pk)
    assert (wall_event.detail, wall_event.access) == ("meter_exhausted", Article.Access.METERED)
    assert (wall_event.referrer, wall_event.device) == ("search", "mobile")
    assert wall_event.reader_kind == "anonymous" and len(wall_event.visitor) == 16
    (click,) = [event for event in events if event.kind == Kind.PROMPT_CLICK]
    assert (click.detail, click.article_id, click.section_id) == ("sign_up", harbour.pk, city.pk)
    assert kinds.count(Kind.SIGNUP_STARTED) == 1

    subscription = Subscription.objects.get(user__email="ada@example.com")
    for kind in (Kind.SIGNUP, Kind.CHECKOUT, Kind.SUBSCRIPTION):
        (conversion,) = [event for event in events if event.kind == kind]
        assert conversion.wall_id == wall_event.pk, kind
        assert (conversion.article_id, conversion.section_id) == (harbour.pk, city.pk)
        assert (conversion.referrer, conversion.reader_kind) == ("search", "anonymous")
    (started,) = Event.objects.filter(kind=Kind.SUBSCRIPTION)
    assert (started.subscription_id, started.detail) == (subscription.pk, "provider")
    assert started.user_id == subscription.user_id
    today = Period(start=timezone.localdate(), end=timezone.localdate())
    reconciled = reconciliation(period=today)
    assert reconciled.reconciles and reconciled.subscription_events == 1
    assert reconciled.after_wall == 1


def test_a_subscription_after_no_wall_is_counted_for_no_article(client, settings):
    settings.NEWSROOM_DEVELOPMENT_CHECKOUT = True
    make_plan(name="Monthly", slug="monthly", trial_days=0)
    reader = Client()
    reader.post(
        reverse("signup"),
        {
            "name": "Bo",
            "email": "bo@example.com",
            "password1": "a-long-enough-passphrase",
            "password2": "a-long-enough-passphrase",
        },
    )
    reader.post(reverse("checkout", args=["monthly"]))

    (started,) = recorded(kind=Kind.SUBSCRIPTION)
    subscription = Subscription.objects.get()
    assert (started.subscription_id, started.detail) == (subscription.pk, "manual")
    assert (started.article_id, started.wall_id) == (None, None)
    today = Period(start=timezone.localdate(), end=timezone.localdate())
    reconciled = reconciliation(period=today)  # no payment: not the provider's, nor counted
    assert (reconciled.subscription_events, reconciled.development_checkout) == (0, 1)
