from django.conf import settings
from django.core.checks import Tags, Warning, register


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
            hint='Set AXES_USERNAME_CALLABLE = "accounts.throttling.axes_username".',
            id="accounts.W001",
        )
    ]
