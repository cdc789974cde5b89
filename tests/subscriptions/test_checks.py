import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from subscriptions.checks import (
    check_payment_provider,
    check_payment_provider_deployed,
)


def ids(messages):
    return [message.id for message in messages]


def test_no_payment_provider_is_fine_in_development_and_a_warning_on_deploy(settings):
    settings.NEWSROOM_PAYMENT_PROVIDER = ""
    settings.NEWSROOM_DEVELOPMENT_CHECKOUT = False
    assert check_payment_provider(None) == []
    assert ids(check_payment_provider_deployed(None)) == ["subscriptions.W001"]


def test_the_development_checkout_is_an_error_on_deploy(settings):
    settings.NEWSROOM_PAYMENT_PROVIDER = ""
    settings.NEWSROOM_DEVELOPMENT_CHECKOUT = True
    assert check_payment_provider(None) == []
    # One message, the error: the warning about no provider would only repeat it.
    assert ids(check_payment_provider_deployed(None)) == ["subscriptions.E002"]
    # Even beside a provider: removing the provider would start giving subscriptions away.
    settings.NEWSROOM_PAYMENT_PROVIDER = "tests.subscriptions.test_services.HostedCheckout"
    assert ids(check_payment_provider_deployed(None)) == ["subscriptions.E002"]


def test_check_deploy_fails_on_the_development_checkout(settings):
    settings.NEWSROOM_PAYMENT_PROVIDER = ""
    settings.NEWSROOM_DEVELOPMENT_CHECKOUT = True
    with pytest.raises(SystemCheckError, match=r"subscriptions\.E002"):
        call_command("check", "--deploy", "--tag", "security")


def test_a_payment_provider_must_be_importable(settings):
    settings.NEWSROOM_DEVELOPMENT_CHECKOUT = False
    settings.NEWSROOM_PAYMENT_PROVIDER = "subscriptions.providers.NoSuchProvider"
    assert ids(check_payment_provider(None)) == ["subscriptions.E001"]
    settings.NEWSROOM_PAYMENT_PROVIDER = "tests.subscriptions.test_services.HostedCheckout"
    assert check_payment_provider(None) == []
    assert check_payment_provider_deployed(None) == []
