from subscriptions.checks import (
    check_payment_provider,
    check_payment_provider_deployed,
)


def ids(messages):
    return [message.id for message in messages]


def test_no_payment_provider_is_fine_in_development_and_a_warning_on_deploy(settings):
    settings.NEWSROOM_PAYMENT_PROVIDER = ""
    assert check_payment_provider(None) == []
    assert ids(check_payment_provider_deployed(None)) == ["subscriptions.W001"]


def test_a_payment_provider_must_be_importable(settings):
    settings.NEWSROOM_PAYMENT_PROVIDER = "subscriptions.providers.NoSuchProvider"
    assert ids(check_payment_provider(None)) == ["subscriptions.E001"]
    settings.NEWSROOM_PAYMENT_PROVIDER = "tests.subscriptions.test_services.HostedCheckout"
    assert check_payment_provider(None) == []
    assert check_payment_provider_deployed(None) == []
