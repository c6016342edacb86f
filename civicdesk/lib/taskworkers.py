"""What a task worker does around each task, as Django does around each request.

Django closes a request's database connections when they are too old or unusable
(`close_old_connections` on `request_started` and `request_finished`). A long-running task worker
that is not a request needs the same, or a connection the server dropped (a restart, PgBouncer's
`server_idle_timeout`, a failover) fails every task after it until the worker is restarted:
`close_old_connections` on `task_started` and `task_finished` closes a connection past
`CONN_MAX_AGE` or one that saw an error, and has the health check (`CONN_HEALTH_CHECKS`) run again
before the next task's first query. `db_worker` does this itself; django-tasks-redis's worker
(`run_redis_tasks`) does not.

Not for a task that runs inside its caller (Django's ImmediateBackend, a test's worker sharing the
test's connection): the connection, and any transaction open on it, is the caller's.
"""

from django.db import close_old_connections, connections
from django.tasks.backends.immediate import ImmediateBackend
from django.tasks.signals import task_finished, task_started


def _close_old_connections(sender, **kwargs):
    if isinstance(sender, type) and issubclass(sender, ImmediateBackend):
        return
    if any(connection.in_atomic_block for connection in connections.all(initialized_only=True)):
        return
    close_old_connections()


def connect():
    task_started.connect(_close_old_connections, dispatch_uid="civicdesk.lib.taskworkers.started")
    task_finished.connect(_close_old_connections, dispatch_uid="civicdesk.lib.taskworkers.finished")
