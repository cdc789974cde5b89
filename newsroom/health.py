"""Probes for a load balancer: is the process alive, and can it serve readers right now?"""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache

logger = logging.getLogger(__name__)
READY_KEY = "health:ready"


def _plain(text, status=200):
    return HttpResponse(text + "\n", status=status, content_type="text/plain; charset=utf-8")


@never_cache
def liveness(request):
    """Answer at once, touching nothing: the process is up."""
    return _plain("ok")


@never_cache
def readiness(request):
    """Answer 200 when the database and the cache both answer, else 503 naming which does not."""
    failures = []
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.exception("Readiness: the database does not answer")
        failures.append("database")
    try:
        cache.set(READY_KEY, 1, timeout=10)
        if cache.get(READY_KEY) != 1:
            failures.append("cache")
    except Exception:
        logger.exception("Readiness: the cache does not answer")
        failures.append("cache")
    if failures:
        return _plain("not ready: " + ", ".join(failures), status=503)
    return _plain("ready")
