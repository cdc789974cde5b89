from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Readers and subscriptions"

    def ready(self):
        # Checks register the system checks; entitlement and meter their kinds of kept values,
        # which every process must know to repair them (`foundation.kept.repair`).
        from subscriptions import checks, entitlement, meter  # noqa: F401
        from subscriptions.signal_handlers import register_signal_handlers

        register_signal_handlers()
