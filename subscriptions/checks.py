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
    """Warn that a site without a payment provider gives subscriptions away."""
    if getattr(settings, "NEWSROOM_PAYMENT_PROVIDER", ""):
        return []
    return [
        Warning(
            "NEWSROOM_PAYMENT_PROVIDER is empty: the development checkout starts subscriptions "
            "without taking any payment.",
            hint="Configure a payment provider before selling subscriptions.",
            id="subscriptions.W001",
        )
    ]
