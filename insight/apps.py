from datetime import timedelta

from django.apps import AppConfig


class InsightConfig(AppConfig):
    name = "insight"
    verbose_name = "Paywall insight"

    def ready(self):
        from foundation import events, periodic
        from insight.recording import events_hand_over, events_write
        from insight.tasks import insight_roll_up

        events.sink_set(events_write, hand_over=events_hand_over)
        events.connect()
        # Every hour at a quarter past: yesterday's figures at 00:15, once its last batches
        # are written (insight.rollups.GRACE).
        periodic.register(
            name="insight_roll_up",
            task=insight_roll_up,
            every=timedelta(hours=1),
            offset=timedelta(minutes=15),
        )
