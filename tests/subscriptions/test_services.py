from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import User
from accounts.services import reader_sign_up
from subscriptions.models import Subscription
from subscriptions.services import (
    AlreadySubscribed,
    SubscriptionError,
    checkout_start,
    current_subscription,
    subscription_cancel,
    subscription_grant_complimentary,
    subscription_start,
    trial_days_for,
)
from tests.subscriptions.factories import make_plan, make_reader, make_subscription

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def london(settings):
    """Periods are calendar months in the site's time zone; these dates assume London's."""
    settings.TIME_ZONE = "Europe/London"


class HostedCheckout:
    """A payment provider that sends readers to its own page (no network involved)."""

    calls = []

    def start_checkout(self, *, user, plan, success_url, cancel_url):
        self.calls.append((user.email, plan.slug, success_url, cancel_url))
        return f"https://pay.example/checkout/{plan.slug}"


def test_sign_up_creates_a_reader_who_can_log_in():
    user = reader_sign_up(email="Reader@Example.COM", password="s3cret-enough", name="Ada")
    assert user.email == "Reader@example.com"  # the domain is normalised, not the local part
    assert user.check_password("s3cret-enough")
    assert (user.name, user.is_staff) == ("Ada", False)


def test_sign_up_refuses_an_address_taken_in_another_case():
    reader_sign_up(email="reader@example.com", password="s3cret-enough")
    with pytest.raises(ValidationError) as error:
        reader_sign_up(email="READER@example.com", password="s3cret-enough")
    assert "already exists" in error.value.message_dict["email"][0]
    assert User.objects.count() == 1


def test_subscription_start_with_a_trial_only_the_first_time():
    user = make_reader()
    plan = make_plan(trial_days=14)

    first = subscription_start(user=user, plan=plan, at=NOW)

    assert first.status == Subscription.Status.TRIALING
    assert (first.current_period_start, first.current_period_end) == (NOW, NOW + timedelta(14))
    assert first.source == Subscription.Source.MANUAL
    later = first.current_period_end + timedelta(days=30)
    second = subscription_start(user=user, plan=plan, at=later)
    assert second.status == Subscription.Status.ACTIVE
    assert second.current_period_end == datetime(2026, 5, 23, 9, tzinfo=UTC)


def test_complimentary_access_does_not_use_up_the_trial():
    user = make_reader()
    subscription_grant_complimentary(user=user, months=1, granted_by=None, at=NOW - timedelta(90))
    assert trial_days_for(user=user, plan=make_plan(trial_days=7)) == 7


def test_subscription_start_by_interval():
    monthly = subscription_start(user=make_reader(), plan=make_plan(interval="month"), at=NOW)
    yearly = subscription_start(user=make_reader(), plan=make_plan(interval="year"), at=NOW)
    assert monthly.current_period_end == datetime(2026, 4, 10, 8, tzinfo=UTC)  # 09:00 BST
    assert yearly.current_period_end == datetime(2027, 3, 10, 9, tzinfo=UTC)
    assert monthly.status == yearly.status == Subscription.Status.ACTIVE


def test_subscription_start_refuses_a_second_subscription():
    user = make_reader()
    subscription_start(user=user, plan=make_plan(), at=NOW)
    with pytest.raises(AlreadySubscribed):
        subscription_start(user=user, plan=make_plan(), at=NOW + timedelta(days=1))
    assert user.subscriptions.count() == 1


def test_subscription_start_refuses_a_plan_no_longer_offered():
    with pytest.raises(SubscriptionError):
        subscription_start(user=make_reader(), plan=make_plan(is_active=False))


def test_cancel_at_period_end_keeps_access_until_then():
    subscription = subscription_start(user=make_reader(), plan=make_plan(), at=NOW)
    end = subscription.current_period_end

    subscription_cancel(subscription=subscription, reason="other", at=NOW + timedelta(days=3))

    subscription.refresh_from_db()
    assert subscription.cancel_at_period_end
    assert subscription.status == Subscription.Status.ACTIVE
    assert subscription.entitles(at=end - timedelta(seconds=1))
    assert not subscription.entitles(at=end)
    with pytest.raises(SubscriptionError):
        subscription_cancel(subscription=subscription, reason="other", at=NOW + timedelta(days=4))


def test_cancel_an_overdue_subscription_ends_its_grace():
    now = timezone.now()
    subscription = make_subscription(
        user=make_reader(), status=Subscription.Status.PAST_DUE, days_left=-2
    )
    assert subscription.entitles(at=now)

    subscription_cancel(subscription=subscription, reason="other", at=now)

    assert subscription.status == Subscription.Status.CANCELED
    assert not subscription.entitles(at=now)


def test_grant_complimentary_for_n_months():
    editor = make_reader(is_staff=True)
    editor.user_permissions.add(Permission.objects.get(codename="add_subscription"))
    user = make_reader()

    granted = subscription_grant_complimentary(user=user, months=3, granted_by=editor, at=NOW)

    assert granted.source == Subscription.Source.COMPLIMENTARY
    assert granted.plan is None
    assert granted.granted_by == editor
    assert granted.current_period_end == datetime(2026, 6, 10, 8, tzinfo=UTC)
    assert granted.cancel_at_period_end  # it does not renew
    assert granted.entitles(at=NOW + timedelta(days=80))
    assert not granted.entitles(at=granted.current_period_end)
    with pytest.raises(ValueError):
        subscription_grant_complimentary(user=user, months=0, granted_by=editor)


def test_only_staff_who_may_add_subscriptions_grant_complimentary_access():
    user = make_reader()
    for granted_by in (make_reader(), make_reader(is_staff=True)):
        with pytest.raises(PermissionDenied):
            subscription_grant_complimentary(user=user, months=60, granted_by=granted_by)
    assert not Subscription.objects.exists()


def test_current_subscription_prefers_the_entitling_one():
    user = make_reader()
    now = timezone.now()
    assert current_subscription(user=user, at=now) is None
    ended = make_subscription(user=user, status=Subscription.Status.EXPIRED, days_left=60)
    assert current_subscription(user=user, at=now) == ended
    live = make_subscription(user=user, days_left=10)
    assert current_subscription(user=user, at=now) == live


def test_the_development_checkout_starts_the_subscription_at_once(settings):
    settings.NEWSROOM_PAYMENT_PROVIDER = ""
    settings.NEWSROOM_DEVELOPMENT_CHECKOUT = True
    user = make_reader()

    started = checkout_start(user=user, plan=make_plan(), success_url="/", cancel_url="/")

    assert started.redirect_url == ""
    assert started.subscription.user == user
    assert started.subscription.entitles(at=timezone.now())


def test_without_a_provider_or_the_development_checkout_nobody_subscribes(settings):
    settings.DEBUG = False
    settings.NEWSROOM_PAYMENT_PROVIDER = ""
    settings.NEWSROOM_DEVELOPMENT_CHECKOUT = False
    user = make_reader()

    with pytest.raises(SubscriptionError, match="not available yet"):
        checkout_start(user=user, plan=make_plan(), success_url="/", cancel_url="/")

    assert not Subscription.objects.exists()


def test_checkout_with_a_provider_sends_the_reader_to_its_page(settings):
    settings.NEWSROOM_PAYMENT_PROVIDER = "tests.subscriptions.test_services.HostedCheckout"
    user = make_reader(email="payer@example.com")
    plan = make_plan(slug="monthly")

    started = checkout_start(
        user=user, plan=plan, success_url="https://site/ok", cancel_url="https://site/no"
    )

    assert started.redirect_url == "https://pay.example/checkout/monthly"
    assert started.subscription is None
    assert HostedCheckout.calls[-1] == (
        "payer@example.com",
        "monthly",
        "https://site/ok",
        "https://site/no",
    )
    assert not Subscription.objects.exists()  # the provider's confirmation starts it
    make_subscription(user=user)
    with pytest.raises(AlreadySubscribed):
        checkout_start(user=user, plan=plan, success_url="/", cancel_url="/")
