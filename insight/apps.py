from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "insight"
    verbose_name = "Paywall insight"

    def ready(self):
        from foundation import events
        from insight.recording import events_hand_over, events_write

        events.sink_set(events_write, hand_over=events_hand_over)
        events.connect()
