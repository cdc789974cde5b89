from django.conf import settings
from django.core.checks import Error, Tags, register

from foundation.kept import KEPT_CACHE


@register(Tags.caches)
def check_kept_cache(app_configs, **kwargs):
    """The kept-value layer needs its own cache alias, which must report failures to it."""
    if KEPT_CACHE not in settings.CACHES:
        return [
            Error(
                f"CACHES has no {KEPT_CACHE!r} cache, which foundation.kept reads and writes.",
                hint="newsroom.settings makes it beside 'default'.",
                id="foundation.E001",
            )
        ]
    options = settings.CACHES[KEPT_CACHE].get("OPTIONS") or {}
    backend = settings.CACHES[KEPT_CACHE]["BACKEND"]
    if backend.endswith("BreakerRedisCache") and options.get("ON_FAILURE") != "raise":
        return [
            Error(
                f"The {KEPT_CACHE!r} cache must raise on failure (OPTIONS ON_FAILURE: 'raise'):"
                " a write it drops silently would leave a value that grants what the database"
                " no longer does.",
                id="foundation.E002",
            )
        ]
    return []
