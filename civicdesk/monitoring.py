"""`/metrics` for Prometheus: the instruments of lib.metrics plus figures read from the database.

The database figures (outbox backlog, task queue, SLA, ...) are computed when Prometheus scrapes, by
one collector, so every web process reports the same truth and nothing needs a background loop.
Each is one aggregate query on an indexed column or a small set of rows.

Who may scrape: a request with `Authorization: Bearer <METRICS_TOKEN>` (when that is set) or a
signed-in administrator. Everyone else gets a 404, as if the address did not exist.
"""

from django.conf import settings
from django.db.models import Count, Min, Q
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client.core import GaugeMetricFamily

from civicdesk.cases.models import Case
from civicdesk.lib import metrics, tasks
from civicdesk.notify.models import OutboxMessage
from civicdesk.sla.models import CaseClock

BACKLOG = (OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING, OutboxMessage.Status.FAILED)


def may_scrape(request):
    token = getattr(settings, "METRICS_TOKEN", "")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and constant_time_compare(given.strip(), token):
        return True
    user = request.user
    return user.is_authenticated and user.is_active and user.is_superuser


@never_cache
@require_GET
def scrape(request):
    if not may_scrape(request):
        raise Http404
    return HttpResponse(metrics.exposition(DatabaseCollector()), content_type=metrics.CONTENT_TYPE_LATEST)


class DatabaseCollector:
    """Gauges read from the database at scrape time (prometheus_client's custom collector)."""

    def collect(self):
        now = timezone.now()
        yield from outbox_gauges(now)
        yield from task_gauges(now)
        yield from sla_gauges(now)


def outbox_gauges(now):
    backlog = GaugeMetricFamily(
        "civicdesk_outbox_backlog",
        "Messages not yet delivered, by transport and status (failed: out of fast retries).",
        labels=["transport", "status"],
    )
    oldest = GaugeMetricFamily(
        "civicdesk_outbox_oldest_age_seconds",
        "Age of the oldest message not yet delivered, by transport (0 when none).",
        labels=["transport"],
    )
    rows = (
        OutboxMessage.objects.filter(status__in=BACKLOG)
        .order_by()
        .values("channel", "status")
        .annotate(count=Count("pk"), oldest=Min("created_at"))
    )
    ages = dict.fromkeys(OutboxMessage.Channel.values, 0.0)
    counts = {(channel, status): 0 for channel in ages for status in BACKLOG}
    for row in rows:
        counts[row["channel"], row["status"]] = row["count"]
        ages[row["channel"]] = max(ages.get(row["channel"], 0.0), (now - row["oldest"]).total_seconds())
    for (channel, status), count in sorted(counts.items()):
        backlog.add_metric([channel, status], count)
    for channel, age in sorted(ages.items()):
        oldest.add_metric([channel], max(age, 0.0))
    yield backlog
    yield oldest


def task_gauges(now):
    """django-tasks-db's unfinished rows; other backends keep their queue elsewhere: nothing reported."""
    if not tasks.in_database():
        return
    from django_tasks_db.models import DBTaskResult, TaskResultStatus

    depth = GaugeMetricFamily(
        "civicdesk_task_queue_depth", "Tasks not finished, by queue and status.", labels=["queue", "status"]
    )
    oldest = GaugeMetricFamily(
        "civicdesk_task_oldest_ready_age_seconds",
        "How long the oldest ready task has waited, by queue (0 when none).",
        labels=["queue"],
    )
    unfinished = (TaskResultStatus.READY, TaskResultStatus.RUNNING)
    rows = (
        DBTaskResult.objects.filter(status__in=unfinished)
        .order_by()
        .values("queue_name", "status")
        .annotate(count=Count("pk"), oldest=Min("enqueued_at"))
    )
    counts = {
        (queue, status): 0
        for queue in settings.TASKS["default"].get("QUEUES", ["default"])
        for status in unfinished
    }
    ages = {queue: 0.0 for queue, _status in counts}
    for row in rows:
        counts[row["queue_name"], row["status"]] = row["count"]
        if row["status"] == TaskResultStatus.READY:
            ages[row["queue_name"]] = max(0.0, (now - row["oldest"]).total_seconds())
    for (queue, status), count in sorted(counts.items()):
        depth.add_metric([queue, str(status)], count)
    for queue, age in sorted(ages.items()):
        oldest.add_metric([queue], age)
    yield depth
    yield oldest


def sla_gauges(now):
    steps = GaugeMetricFamily(
        "civicdesk_sla_steps_due",
        "Escalation steps due and not yet fired (sla_watch fires them: long above 0, it is not running).",
    )
    steps.add_metric([], CaseClock.objects.filter(next_step_at__lte=now).count())
    yield steps
    states = GaugeMetricFamily(
        "civicdesk_sla_open_cases",
        "Open cases with a resolution target: past it (overdue) or past the at-risk point (at_risk).",
        labels=["state"],
    )
    running = Case.objects.open().filter(
        clock__resolution_due_at__isnull=False, clock__paused_since__isnull=True
    )
    counts = running.aggregate(
        overdue=Count("pk", filter=Q(clock__resolution_due_at__lte=now)),
        at_risk=Count("pk", filter=Q(clock__at_risk_at__lte=now, clock__resolution_due_at__gt=now)),
    )
    for state in ("overdue", "at_risk"):
        states.add_metric([state], counts[state])
    yield states
