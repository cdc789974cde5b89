"""Keys fetched together: one round trip for what a block names, nothing kept after it."""

import pytest
from django.core.cache import cache

from newsroom import resilient_cache
from newsroom.cache_rounds import fetched_together, forget, get_many


@pytest.fixture
def round_trips(monkeypatch):
    asked = []
    original = cache.get_many

    def counting_get_many(keys, *args, **kwargs):
        asked.append(list(keys))
        return original(keys, *args, **kwargs)

    monkeypatch.setattr(cache, "get_many", counting_get_many)
    return asked


def test_keys_named_by_the_block_come_with_the_first_fetch(round_trips):
    cache.set_many({"page": 1, "reader": 2})

    with fetched_together(also=["reader", "entitlement"]):
        assert get_many(["page"]) == {"page": 1}
        assert get_many(["reader", "entitlement"]) == {"reader": 2}  # a miss is known too

    assert round_trips == [["page", "reader", "entitlement"]]


def test_nothing_is_kept_after_the_block_and_a_forgotten_key_is_fetched_again(round_trips):
    cache.set("reader", "old")
    with fetched_together(also=["reader"]):
        assert get_many(["page"]) == {}
        cache.set("reader", "new")
        forget("reader")
        assert get_many(["reader"]) == {"reader": "new"}
    cache.set("reader", "newer")

    assert get_many(["reader"]) == {"reader": "newer"}
    assert len(round_trips) == 3


def test_the_redis_cache_keeps_one_client(settings):
    backend = resilient_cache.ResilientRedisCache("redis://127.0.0.1:6379/10", {})
    client = backend._cache.get_client()
    assert backend._cache.get_client() is client
    assert backend._cache.get_client(write=True) is backend._cache.get_client(write=True)
