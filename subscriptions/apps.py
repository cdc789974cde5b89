from django.apps import AppConfig


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = "Readers and subscriptions"

    def ready(self):
        from subscriptions import checks  # noqa: F401 - registers the system checks
        from subscriptions.signal_handlers import register_signal_handlers

        register_signal_handlers()
