"""A fixed-window rate limit in the cache (Redis in production), shared by every web process."""

import time

from django.core.cache import cache


def parse_rate(rate):
    """ "10/h" -> (10, 3600). Units: s, m, h, d."""
    count, _, unit = rate.partition("/")
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit.strip()[:1] or "h"]


def hit(scope, key, rate, now=None):
    """Count one hit for `key`; return seconds to wait if over the limit, else 0."""
    limit, window = parse_rate(rate)
    now = int(now if now is not None else time.time())
    bucket = now // window
    cache_key = f"rl:{scope}:{key}:{bucket}"
    cache.add(cache_key, 0, timeout=window + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=window + 5)
        count = 1
    return 0 if count <= limit else (bucket + 1) * window - now


def client_ip(request):
    """The client's address; behind a proxy, the last hop the proxy appended (set TRUSTED_PROXY)."""
    from django.conf import settings

    if settings.TRUSTED_PROXY and (forwarded := request.META.get("HTTP_X_FORWARDED_FOR")):
        return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "unknown")
