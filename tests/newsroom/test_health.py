import logging
import socket
import time

import pytest


@pytest.mark.django_db
def test_liveness_answers_without_touching_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert (response.status_code, response.content) == (200, b"ok\n")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.django_db
def test_readiness_checks_the_database_and_the_cache(client):
    response = client.get("/readyz")
    assert (response.status_code, response.content) == (200, b"ready\n")


def _closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# A cache outage costs speed, not readers: every instance stays behind the load balancer.
CACHES_NOT_ANSWERING = {
    "stopped": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
        "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
    },
    # What a cache client that turns failures into misses looks like from here.
    "failing as misses": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
}


@pytest.mark.django_db
@pytest.mark.parametrize("cache", CACHES_NOT_ANSWERING.values(), ids=CACHES_NOT_ANSWERING.keys())
def test_readiness_stays_ready_when_only_the_cache_does_not_answer(client, settings, caplog, cache):
    settings.CACHES = {"default": cache}
    with caplog.at_level(logging.WARNING, logger="newsroom.health"):
        started = time.monotonic()
        response = client.get("/readyz")
    assert time.monotonic() - started < 3
    assert (response.status_code, response.content) == (200, b"ready; cache: not answering\n")
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    (warning,) = [record for record in caplog.records if record.name == "newsroom.health"]
    assert warning.levelno == logging.WARNING
    assert "cache" in warning.getMessage()


@pytest.mark.django_db
def test_readiness_says_how_many_kept_values_wait_for_their_repair(client):
    """Values the cache did not take are read from the database until repaired (fail closed):
    ready, and an operator reads in the probe's body that repairs are owed."""
    from foundation.models import MissedWrite

    MissedWrite.objects.create(kind="entitlement", ident="7")
    MissedWrite.objects.create(kind="session", ident="3f9c")
    response = client.get("/readyz")
    assert (response.status_code, response.content) == (
        200,
        b"ready; kept values waiting for their repair: 2\n",
    )
