"""/metrics: who may scrape it, and what each figure says after the change it counts."""

from datetime import timedelta

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from civicdesk.lib import metrics
from civicdesk.lib.policycache import PolicyCache
from civicdesk.notify.models import OutboxMessage
from civicdesk.sla.models import BusinessCalendar, EscalationStep, SLAPolicy
from civicdesk.test import PASSWORD

TOKEN = "scrape-token-for-tests-0123456789"  # noqa: S105


def samples(text):
    """{(sample name, frozenset of labels): value} of an exposition."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def scrape(client):
    def get(**labels_wanted):
        with override_settings(METRICS_TOKEN=TOKEN):
            response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=")
        return samples(response.content.decode())

    return get


def value(scraped, name, **labels):
    return scraped.get((name, frozenset(labels.items())), 0.0)


# ---------------------------------------------------------------------------------------------- access


@pytest.mark.parametrize("name", ["alice", "bob", "carol", "dave", "erin"])
def test_it_is_a_404_for_everyone_signed_in_but_administrators(client, cast, name):
    client.login(email=getattr(cast, name).email, password=PASSWORD)
    with override_settings(METRICS_TOKEN=TOKEN):
        assert client.get("/metrics").status_code == 404


def test_it_shows_a_signed_in_administrator_the_metrics(client, cast):
    client.force_login(cast.root)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"civicdesk_outbox_backlog" in response.content
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


@pytest.mark.parametrize(
    "token, header",
    [
        (TOKEN, None),
        (TOKEN, "Bearer wrong-token"),
        (TOKEN, f"Basic {TOKEN}"),
        (TOKEN, f"Bearer {TOKEN[:-1]}"),
        ("", "Bearer "),  # no token configured: an empty one is no key
        ("", "Bearer"),
    ],
)
def test_it_is_a_404_without_the_right_bearer_token(client, db, token, header):
    headers = {"Authorization": header} if header is not None else {}
    with override_settings(METRICS_TOKEN=token):
        assert client.get("/metrics", headers=headers).status_code == 404


def test_it_answers_prometheus_with_the_token(client, db):
    with override_settings(METRICS_TOKEN=TOKEN):
        response = client.get("/metrics", headers={"Authorization": f"bearer {TOKEN}"})
    assert response.status_code == 200
    assert b"# TYPE civicdesk_request_duration_seconds histogram" in response.content


def test_it_refuses_a_post(client, db):
    with override_settings(METRICS_TOKEN=TOKEN):
        assert client.post("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 405


# ------------------------------------------------------------------------------------------ requests


def test_it_times_requests_by_url_name_never_by_raw_path(client, db, scrape):
    before = scrape()
    client.get("/healthz")
    client.get("/healthz")
    client.get("/no-such-page-4711")
    after = scrape()
    count = "civicdesk_request_duration_seconds_count"
    labels = {"view": "healthz", "method": "GET", "status": "2xx"}
    assert value(after, count, **labels) - value(before, count, **labels) == 2
    unresolved = {"view": "unresolved", "method": "GET", "status": "4xx"}
    assert value(after, count, **unresolved) - value(before, count, **unresolved) == 1
    assert not any("no-such-page" in str(labels) for _name, labels in after)


def test_it_labels_an_odd_method_as_other(client, db, scrape):
    before = scrape()
    client.generic("BREW", "/healthz")
    after = scrape()
    count = "civicdesk_request_duration_seconds_count"
    labels = {"view": "healthz", "method": "other", "status": "4xx"}  # require_GET: 405
    assert value(after, count, **labels) - value(before, count, **labels) == 1


# -------------------------------------------------------------------------------------------- outbox


def queue_message(channel, status, age):
    return OutboxMessage.objects.create(
        channel=channel,
        kind="test",
        recipient="x",
        body="",
        status=status,
        created_at=timezone.now() - age,
    )


def test_it_reports_the_outbox_backlog_and_its_oldest_message_by_transport(db, scrape):
    with time_machine.travel(timezone.now(), tick=False):
        queue_message("email", "pending", timedelta(minutes=5))
        queue_message("email", "failed", timedelta(hours=2))
        queue_message("email", "sent", timedelta(days=3))  # delivered: not backlog
        queue_message("webhook", "sending", timedelta(seconds=30))
        queue_message("webhook", "cancelled", timedelta(days=1))
        scraped = scrape()
    backlog = "civicdesk_outbox_backlog"
    assert value(scraped, backlog, transport="email", status="pending") == 1
    assert value(scraped, backlog, transport="email", status="failed") == 1
    assert value(scraped, backlog, transport="webhook", status="sending") == 1
    assert value(scraped, backlog, transport="webhook", status="pending") == 0
    age = "civicdesk_outbox_oldest_age_seconds"
    assert value(scraped, age, transport="email") == 2 * 3600
    assert value(scraped, age, transport="webhook") == 30


def test_it_reports_an_empty_outbox_as_zeros(db, scrape):
    scraped = scrape()
    assert (
        "civicdesk_outbox_backlog",
        frozenset({"transport": "email", "status": "pending"}.items()),
    ) in scraped
    assert value(scraped, "civicdesk_outbox_oldest_age_seconds", transport="webhook") == 0


# --------------------------------------------------------------------------------------------- tasks


DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def test_it_reports_the_database_task_queue(db, scrape):
    from civicdesk.notify.tasks import deliver_message

    with override_settings(TASKS=DB_TASKS), time_machine.travel(timezone.now(), tick=False):
        deliver_message.enqueue(1)
        deliver_message.enqueue(2)
        with time_machine.travel(timezone.now() + timedelta(seconds=90), tick=False):
            scraped = scrape()
    depth = "civicdesk_task_queue_depth"
    assert value(scraped, depth, queue="default", status="READY") == 2
    assert value(scraped, depth, queue="default", status="RUNNING") == 0
    assert value(scraped, "civicdesk_task_oldest_ready_age_seconds", queue="default") == 90


def test_it_reports_no_queue_for_a_backend_it_cannot_read(db, scrape):
    scraped = scrape()  # the test settings use the Immediate backend
    assert not any(name.startswith("civicdesk_task_") for name, _labels in scraped)


# ----------------------------------------------------------------------------------------------- SLA


def test_it_reports_sla_steps_due_and_cases_overdue_or_at_risk(cast, report, scrape):
    always = BusinessCalendar.objects.create(name="24/7", always_open=True)
    policy = SLAPolicy.objects.create(
        name="Potholes", service=cast.pothole, calendar=always, resolution_hours=4, at_risk_percent=50
    )
    EscalationStep.objects.create(policy=policy, trigger="at_risk", add_tag="at-risk")
    EscalationStep.objects.create(policy=policy, trigger="breach", add_tag="late")
    now = timezone.now()
    report(created_at=now - timedelta(hours=10))  # overdue; its at-risk step is due
    report(created_at=now - timedelta(hours=3))  # at risk; its at-risk step is due
    report(created_at=now - timedelta(minutes=5))  # on time
    report(service=cast.tree, created_at=now - timedelta(days=9))  # no policy: no target
    scraped = scrape()
    assert value(scraped, "civicdesk_sla_steps_due") == 2
    assert value(scraped, "civicdesk_sla_open_cases", state="overdue") == 1
    assert value(scraped, "civicdesk_sla_open_cases", state="at_risk") == 1


# -------------------------------------------------------------------------------- caches and imports


def test_it_counts_the_hits_and_misses_of_a_registered_cache(db, scrape):
    versions = iter([1, 1, 1, 2])
    cache = PolicyCache("test-areas", load=dict, stamp=lambda: next(versions))  # registers itself
    with override_settings(POLICY_REFRESH_SECONDS=0):  # every read asks the stamp
        before = scrape()
        for _ in range(4):
            cache.get()  # a miss (first build), two hits, a miss (the stamp moved)
        after = scrape()
    hits, misses = "civicdesk_cache_hits_total", "civicdesk_cache_misses_total"
    assert value(after, hits, cache="test-areas") - value(before, hits, cache="test-areas") == 2
    assert value(after, misses, cache="test-areas") - value(before, misses, cache="test-areas") == 2
    cache.hits = 1  # the cache reset its counts and counted one more: still an increase of 1
    again = scrape()
    assert value(again, hits, cache="test-areas") - value(after, hits, cache="test-areas") == 1


def test_it_reports_an_import_in_progress(db, scrape):
    with metrics.import_progress() as progress:
        progress.update(500)
        progress.update(1200)
        during = scrape()
    after = scrape()
    assert value(during, "civicdesk_imports_running") == value(after, "civicdesk_imports_running") + 1
    assert value(during, "civicdesk_import_rows_done") - value(after, "civicdesk_import_rows_done") == 1200
