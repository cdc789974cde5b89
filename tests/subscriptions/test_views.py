"""Reader accounts and subscribing, over HTTP."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from subscriptions.meter import meter_period
from subscriptions.models import MeteredRead, Subscription
from tests.accounts.test_views import OFF_SITE
from tests.factories import make_article
from tests.subscriptions.factories import (
    PASSWORD,
    make_plan,
    make_reader,
    make_subscription,
    page_text,
)

pytestmark = pytest.mark.django_db

ARTICLE_PATH = "/articles/a-story/"
NOT_AVAILABLE = "Subscriptions are not available yet."


@pytest.fixture
def development_checkout(settings):
    """Development: no payment provider, and the checkout that takes no payment."""
    settings.NEWSROOM_PAYMENT_PROVIDER = ""
    settings.NEWSROOM_DEVELOPMENT_CHECKOUT = True


@pytest.fixture
def no_checkout(settings):
    """Production before payments are wired: no provider, no development checkout."""
    settings.DEBUG = False
    settings.NEWSROOM_PAYMENT_PROVIDER = ""
    settings.NEWSROOM_DEVELOPMENT_CHECKOUT = False


def sign_up(client, email="new@example.com", **extra):
    data = {"email": email, "password1": PASSWORD, "password2": PASSWORD, **extra}
    return client.post(reverse("signup"), data)


# The account page ----------------------------------------------------------------------------


def test_account_needs_a_log_in(client):
    response = client.get(reverse("account"))
    assert response["Location"] == f"{reverse('login')}?next={reverse('account')}"


def test_account_shows_subscription_renewal_and_meter(client):
    user = make_reader()
    plan = make_plan(name="Digital monthly")
    subscription = make_subscription(user=user, plan=plan)
    client.force_login(user)

    text = page_text(client.get(reverse("account")))

    assert "Digital monthly (£8.00 a month)" in text
    assert "Status Active" in text
    end = timezone.localtime(subscription.current_period_end)
    assert f"Renews on {end.day} {end:%B %Y}" in text
    assert "Cancel subscription" in text
    assert "As a subscriber you read every article in full." in text


def test_account_without_subscription_shows_this_months_reads(client, settings):
    settings.NEWSROOM_METER_REGISTERED = 5
    user = make_reader()
    for _ in range(2):
        MeteredRead.objects.create(user=user, article_id=make_article().pk, period=meter_period())
    MeteredRead.objects.create(
        user=user, article_id=make_article().pk, period=meter_period().replace(year=2020)
    )
    client.force_login(user)

    text = page_text(client.get(reverse("account")))

    assert "You do not have a subscription." in text
    assert "You have read 2 of 5 free articles this month." in text
    assert "Cancel subscription" not in text


def test_account_after_a_subscription_ended(client):
    user = make_reader()
    make_subscription(user=user, status=Subscription.Status.EXPIRED)
    client.force_login(user)
    assert "Your subscription has ended." in page_text(client.get(reverse("account")))


# The private feed on the account page ---------------------------------------------------------


def _feed_address(response) -> str:
    """Return the private feed's address the account page shows (the field's value)."""
    import re

    match = re.search(r'id="private-feed-url"[^>]* value="([^"]+)"', response.content.decode())
    assert match, "the account page shows no feed address"
    return match[1]


def test_a_subscriber_finds_their_private_feed_address_on_the_account_page(client):
    from django.test import Client

    user = make_reader()
    make_subscription(user=user)
    client.force_login(user)

    response = client.get(reverse("account"))

    text = page_text(response)
    assert "Your private feed" in text
    assert "Read every article in full in your feed reader" in text
    address = _feed_address(response)
    assert address.startswith("http://testserver/feed/private/") and address.endswith(".rss")
    assert 'data-copy="private-feed-url"' in response.content.decode()
    assert "Make a new address" in text
    assert _feed_address(client.get(reverse("account"))) == address  # made once, shown again
    feed = Client().get(address.removeprefix("http://testserver"))  # no session: a feed reader
    assert feed.status_code == 200 and feed["Content-Type"].startswith("application/rss+xml")


def test_a_reader_who_never_subscribed_is_offered_no_feed(client):
    from subscriptions.models import PrivateFeed

    user = make_reader()
    client.force_login(user)
    assert "private feed" not in page_text(client.get(reverse("account"))).lower()
    assert not PrivateFeed.objects.filter(user=user).exists()


def test_a_reader_whose_subscription_ended_keeps_their_address_and_is_told_what_it_carries(
    client,
):
    user = make_reader()
    subscription = make_subscription(user=user)
    client.force_login(user)
    address = _feed_address(client.get(reverse("account")))
    Subscription.objects.filter(pk=subscription.pk).update(
        status=Subscription.Status.EXPIRED, current_period_end=timezone.now()
    )

    response = client.get(reverse("account"))

    assert _feed_address(response) == address
    assert "Your subscription has ended, so your feed carries the start of each article" in (
        page_text(response)
    )


def test_making_a_new_address_ends_the_old_one_at_once(client):
    from django.test import Client

    user = make_reader()
    make_subscription(user=user)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    page = browser.get(reverse("account"))
    old = _feed_address(page).removeprefix("http://testserver")

    response = browser.post(
        reverse("private_feed_new"), {"csrfmiddlewaretoken": page.context["csrf_token"]}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account')}#private-feed-heading"
    page = browser.get(reverse("account"))
    assert "The old one no longer works" in page_text(page)
    new = _feed_address(page).removeprefix("http://testserver")
    assert new != old
    assert Client().get(old).status_code == 404
    assert Client().get(new).status_code == 200


def test_a_new_address_is_made_only_by_a_post_with_the_readers_csrf_token(client):
    from django.test import Client

    user = make_reader()
    make_subscription(user=user)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    address = _feed_address(browser.get(reverse("account")))

    assert browser.get(reverse("private_feed_new")).status_code == 405
    assert browser.post(reverse("private_feed_new")).status_code == 403
    assert _feed_address(browser.get(reverse("account"))) == address


def test_a_reader_without_a_subscription_cannot_make_a_feed_address(client):
    from subscriptions.models import PrivateFeed

    user = make_reader()
    client.force_login(user)

    response = client.post(reverse("private_feed_new"), follow=True)

    assert "Private feeds are for subscribers." in page_text(response)
    assert not PrivateFeed.objects.filter(user=user).exists()


def test_cancel_asks_first_then_cancels_at_the_end_of_the_period(client):
    user = make_reader()
    subscription = make_subscription(user=user, plan=make_plan())
    client.force_login(user)
    end = timezone.localtime(subscription.current_period_end)

    confirm = client.get(reverse("subscription_cancel"))

    assert confirm.status_code == 200
    assert "Cancel your subscription?" in page_text(confirm)
    subscription.refresh_from_db()
    assert not subscription.cancel_at_period_end  # a GET changes nothing
    response = client.post(reverse("subscription_cancel"), {"reason": "not_reading"})
    assert response["Location"] == reverse("account")
    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end
    text = page_text(client.get(reverse("account")))
    assert f"You can read everything until {end.day} {end:%B %Y}," in text
    assert f"Ends on {end.day} {end:%B %Y}" in text
    assert "Cancel subscription" not in text.replace("Your subscription is cancelled", "")


def test_cancel_without_a_subscription(client):
    client.force_login(make_reader())
    response = client.post(reverse("subscription_cancel"))
    assert response["Location"] == reverse("account")
    assert "You have no subscription to cancel." in page_text(client.get(reverse("account")))


def test_cancel_only_touches_the_readers_own_subscription(client):
    someone_else = make_subscription(user=make_reader())
    client.force_login(make_reader())
    client.post(reverse("subscription_cancel"), {"reason": "other"})
    someone_else.refresh_from_db()
    assert not someone_else.cancel_at_period_end


# Subscribing ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("development_checkout")
def test_subscribe_lists_the_active_plans(client):
    make_plan(name="Digital monthly", slug="monthly", trial_days=14, benefits="Every article\nApps")
    make_plan(name="Digital yearly", slug="yearly", price="80.00", interval="year", order=1)
    make_plan(name="Retired", slug="retired", is_active=False)

    response = client.get(reverse("subscribe") + f"?next={ARTICLE_PATH}")

    text = page_text(response)
    assert "Digital monthly £8.00 a month 14-day free trial" in text
    assert "Every article Apps" in text
    assert "Digital yearly £80.00 a year" in text
    assert "Retired" not in text
    checkout_url = f"{reverse('checkout', args=['monthly'])}?next={ARTICLE_PATH}"
    assert f'href="{checkout_url}"' in response.content.decode()


def test_subscribe_tells_a_subscriber_they_are_one(client):
    user = make_reader()
    make_subscription(user=user)
    make_plan(name="Digital monthly")
    client.force_login(user)
    text = page_text(client.get(reverse("subscribe")))
    assert "You are already a subscriber." in text
    assert "Choose Digital monthly" not in text


@pytest.mark.usefixtures("development_checkout")
def test_from_the_paywall_to_a_subscription_and_back_to_the_article(client):
    plan = make_plan(name="Digital monthly", slug="monthly")
    checkout_url = reverse("checkout", args=[plan.slug]) + "?" + urlencode({"next": ARTICLE_PATH})

    # Choosing a plan asks a stranger to sign up first, and remembers the way back.
    response = client.get(checkout_url)
    assert response["Location"] == reverse("signup") + "?" + urlencode({"next": checkout_url})
    signup_page = client.get(response["Location"])
    assert f'<input type="hidden" name="next" value="{checkout_url}">' in (
        signup_page.content.decode().replace("&amp;", "&")
    )
    response = sign_up(client, email="reader@example.com", next=checkout_url)
    assert response["Location"] == checkout_url

    # The development checkout says what it does, and keeps the article to return to.
    checkout_page = client.get(checkout_url)
    text = page_text(checkout_page)
    assert "No payment will be taken: this site runs without a payment provider." in text
    assert f'<input type="hidden" name="next" value="{ARTICLE_PATH}">' in (
        checkout_page.content.decode()
    )
    response = client.post(reverse("checkout", args=[plan.slug]), {"next": ARTICLE_PATH})

    assert response["Location"] == ARTICLE_PATH
    subscription = Subscription.objects.get(user__email="reader@example.com")
    assert (subscription.plan, subscription.status) == (plan, Subscription.Status.ACTIVE)
    assert subscription.entitles(at=timezone.now())
    message = "No payment was taken: this site runs without a payment provider."
    assert message in page_text(client.get(reverse("account")))


@pytest.mark.usefixtures("development_checkout")
def test_an_existing_reader_logs_in_from_the_checkout_and_gets_there(client):
    user = make_reader()
    plan = make_plan(slug="monthly")
    checkout_url = reverse("checkout", args=[plan.slug]) + "?" + urlencode({"next": ARTICLE_PATH})
    signup_page = client.get(client.get(checkout_url)["Location"])
    login_url = reverse("login") + "?" + urlencode({"next": checkout_url})
    assert f'href="{login_url}"' in signup_page.content.decode().replace("&amp;", "&")

    response = client.post(
        login_url, {"username": user.email, "password": PASSWORD, "next": checkout_url}
    )

    assert response["Location"] == checkout_url


@pytest.mark.usefixtures("development_checkout")
def test_checkout_offers_the_trial_to_a_first_subscriber(client):
    client.force_login(make_reader())
    plan = make_plan(trial_days=14)
    assert "14 days, then £8.00 a month" in page_text(
        client.get(reverse("checkout", args=[plan.slug]))
    )
    client.post(reverse("checkout", args=[plan.slug]))
    assert Subscription.objects.get().status == Subscription.Status.TRIALING


@pytest.mark.usefixtures("development_checkout")
def test_checkout_when_already_subscribed(client):
    user = make_reader()
    make_subscription(user=user)
    plan = make_plan()
    client.force_login(user)

    for response in (
        client.get(reverse("checkout", args=[plan.slug]) + f"?next={ARTICLE_PATH}"),
        client.post(reverse("checkout", args=[plan.slug]), {"next": ARTICLE_PATH}),
    ):
        assert response["Location"] == ARTICLE_PATH
    assert user.subscriptions.count() == 1
    assert "You already have a subscription." in page_text(client.get(reverse("account")))


def test_checkout_of_a_plan_not_offered_is_404(client):
    client.force_login(make_reader())
    retired = make_plan(is_active=False)
    assert client.get(reverse("checkout", args=[retired.slug])).status_code == 404
    assert client.get(reverse("checkout", args=["no-such-plan"])).status_code == 404


def test_checkout_with_a_provider_goes_to_its_hosted_page(client, settings):
    settings.NEWSROOM_PAYMENT_PROVIDER = "tests.subscriptions.test_services.HostedCheckout"
    client.force_login(make_reader())
    plan = make_plan(slug="monthly")

    page = client.get(reverse("checkout", args=[plan.slug]))
    response = client.post(reverse("checkout", args=[plan.slug]), {"next": ARTICLE_PATH})

    assert "Continue to payment" in page_text(page)
    assert "No payment will be taken" not in page_text(page)
    assert response["Location"] == "https://pay.example/checkout/monthly"
    assert not Subscription.objects.exists()


@pytest.mark.usefixtures("development_checkout")
@pytest.mark.parametrize("next_url", OFF_SITE)
def test_checkout_never_leaves_the_site(client, next_url):
    client.force_login(make_reader())
    plan = make_plan()
    response = client.post(reverse("checkout", args=[plan.slug]), {"next": next_url})
    assert (response.status_code, response["Location"]) == (302, reverse("account"))


def test_without_a_provider_outside_development_nobody_subscribes_for_free(client, no_checkout):
    plan = make_plan(slug="monthly")
    reader = make_reader()
    client.force_login(reader)

    page = client.get(reverse("checkout", args=[plan.slug]))
    response = client.post(reverse("checkout", args=[plan.slug]), {"next": ARTICLE_PATH})

    assert not Subscription.objects.exists()
    for answer in (page, response):
        assert answer.status_code == 200
        assert NOT_AVAILABLE in page_text(answer)
        assert "Start my subscription" not in page_text(answer)
        assert "no-store" in answer["Cache-Control"]  # gone the moment payments are wired
    assert not reader.subscriptions.exists()


def test_without_a_provider_outside_development_a_stranger_is_not_sent_to_sign_up(
    client, no_checkout
):
    plan = make_plan(slug="monthly")
    response = client.get(reverse("checkout", args=[plan.slug]))
    assert response.status_code == 200
    assert NOT_AVAILABLE in page_text(response)


def test_without_a_provider_outside_development_the_plans_say_so(client, no_checkout):
    make_plan(name="Digital monthly", slug="monthly")

    response = client.get(reverse("subscribe"))

    text = page_text(response)
    assert NOT_AVAILABLE in text
    assert "Digital monthly £8.00 a month" in text
    assert "Choose Digital monthly" not in text
    assert reverse("checkout", args=["monthly"]) not in response.content.decode()


def test_with_a_provider_outside_development_the_plans_offer_it(client, no_checkout, settings):
    settings.NEWSROOM_PAYMENT_PROVIDER = "tests.subscriptions.test_services.HostedCheckout"
    make_plan(name="Digital monthly", slug="monthly")
    text = page_text(client.get(reverse("subscribe")))
    assert "Choose Digital monthly" in text
    assert NOT_AVAILABLE not in text


def test_account_pages_are_not_cached(client):
    client.force_login(make_reader())
    for name in ("account", "signup", "login"):
        response = client.get(reverse(name))
        assert "no-cache" in response.get("Cache-Control", "") or "private" in response.get(
            "Cache-Control", ""
        ), name


def test_renewal_date_comes_from_the_period_end(client):
    user = make_reader()
    subscription = make_subscription(user=user, status=Subscription.Status.TRIALING)
    subscription.current_period_end = timezone.now() + timedelta(days=3)
    subscription.save()
    client.force_login(user)
    end = timezone.localtime(subscription.current_period_end)
    assert f"Trial ends on {end.day} {end:%B %Y}" in page_text(client.get(reverse("account")))
