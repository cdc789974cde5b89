"""Probes for a load balancer: is the process alive, and can it serve readers right now?"""

import logging

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache

from foundation.models import MissedWrite

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
    """Answer 200 when the database answers, else 503; say in the body whether the cache does."""
    # Ready means able to serve readers correctly, which the site does from the database while
    # the cache is away (slower). A 503 for the cache would have a load balancer take every
    # instance out at once, and turn a cache outage into a full outage.
    database_answers = _database_answers()
    cache_note = "" if _cache_answers() else "; cache: not answering"
    if not database_answers:
        return _plain("not ready: database" + cache_note, status=503)
    return _plain("ready" + cache_note + _repairs_note())


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        logger.exception("Readiness: the database does not answer")
        return False
    return True


def _repairs_note() -> str:
    """Say how many kept values the cache did not take (`foundation.kept`): read from the
    database until they are repaired, so the site is right, and slower; none, nothing said."""
    owed = MissedWrite.objects.count()
    return f"; kept values waiting for their repair: {owed}" if owed else ""


def _cache_answers() -> bool:
    # A cache client may turn a failure into a miss (foundation.cache does): a value
    # just set that cannot be read back counts as not answering too.
    try:
        cache.set(READY_KEY, 1, timeout=10)
        if cache.get(READY_KEY) == 1:
            return True
    except Exception as error:
        logger.warning(
            "Readiness: the cache does not answer (%r); serving from the database", error
        )
        return False
    logger.warning("Readiness: the cache does not answer; serving from the database")
    return False
