"""A task worker replaces a database connection the server dropped, as Django does between requests."""

import pytest
from django.db import connection, connections
from django.tasks import task
from django.tasks.base import TaskResultStatus
from django.test import override_settings

from civicdesk.cases.models import Case
from conftest import redis_url


@task()
def count_cases():
    return Case.objects.count()


@pytest.fixture
def redis_tasks():
    """The Redis task backend on the machine's Redis, under keys of this test's own."""
    import redis

    url, prefix = redis_url(11), "civicdesk-test-stale-connection"
    client = redis.Redis.from_url(url)
    options = {"REDIS_URL": url, "REDIS_KEY_PREFIX": prefix}
    tasks = {"default": {"BACKEND": "django_tasks_redis.RedisTaskBackend", "QUEUES": [], "OPTIONS": options}}
    with override_settings(TASKS=tasks):
        yield
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def break_the_connection():
    """The server ends this thread's open connection (as a restart or a pooler's timeout would),
    behind Django's back."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_redis_worker_runs_a_task_after_its_database_connection_broke(redis_tasks):
    from django_tasks_redis import executor

    break_the_connection()
    result = count_cases.enqueue()
    while executor.process_one_task(worker_id="test-worker") is not None:
        pass
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL, result.errors
    assert result.return_value == 0
    # And the next task after that, on the connection the first one opened.
    second = count_cases.enqueue()
    executor.process_one_task(worker_id="test-worker")
    second.refresh()
    assert second.status == TaskResultStatus.SUCCESSFUL
