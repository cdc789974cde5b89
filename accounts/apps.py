from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_delete, post_save


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        # Checks register the system checks; sessions and backends their kinds of kept values,
        # which every process must know to repair them (`foundation.kept.repair`).
        from accounts import checks, sessions  # noqa: F401
        from accounts.backends import user_saved

        for signal in (post_save, post_delete):
            signal.connect(
                user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid=f"{signal}.kept_user"
            )
