from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_delete, post_save


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from accounts import checks  # noqa: F401 - registers the system checks
        from accounts.backends import user_saved

        for signal in (post_save, post_delete):
            signal.connect(
                user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid=f"{signal}.kept_user"
            )
