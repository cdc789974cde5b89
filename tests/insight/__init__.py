"""Paywall insight: what readers were shown and did, counted and reported."""

from foundation import events
from insight.models import Event


def recorded(**lookup) -> list[Event]:
    """Write the events this process has batched, and return those matching `lookup`, oldest
    first."""
    events.flush()
    return list(Event.objects.filter(**lookup).order_by("at", "pk"))
