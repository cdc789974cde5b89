from django.conf import settings
from django.core.checks import Tags, Warning, register

PROCESS_LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


@register(Tags.caches, deploy=True)
def check_shared_page_cache(app_configs, **kwargs):
    """Warn that a per-process cache serves stale pages as soon as there are two processes."""
    backend = settings.CACHES["default"]["BACKEND"]
    if settings.DEBUG or backend not in PROCESS_LOCAL_CACHES:
        return []
    return [
        Warning(
            f"The default cache is {backend.rsplit('.', 1)[-1]}, which each process keeps for "
            "itself: a change saved through one process does not reach the page caches, the "
            "log-in throttle and the sign-up limit of the others, which serve stale pages.",
            hint="Set CACHE_URL to a shared cache (redis://…) when running more than one "
            "process (gunicorn workers, several servers).",
            id="articles.W001",
        )
    ]
