import socket
import uuid

import pytest
from django.core.cache import caches
from django.test import override_settings

from civicdesk.lib import ratelimit
from conftest import require_component

REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:6379/15",
    }
}


@pytest.fixture
def redis_cache():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        require_component("Redis at 127.0.0.1:6379")
    with override_settings(CACHES=REDIS):  # Django rebuilds its cache handlers on this change
        assert "Redis" in type(caches["default"]).__name__
        yield


def test_it_parses_rates():
    assert ratelimit.parse_rate("10/h") == (10, 3600)
    assert ratelimit.parse_rate("5/m") == (5, 60)
    assert ratelimit.parse_rate("100/day") == (100, 86400)


def test_it_counts_in_redis_and_tells_how_long_to_wait(redis_cache):
    key = uuid.uuid4().hex
    now = 1_000_000 * 3600 + 600  # ten minutes into an hour
    assert [ratelimit.hit("t", key, "3/h", now=now) for _ in range(3)] == [0, 0, 0]
    assert ratelimit.hit("t", key, "3/h", now=now) == 3000
    assert ratelimit.hit("t", key, "3/h", now=now + 3000) == 0  # next window
    assert ratelimit.hit("t", "someone-else" + key, "3/h", now=now) == 0
