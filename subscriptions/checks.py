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


@register(Tags.security)
def check_axes_sees_the_email(app_configs, **kwargs):
    """Warn when django-axes cannot tell which account a failed log-in was for."""
    if getattr(settings, "AXES_USERNAME_CALLABLE", None):
        return []
    if getattr(settings, "AXES_USERNAME_FORM_FIELD", "username") == "username":
        return []
    return [
        Warning(
            "django-axes looks for the email address under "
            f"'{settings.AXES_USERNAME_FORM_FIELD}', but log-in forms pass it as 'username': "
            "every failed log-in counts against one shared bucket and no account is locked.",
            hint='Set AXES_USERNAME_CALLABLE = "subscriptions.throttling.axes_username".',
            id="subscriptions.W002",
        )
    ]
