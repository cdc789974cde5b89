from django import template

register = template.Library()


@register.filter
def in_minutes(duration):
    """Return a timedelta as a whole number of minutes (rounded up), e.g. for a lock-out."""
    if duration is None:
        return ""
    return max(1, -(-int(duration.total_seconds()) // 60))
