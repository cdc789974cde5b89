from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from foundation.clock import local_today
from subscriptions.meter import meter_period


@pytest.mark.parametrize("zone", ["Europe/London", "Asia/Kathmandu", "America/St_Johns"])
def test_the_sites_date_turns_at_its_own_midnight_and_back(settings, zone):
    """Kathmandu is UTC+5:45 and St John's UTC-3:30: a date kept per quarter of an hour turns
    at the local midnight of every offset, whichever way the clock goes."""
    settings.TIME_ZONE = zone
    midnight = datetime(2027, 2, 1, tzinfo=ZoneInfo(zone))
    for moment, today in [
        (midnight - timedelta(minutes=1), date(2027, 1, 31)),
        (midnight, date(2027, 2, 1)),
        (midnight - timedelta(seconds=1), date(2027, 1, 31)),
    ]:
        with time_machine.travel(moment, tick=False):
            assert local_today() == today
            assert meter_period() == today.replace(day=1)
