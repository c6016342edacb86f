"""Logs that can be followed through a request or a task: an id on every line, JSON when asked.

`RequestIdMiddleware` gives each request an id (the trusted proxy's X-Request-ID when it is well
formed, else a new one), keeps it in a context variable until the request is finished and answers it in
the X-Request-ID header. `ContextFilter`, on the handlers of settings.LOGGING, copies it (and a task
worker's task id and task path) onto every record, so a log line from any module carries it without
being passed it. `JsonFormatter` writes one JSON object per line (LOG_FORMAT=json).

Nothing here logs request bodies, headers or who the user is: the id is what links a line to a
request, and the access log of the proxy says the rest.
"""

import contextvars
import logging
import re
import uuid

from django.conf import settings
from django.core.signals import request_finished, request_started
from django.tasks import signals as task_signals
from django.tasks.signals import task_finished, task_started
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

HEADER = "X-Request-ID"
# What we accept from a proxy: ids like UUIDs, hex or base64url strings (nginx's $request_id,
# Heroku's, AWS's "Root=1-..."), bounded so a client cannot stuff a log line.
WELL_FORMED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:=+/-]{7,127}")
NONE = "-"

request_id = contextvars.ContextVar("request_id", default=NONE)
task_id = contextvars.ContextVar("task_id", default=NONE)
task_path = contextvars.ContextVar("task_path", default=NONE)


def new_id():
    return uuid.uuid4().hex


def incoming_id(request):
    """The proxy's X-Request-ID if a trusted proxy is in front and the value is well formed."""
    if not getattr(settings, "TRUSTED_PROXY", False):
        return None
    value = request.META.get("HTTP_X_REQUEST_ID", "")
    return value if WELL_FORMED.fullmatch(value) else None


class RequestIdMiddleware:
    """First in MIDDLEWARE. The id stays set until the request is finished (Django's request_finished,
    when the server closes the response), not just until the middleware returns: Django logs a 4xx
    or 5xx answer after the last middleware has run, and that line must carry the id too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = incoming_id(request) or new_id()
        request_id.set(request.request_id)
        response = self.get_response(request)
        response[HEADER] = request.request_id
        return response


def _forget_request_id(**kwargs):
    request_id.set(NONE)


class ContextFilter(logging.Filter):
    """Puts `request_id`, `task_id` and `task_path` on every record (a dash outside a request or a
    task). A task id or path the record already carries (django-tasks-redis passes them as `extra`,
    before the task's context is set) is kept."""

    def filter(self, record):
        record.request_id = request_id.get()
        for name, variable in (("task_id", task_id), ("task_path", task_path)):
            if getattr(record, name, None) in (None, "", NONE):
                setattr(record, name, variable.get())
            else:
                setattr(record, name, str(getattr(record, name)))
        return True


# Attributes Django puts on records that are objects, not text: the request (whose repr is enough
# to find personal data in a query string) and runserver's socket.
DROPPED = ("request", "server_time")


class JsonFormatter(_JsonFormatter):
    """One JSON object a line: time, level, logger, message, request_id, task_id, task_path, plus
    extras."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "fmt", "%(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s %(task_path)s"
        )
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")  # ISO 8601 in UTC, to the microsecond
        super().__init__(*args, **kwargs)

    def add_fields(self, log_data, record, message_dict):
        super().add_fields(log_data, record, message_dict)
        for name in DROPPED:
            log_data.pop(name, None)
        if hasattr(record, "request") and hasattr(record.request, "method"):
            log_data["method"] = record.request.method


# A task worker runs one task at a time on a thread; the task's id and path go on the lines it logs.
_task_tokens = {}


def _task_started(sender, task_result, **kwargs):
    _task_tokens[task_result.id] = (
        task_id.set(str(task_result.id)),
        task_path.set(task_result.task.module_path),
    )


def _task_finished(sender, task_result, **kwargs):
    tokens = _task_tokens.pop(task_result.id, None)
    if tokens is not None:
        for variable, token in zip((task_id, task_path), tokens, strict=True):
            try:
                variable.reset(token)
            except ValueError:  # set in another context (a backend that finishes elsewhere)
                variable.set(NONE)


request_started.connect(_forget_request_id, dispatch_uid="civicdesk.lib.logs.request_started")
request_finished.connect(_forget_request_id, dispatch_uid="civicdesk.lib.logs.request_finished")
task_started.connect(_task_started, dispatch_uid="civicdesk.lib.logs.task_started")
task_finished.connect(_task_finished, dispatch_uid="civicdesk.lib.logs.task_finished")
# Django logs a task's start ("Task id=... path=... state=RUNNING") from a receiver connected when
# django.tasks.signals was imported, so before ours: connected again after ours, its line carries
# the task's id and path too. (Its finish line already does: ours resets them after it.)
task_started.disconnect(task_signals.log_task_started)
task_started.connect(task_signals.log_task_started)
