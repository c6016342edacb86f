"""Prometheus instruments that know nothing of the domain: request latency, cache hit counts, imports.

Counted in the process that does the work. Under gunicorn with several workers, set
PROMETHEUS_MULTIPROC_DIR to an empty directory before the server starts (prometheus_client's
multiprocess mode: each process writes its values to files there and a scrape adds them up), and
load `civicdesk.lib.gunicorn_conf` so the directory is emptied at start and a dead worker's gauges
are dropped. Figures read from the database (outbox, tasks, SLA) are not counted here: they are
computed at scrape time by `civicdesk.monitoring`, so every process would report the same numbers.
"""

import os
import time
from contextlib import contextmanager

from django.conf import settings
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import multiprocess as _multiprocess
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["CONTENT_TYPE_LATEST", "exposition", "import_progress", "register_cache"]

METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

REQUEST_DURATION = Histogram(
    "civicdesk_request_duration_seconds",
    "Time from the first middleware to the response, by URL name (never the raw path).",
    ["view", "method", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CACHE_HITS = Counter("civicdesk_cache_hits", "Look-ups a policy cache answered itself.", ["cache"])
CACHE_MISSES = Counter("civicdesk_cache_misses", "Look-ups a policy cache had to load.", ["cache"])
IMPORTS_RUNNING = Gauge("civicdesk_imports_running", "Case imports in progress.", multiprocess_mode="livesum")
IMPORT_ROWS = Gauge(
    "civicdesk_import_rows_done",
    "Rows read so far by the imports in progress.",
    multiprocess_mode="livesum",
)


def multiprocess_dir():
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def exposition(*collectors):
    """The text a scrape gets: this process's (or every process's) instruments, then `collectors`."""
    registry = CollectorRegistry()
    if multiprocess_dir():
        _multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_Default())
    sync_caches()
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)


class _Default:
    """The process's default registry (our instruments, plus Python's process and GC figures)."""

    def collect(self):
        return REGISTRY.collect()


# ----------------------------------------------------------------------------------- request latency


def view_label(request, response):
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return match.view_name
    if request.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return "static"  # answered by WhiteNoise before URL resolution
    return "unresolved"  # a 404 for an unknown address, or a middleware's early answer


class RequestMetricsMiddleware:
    """Times each request; labels are bounded: URL name, method (or "other"), status class."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        method = request.method if request.method in METHODS else "other"
        status = f"{response.status_code // 100}xx"
        REQUEST_DURATION.labels(view_label(request, response), method, status).observe(
            time.perf_counter() - started
        )
        sync_caches()
        return response


# ------------------------------------------------------------------------------------------- caches


_caches = {}  # name -> [object, hits seen, misses seen]


def register_cache(name, cache):
    """Report `cache.hits` and `cache.misses` (plain integers it keeps) as civicdesk_cache_*{cache=name}.

    Read after every request and at every scrape; the increase since the last reading goes to the
    counters, so they add up across processes in multiprocess mode. A count that went down (the
    cache reset its counts) is taken as counted again from zero.
    """
    _caches[name] = [cache, 0, 0]


def sync_caches():
    for name, entry in list(_caches.items()):
        cache, seen_hits, seen_misses = entry
        hits, misses = int(getattr(cache, "hits", 0)), int(getattr(cache, "misses", 0))
        new_hits = hits - seen_hits if hits >= seen_hits else hits
        new_misses = misses - seen_misses if misses >= seen_misses else misses
        if new_hits:
            CACHE_HITS.labels(name).inc(new_hits)
        if new_misses:
            CACHE_MISSES.labels(name).inc(new_misses)
        entry[1:] = [hits, misses]


# ------------------------------------------------------------------------------------------ imports


class ImportProgress:
    def __init__(self):
        self.rows = 0

    def update(self, rows):
        IMPORT_ROWS.inc(rows - self.rows)
        self.rows = rows


@contextmanager
def import_progress():
    """Around one import: `with import_progress() as progress: ... progress.update(rows_read)`.

    The import usually runs in its own process (`civicdesk import_cases`): its figures reach a scrape
    when it shares PROMETHEUS_MULTIPROC_DIR with the web server.
    """
    progress = ImportProgress()
    IMPORTS_RUNNING.inc()
    try:
        yield progress
    finally:
        IMPORTS_RUNNING.dec()
        IMPORT_ROWS.dec(progress.rows)


def mark_process_dead(pid):
    """Drop a finished process's live gauges (gunicorn's child_exit, see lib.gunicorn_conf)."""
    if multiprocess_dir():
        _multiprocess.mark_process_dead(pid)
