"""The per-process policy cache: served from memory within the refresh interval, checked after it."""

from civicdesk.lib.policycache import PolicyCache


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def make(settings, stamp_values):
    settings.POLICY_REFRESH_SECONDS = 10
    stamps, loads, clock = iter(stamp_values), [], Clock()

    def load():
        loads.append(len(loads) + 1)
        return f"value {len(loads)}"

    return PolicyCache("test", load, lambda: next(stamps), clock=clock), clock, loads


def test_it_serves_from_memory_until_the_interval_ends_then_checks_the_stamp(settings):
    cache, clock, loads = make(settings, ["a", "a", "b"])
    assert cache.get() == "value 1"  # first read: stamp "a", built
    clock.now += 9.9
    assert cache.get() == "value 1"  # within the interval: no stamp read
    clock.now += 0.2
    assert cache.get() == "value 1"  # checked: still "a", not rebuilt
    clock.now += 10
    assert cache.get() == "value 2"  # checked: "b", rebuilt
    assert loads == [1, 2] and (cache.hits, cache.misses) == (2, 2)


def test_it_rebuilds_after_clear(settings):
    cache, clock, loads = make(settings, ["a", "a"])
    cache.get()
    cache.clear()
    assert cache.get() == "value 2" and cache.misses == 2


def test_it_checks_on_every_read_with_a_zero_interval(settings):
    cache, clock, loads = make(settings, ["a", "a", "a", "b"])
    settings.POLICY_REFRESH_SECONDS = 0
    assert [cache.get() for _ in range(4)] == ["value 1", "value 1", "value 1", "value 2"]
