"""Request ids: taken from a trusted proxy when well formed, else made; on every log line of the
request (as JSON with LOG_FORMAT=json) and on the response; a task's lines carry its task id."""

import io
import json
import logging

import pytest
from django.tasks import task
from django.test import override_settings

from civicdesk.lib.logs import ContextFilter, JsonFormatter

log = logging.getLogger("civicdesk.tests.request_logs")


@pytest.fixture
def json_lines():
    """Records of the root logger, written by the JSON formatter and context filter of settings.LOGGING."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)


def test_it_puts_a_new_request_id_on_the_response_and_on_the_requests_log_lines(client, db, json_lines):
    first = client.get("/no-such-page")  # Django logs "Not Found" as a warning
    second = client.get("/no-such-page")
    ids = [first["X-Request-ID"], second["X-Request-ID"]]
    assert len(set(ids)) == 2 and all(len(i) == 32 for i in ids)
    lines = [line for line in json_lines() if line["logger"] == "django.request"]
    assert [line["request_id"] for line in lines] == ids
    assert lines[0]["message"] == "Not Found: /no-such-page"
    assert lines[0]["level"] == "WARNING" and lines[0]["method"] == "GET"
    assert "request" not in lines[0]  # the request object is not written out
    log.info("after the request")
    assert json_lines()[-1]["request_id"] == "-"


@override_settings(TRUSTED_PROXY=True)
def test_it_keeps_a_trusted_proxys_well_formed_id(client, db, json_lines):
    response = client.get("/no-such-page", headers={"X-Request-ID": "2f1c8e0a-4a7b-4c1e-9d1f-3b2a1c0d9e8f"})
    assert response["X-Request-ID"] == "2f1c8e0a-4a7b-4c1e-9d1f-3b2a1c0d9e8f"
    assert json_lines()[-1]["request_id"] == "2f1c8e0a-4a7b-4c1e-9d1f-3b2a1c0d9e8f"


@pytest.mark.parametrize(
    "given",
    [
        "short",
        "x" * 129,
        "two words here",
        "id\nInjected: line",
        "<script>alert(1)</script>",
        "ünïcode-id-123",
    ],
)
@override_settings(TRUSTED_PROXY=True)
def test_it_replaces_an_ill_formed_id(client, db, json_lines, given):
    response = client.get("/no-such-page", headers={"X-Request-ID": given})
    assert response["X-Request-ID"] != given and len(response["X-Request-ID"]) == 32
    assert given not in json.dumps(json_lines())


def test_it_ignores_the_header_without_a_trusted_proxy(client, db):
    response = client.get("/healthz", headers={"X-Request-ID": "2f1c8e0a-4a7b-4c1e-9d1f-3b2a1c0d9e8f"})
    assert response["X-Request-ID"] != "2f1c8e0a-4a7b-4c1e-9d1f-3b2a1c0d9e8f"


def test_it_writes_no_personal_data_of_a_failed_sign_in(client, cast, json_lines):
    client.post("/accounts/login/", {"login": "alice@demo.test", "password": "wrong password"})
    client.get("/no-such-page?email=alice@demo.test&phone=6175550100")
    text = json.dumps(json_lines())
    assert "alice@demo.test" not in text and "6175550100" not in text
    assert "Not Found: /no-such-page" in text  # the path is logged, not its query string


@task()
def logging_task(word):
    log.info("working on %s", word)
    return word


def test_it_puts_the_task_id_on_a_tasks_log_lines(db, json_lines):
    result = logging_task.enqueue("streets")
    mine = [line for line in json_lines() if line["message"] == "working on streets"]
    assert [line["task_id"] for line in mine] == [str(result.id)]
    log.info("after the task")
    assert json_lines()[-1]["task_id"] == "-"


@pytest.mark.parametrize(
    "file_it", ["through_portal", "through_agent_intake", "through_the_api", "through_open311"]
)
def test_it_logs_no_identifier_of_a_case_filed_any_way_in(
    client, cast, json_lines, file_it, smtp_server, django_capture_on_commit_callbacks
):
    from civicdesk.tests import test_personal_data as ways_in

    with override_settings(MAILERS=smtp_server.mailers), django_capture_on_commit_callbacks(execute=True):
        getattr(ways_in, file_it)(client, cast)
    assert smtp_server.messages or file_it != "through_portal"  # the acknowledgement was sent and logged
    ours = [line for line in json_lines() if not line["logger"].startswith("mail.")]  # the test SMTP server's
    text = json.dumps(ours)
    for private in (ways_in.PHONE, ways_in.EMAIL, "r@example.org", "(617) 555-0100", "Hole by the school"):
        assert private not in text, [line for line in ours if private in json.dumps(line)]


def test_it_puts_the_task_id_and_path_on_the_task_start_and_finish_lines(db, json_lines):
    result = logging_task.enqueue("bridges")
    path = logging_task.module_path
    lines = [
        line
        for line in json_lines()
        if line["logger"] == "django.tasks" and str(result.id) in line["message"]
    ]
    assert len(lines) == 2  # started, then finished
    assert [(line["task_id"], line["task_path"]) for line in lines] == [(str(result.id), path)] * 2
    work = [line for line in json_lines() if line["message"] == "working on bridges"]
    assert [(line["task_id"], line["task_path"]) for line in work] == [(str(result.id), path)]
    log.info("after the task")
    assert (json_lines()[-1]["task_id"], json_lines()[-1]["task_path"]) == ("-", "-")


def test_it_keeps_the_task_id_and_path_a_worker_logs_before_the_task_starts(json_lines):
    """django-tasks-redis logs "Task started" with the id and path as `extra`, before task_started."""
    log.info(
        "Task started", extra={"task_id": "0f1e2d3c", "task_path": "civicdesk.notify.tasks.deliver_message"}
    )
    assert json_lines()[-1]["task_id"] == "0f1e2d3c"
    assert json_lines()[-1]["task_path"] == "civicdesk.notify.tasks.deliver_message"
