"""The site's date, read on every page (the footer's year, the meter's month), worked out once per
quarter of an hour rather than on every request; and the short time the admin's lists show.

Every time zone's offset from UTC is a whole number of quarter hours, so the local date changes
only at a quarter-hour boundary of UTC, and the date at the start of a quarter hour is the date
throughout it. Converting the time zone on every request cost a twentieth of a shared page.
"""

import time
from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache

from django.utils import timezone
from django.utils.formats import date_format

QUARTER_HOUR = 15 * 60


def local_today() -> date:
    """Return today's date in the site's time zone (`settings.TIME_ZONE`), as
    `timezone.localdate()` would."""
    return _date_in_quarter_hour(int(time.time() // QUARTER_HOUR), timezone.get_default_timezone())


@lru_cache(maxsize=1)
def _date_in_quarter_hour(quarter_hour: int, zone: tzinfo) -> date:
    return timezone.localdate(datetime.fromtimestamp(quarter_hour * QUARTER_HOUR, UTC), zone)


def short_time(moment) -> str:
    """Return "29 Nov, 09:00" (with the year when it is not this one), in local time: what the
    admin's lists show, where a full date and time would push a column out of view."""
    local = timezone.localtime(moment)
    same_year = local.year == timezone.localtime().year
    return date_format(local, "j M, H:i" if same_year else "j M Y, H:i")
