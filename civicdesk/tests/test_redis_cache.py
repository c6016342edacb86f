"""Rate limits and allauth's sign-in counters on the machine's Redis (CACHE_URL=redis://...), which
every web process shares: counts are exact across connections and outlive any one process."""

import threading
import uuid

import pytest
import redis
from django.core.cache import caches
from django.test import Client

from civicdesk.lib.ratelimit import hit
from civicdesk.test import PASSWORD
from conftest import redis_url

pytestmark = pytest.mark.tasks


@pytest.fixture
def redis_cache(settings):
    """The default cache on Redis, as CACHE_URL=redis://... sets it, under a prefix of this test's own."""
    url = redis_url(db=9)
    prefix = f"civicdesk-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    client = redis.Redis.from_url(url)
    yield client, prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def stored_keys(client, prefix):
    return [key.decode() for key in client.scan_iter(f"{prefix}*")]


def test_it_counts_rate_limits_exactly_across_connections(redis_cache):
    """Six threads, each with its own cache connection (as six web processes would have), hit one
    limit of 20 thirty times: exactly 20 get through."""
    client, prefix = redis_cache
    waits, lock = [], threading.Lock()

    def hammer():
        mine = [hit("portal-submit", "203.0.113.9", "20/h", now=1_800_000_000) for _ in range(5)]
        with lock:
            waits.extend(mine)
        caches["default"].close()

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert waits.count(0) == 20 and len(waits) == 30
    [key] = stored_keys(client, prefix)
    assert "rl:portal-submit:203.0.113.9" in key and int(client.get(key)) == 30


def test_it_throttles_sign_ins_on_redis_for_every_process(cast, redis_cache):
    """allauth's failed-login counters live in Redis: failures through one client (one web process)
    throttle the account for another."""
    client, prefix = redis_cache
    guesser, owner = Client(), Client()
    for attempt in range(5):
        guesser.post("/accounts/login/", {"login": "root@demo.test", "password": f"wrong-{attempt}"})
    assert any("login_failed" in key for key in stored_keys(client, prefix))
    caches["default"].close()  # a new connection: nothing but Redis remembers the failures
    response = owner.post("/accounts/login/", {"login": "root@demo.test", "password": PASSWORD})
    assert response.status_code == 200 and "Too many failed login attempts" in response.content.decode()


def test_it_runs_queued_tasks_on_the_redis_worker_in_the_task_pass(
    request, cast, django_capture_on_commit_callbacks
):
    """In the task pass, an acknowledgement is queued on Redis and sent by the worker, not run inline."""
    from django.tasks import default_task_backend

    from civicdesk.cases import actions
    from civicdesk.notify.models import OutboxMessage
    from conftest import redis_tasks_configured

    if not redis_tasks_configured():
        pytest.skip("the task pass (TASKS_BACKEND=redis) runs this one")
    worker = request.getfixturevalue("_tasks_through_redis")
    with django_capture_on_commit_callbacks(execute=True):
        case = actions.submit_case(
            service=cast.pothole,
            answers={"depth": "deep"},
            description="Hole",
            reporter_email="res@example.org",
        )
    [result] = worker.processed[-1:]
    assert default_task_backend.get_result(result.id).status == "SUCCESSFUL"  # as Redis holds it
    assert OutboxMessage.objects.get(case=case).status == "sent"
