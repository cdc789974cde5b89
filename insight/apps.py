from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "insight"
    verbose_name = "Paywall insight"

    def ready(self):
        from foundation import events
        from insight.recording import events_write
        from insight.signal_handlers import register_signal_handlers

        events.sink_set(events_write)
        events.connect()
        register_signal_handlers()
