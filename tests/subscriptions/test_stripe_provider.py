"""The Stripe provider against the stand-in Stripe: checkout, portal, plans and settings."""

from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from subscriptions.checks import check_stripe_deployed
from subscriptions.models import PaymentCustomer, Subscription
from tests.subscriptions.factories import make_plan, make_reader, make_subscription, page_text

# The stand-in Stripe's fixtures: `stripe_stand_in` runs the site against it.
pytestmark = pytest.mark.django_db

ARTICLE_PATH = "/news/harbour/a-story/"


def sync_plans():
    out = StringIO()
    call_command("sync_plans", stdout=out)
    return out.getvalue()


@pytest.fixture
def monthly(stripe_stand_in):
    plan = make_plan(name="Monthly", slug="monthly", trial_days=7)
    sync_plans()
    plan.refresh_from_db()
    return plan


def checkout_session(client, stand_in, plan, **data):
    response = client.post(reverse("checkout", args=[plan.slug]), data)
    sessions = stand_in.all("checkout.session")
    return response, sessions[-1] if sessions else None


# Checkout ------------------------------------------------------------------------------------


def test_the_checkout_comes_back_to_the_article(client, stripe_stand_in, monthly):
    client.force_login(make_reader())

    _, session = checkout_session(client, stripe_stand_in, monthly, next=ARTICLE_PATH)

    assert session["success_url"] == (
        "http://testserver/subscribe/thank-you/?next=%2Fnews%2Fharbour%2Fa-story%2F"
        "&session_id={CHECKOUT_SESSION_ID}"
    )
    assert session["cancel_url"] == (
        "http://testserver/subscribe/?next=%2Fnews%2Fharbour%2Fa-story%2F"
    )
    assert session["metadata"]["user_id"] == session["client_reference_id"]


def test_promotion_codes_are_offered_only_when_the_newsroom_turns_them_on(
    client, stripe_stand_in, monthly, settings
):
    client.force_login(make_reader())

    _, without = checkout_session(client, stripe_stand_in, monthly)
    settings.NEWSROOM_PROMOTION_CODES = True
    _, with_codes = checkout_session(client, stripe_stand_in, monthly)

    assert "allow_promotion_codes" not in without
    assert with_codes["allow_promotion_codes"] == "true"


def test_a_returning_subscriber_gets_no_second_trial(client, stripe_stand_in, monthly):
    reader = make_reader()
    make_subscription(user=reader, plan=monthly, status=Subscription.Status.EXPIRED, days_left=-5)
    client.force_login(reader)

    _, session = checkout_session(client, stripe_stand_in, monthly)

    assert "trial_period_days" not in session["subscription_data"]


def test_a_plan_without_a_stripe_price_is_not_sold(client, stripe_stand_in):
    plan = make_plan(slug="unsynced")
    client.force_login(make_reader())

    response, session = checkout_session(client, stripe_stand_in, plan)

    assert session is None
    assert response.status_code == 302 and response["Location"] == reverse("account")
    assert "cannot be bought yet" in page_text(client.get(response["Location"]))


def test_when_stripe_cannot_be_reached_the_reader_is_told_and_nothing_is_made(
    client, stripe_stand_in, monthly, settings
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    reader = make_reader()
    client.force_login(reader)

    response = client.post(reverse("checkout", args=["monthly"]), follow=True)

    assert "Payments are not available at the moment" in page_text(response)
    assert not PaymentCustomer.objects.exists() and not Subscription.objects.exists()


def test_back_from_checkout_after_the_webhook_the_reader_is_told_it_is_active(
    client, stripe_stand_in, monthly
):
    reader = make_reader()
    make_subscription(user=reader, plan=monthly, source=Subscription.Source.PROVIDER)
    client.force_login(reader)

    back = client.get(
        reverse("checkout_return") + "?session_id=cs_1&next=//evil.example/", follow=True
    )

    assert back.redirect_chain[-1][0] == reverse("account")  # never off to another site
    assert "Thank you — your subscription is active." in page_text(back)


# The customer portal -------------------------------------------------------------------------


def test_a_reader_who_pays_through_stripe_manages_it_in_the_portal(
    client, stripe_stand_in, monthly
):
    reader = make_reader()
    PaymentCustomer.objects.create(user=reader, provider_customer_id="cus_portal")
    make_subscription(
        user=reader, plan=monthly, source=Subscription.Source.PROVIDER, provider_reference="sub_p"
    )
    client.force_login(reader)

    account = client.get(reverse("account"))
    response = client.post(reverse("billing_portal"))

    assert "Manage payment, plan and invoices" in page_text(account)
    assert response.status_code == 302
    assert response["Location"].startswith(stripe_stand_in.url + "/p/session/")
    (session,) = stripe_stand_in.all("billing_portal.session")
    assert session["customer"] == "cus_portal"
    assert session["return_url"] == "http://testserver/account/"


def test_the_portal_is_not_offered_without_a_stripe_subscription(client, stripe_stand_in):
    reader = make_reader()
    make_subscription(user=reader, source=Subscription.Source.COMPLIMENTARY)
    client.force_login(reader)

    account = client.get(reverse("account"))
    response = client.post(reverse("billing_portal"), follow=True)

    assert "Manage payment, plan and invoices" not in page_text(account)
    assert "There are no payments to manage for this account." in page_text(response)
    assert not stripe_stand_in.all("billing_portal.session")


def test_the_portal_takes_only_post_from_a_logged_in_reader(client, stripe_stand_in):
    assert client.post(reverse("billing_portal"))["Location"].startswith(reverse("login"))
    client.force_login(make_reader())
    assert client.get(reverse("billing_portal")).status_code == 405


# Plans at Stripe -----------------------------------------------------------------------------


def test_sync_plans_creates_each_plans_product_and_price_once(stripe_stand_in):
    monthly = make_plan(name="Monthly", price=Decimal("8.00"), currency="GBP")
    annual = make_plan(name="Annual", price=Decimal("80.00"), currency="EUR", interval="year")
    make_plan(name="Retired", is_active=False)

    first = sync_plans()
    second = sync_plans()

    monthly.refresh_from_db()
    annual.refresh_from_db()
    assert f"Monthly: created product {monthly.provider_product_id}" in first
    assert f"Annual: created price {annual.provider_price_id} (€80.00 a year)" in first
    assert "Retired" not in first
    assert second == "Monthly: up to date\nAnnual: up to date\n"
    prices = {p["id"]: p for p in stripe_stand_in.all("price")}
    assert len(prices) == 2 and len(stripe_stand_in.all("product")) == 2
    assert prices[monthly.provider_price_id]["unit_amount"] == 800
    assert prices[annual.provider_price_id]["currency"] == "eur"
    assert prices[annual.provider_price_id]["recurring"] == {"interval": "year"}
    assert prices[annual.provider_price_id]["product"] == annual.provider_product_id


def test_a_changed_price_gets_a_new_stripe_price_and_the_old_one_is_archived(stripe_stand_in):
    plan = make_plan(name="Monthly", price=Decimal("8.00"))
    sync_plans()
    plan.refresh_from_db()
    old = plan.provider_price_id

    plan.price, plan.name = Decimal("9.50"), "Monthly digital"
    plan.save()
    out = sync_plans()

    plan.refresh_from_db()
    assert plan.provider_price_id != old
    assert f"archived price {old}" in out and "renamed product" in out
    assert stripe_stand_in.get(old)["active"] is False
    new = stripe_stand_in.get(plan.provider_price_id)
    assert (new["unit_amount"], new["active"]) == (950, True)
    assert stripe_stand_in.get(plan.provider_product_id)["name"] == "Monthly digital"


def test_a_zero_decimal_currency_is_sent_in_whole_units(stripe_stand_in):
    plan = make_plan(price=Decimal("1200.00"), currency="JPY")
    sync_plans()
    plan.refresh_from_db()
    assert stripe_stand_in.get(plan.provider_price_id)["unit_amount"] == 1200


def test_sync_plans_needs_the_secret_key(stripe_stand_in, settings):
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(CommandError, match="STRIPE_SECRET_KEY is not set"):
        sync_plans()


def test_sync_plans_says_when_stripe_refuses(stripe_stand_in, settings):
    make_plan()
    settings.STRIPE_SECRET_KEY = "sk_test_wrong"
    with pytest.raises(CommandError, match="Stripe refused"):
        sync_plans()


# Settings ------------------------------------------------------------------------------------


def test_check_deploy_reports_each_missing_stripe_key(settings):
    settings.NEWSROOM_PAYMENT_PROVIDER = "subscriptions.stripe_provider.StripeProvider"
    settings.STRIPE_SECRET_KEY = "sk_live_x"
    settings.STRIPE_PUBLISHABLE_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    settings.STRIPE_API_BASE = ""

    messages = check_stripe_deployed(None)

    assert [m.id for m in messages] == ["subscriptions.E003", "subscriptions.E003"]
    assert "STRIPE_PUBLISHABLE_KEY" in messages[0].msg
    assert "STRIPE_WEBHOOK_SECRET" in messages[1].msg
    settings.STRIPE_PUBLISHABLE_KEY, settings.STRIPE_WEBHOOK_SECRET = "pk_live_x", "whsec_x"
    assert check_stripe_deployed(None) == []


def test_check_deploy_warns_when_payments_go_elsewhere_than_stripe(settings):
    settings.NEWSROOM_PAYMENT_PROVIDER = "subscriptions.stripe_provider.StripeProvider"
    settings.STRIPE_SECRET_KEY = "sk_live_x"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_live_x"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_x"
    settings.STRIPE_API_BASE = "http://127.0.0.1:12111"
    assert [m.id for m in check_stripe_deployed(None)] == ["subscriptions.W002"]


def test_stripe_keys_are_not_asked_for_another_provider(settings):
    settings.STRIPE_SECRET_KEY = ""
    settings.NEWSROOM_PAYMENT_PROVIDER = "tests.subscriptions.test_services.HostedCheckout"
    assert check_stripe_deployed(None) == []
    settings.NEWSROOM_PAYMENT_PROVIDER = ""
    assert check_stripe_deployed(None) == []
