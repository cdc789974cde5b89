from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string


@register()
def check_payment_provider(app_configs, **kwargs):
    """Refuse a payment provider that cannot be imported."""
    path = getattr(settings, "NEWSROOM_PAYMENT_PROVIDER", "")
    if not path:
        return []
    try:
        import_string(path)
    except ImportError as error:
        return [
            Error(
                f"NEWSROOM_PAYMENT_PROVIDER {path!r} cannot be imported: {error}",
                hint="Set it to the dotted path of a payment provider class, or leave it empty.",
                id="subscriptions.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_payment_provider_deployed(app_configs, **kwargs):
    """Refuse the development checkout in production; warn that nobody can subscribe yet."""
    if getattr(settings, "NEWSROOM_DEVELOPMENT_CHECKOUT", False):
        return [
            Error(
                "NEWSROOM_DEVELOPMENT_CHECKOUT is on: without a payment provider, checkout "
                "starts subscriptions without taking any payment.",
                hint="Set NEWSROOM_DEVELOPMENT_CHECKOUT=false (its default when DEBUG is off).",
                id="subscriptions.E002",
            )
        ]
    if getattr(settings, "NEWSROOM_PAYMENT_PROVIDER", ""):
        return []
    return [
        Warning(
            "NEWSROOM_PAYMENT_PROVIDER is empty: readers cannot subscribe; the plan page says "
            "that subscriptions are not available yet.",
            hint="Configure a payment provider to sell subscriptions.",
            id="subscriptions.W001",
        )
    ]


STRIPE_KEYS = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET")


def _stripe_is_the_provider():
    path = getattr(settings, "NEWSROOM_PAYMENT_PROVIDER", "")
    if not path:
        return False
    try:
        provider = import_string(path)
    except ImportError:
        return False  # subscriptions.E001 says so
    from subscriptions.stripe_provider import StripeProvider

    return isinstance(provider, type) and issubclass(provider, StripeProvider)


@register(Tags.security, deploy=True)
def check_stripe_deployed(app_configs, **kwargs):
    """With Stripe as the provider, require its keys, and Stripe's own API."""
    if not _stripe_is_the_provider():
        return []
    messages = [
        Error(
            f"{name} is not set, and the payment provider is Stripe.",
            hint=f"Set {name} from the Stripe dashboard (Developers → API keys / Webhooks).",
            id="subscriptions.E003",
        )
        for name in STRIPE_KEYS
        if not getattr(settings, name, "")
    ]
    if getattr(settings, "STRIPE_API_BASE", ""):
        messages.append(
            Warning(
                f"STRIPE_API_BASE is {settings.STRIPE_API_BASE!r}: payments do not go to Stripe.",
                hint="Leave STRIPE_API_BASE empty in production (the tests set it).",
                id="subscriptions.W002",
            )
        )
    return messages
