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
