"""Queueing tasks about rows written in the current transaction."""

from django.conf import settings
from django.db import transaction

DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"


def in_database():
    """Are tasks queued as rows of this database (django-tasks-db)?"""
    return settings.TASKS["default"]["BACKEND"] == DATABASE_BACKEND


def enqueue_with_transaction(enqueue):
    """Call `enqueue()` for work about rows the current transaction writes.

    With the queue in this database, now: the task row commits or rolls back with those rows, and
    the request pays no second commit. With any other backend (a broker, the tests' immediate one),
    after the commit, so a worker never looks for rows not committed yet; `robust`: the change is
    kept if queueing fails then, and the caller's sweep must catch up.
    """
    if in_database():
        enqueue()
    else:
        transaction.on_commit(enqueue, robust=True)
