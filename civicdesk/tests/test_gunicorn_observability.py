"""A real gunicorn with two workers, as production runs it: Prometheus' multiprocess mode adds up what
every worker counted, the database figures come from the scrape, and the log is JSON with each
request's id."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.conf import settings
from django.db import connection
from prometheus_client.parser import text_string_to_metric_families

from civicdesk.notify.models import OutboxMessage

TOKEN = "gunicorn-scrape-token-0123456789"  # noqa: S105
REQUESTS = 24


def database_url():
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, tmp_path):
        self.port = free_port()
        self.log = tmp_path / "gunicorn.log"
        self.multiproc = tmp_path / "prometheus"
        self.multiproc.mkdir()
        (self.multiproc / "counter_999999.db").write_bytes(b"")  # an earlier run's leftover
        env = os.environ | {
            "DJANGO_SETTINGS_MODULE": "civicdesk.settings",
            "DATABASE_URL": database_url(),
            "SECRET_KEY": "gunicorn-observability-test",
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_COOKIES": "false",
            "ALLOWED_HOSTS": "127.0.0.1",
            "TRUSTED_PROXY": "true",
            "LOG_FORMAT": "json",
            "METRICS_TOKEN": TOKEN,
            "PROMETHEUS_MULTIPROC_DIR": str(self.multiproc),
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
        }
        command = [
            *(sys.executable, "-m", "gunicorn", "civicdesk.wsgi:application"),
            *("-c", "python:civicdesk.lib.gunicorn_conf", "--workers", "2"),
            *("--bind", f"127.0.0.1:{self.port}", "--log-level", "warning"),
        ]
        with self.log.open("w") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
                command, env=env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT
            )

    def get(self, path, **headers):
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - local server
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def wait(self, timeout=180):  # two workers importing Django on a loaded 2-core machine
        """Until the server answers. Not through /healthz, whose requests the test counts: a probe
        that timed out here may still be answered, and counted, later."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                return self.get("/metrics")
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"gunicorn did not answer: {self.log.read_text()}")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)

    def json_lines(self):
        lines = []
        for line in self.log.read_text().splitlines():
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue  # gunicorn's own start-up lines are not Django's
        return lines


@pytest.fixture
def server(transactional_db, tmp_path):
    server = Server(tmp_path)
    try:
        server.wait()
        yield server
    finally:
        server.stop()


def scraped(server):
    status, _headers, body = server.get("/metrics", Authorization=f"Bearer {TOKEN}")
    assert status == 200
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body.decode())
        for sample in family.samples
    }


def test_it_adds_up_every_workers_requests_reads_the_database_at_scrape_time_and_logs_json(server):
    """One server for both (it takes seconds to start): the metrics first, then the log."""
    OutboxMessage.objects.create(channel="email", kind="test", recipient="x", body="")
    before = scraped(server)
    for _ in range(REQUESTS):
        assert server.get("/healthz")[0] == 200
    after = scraped(server)
    healthz = (
        "civicdesk_request_duration_seconds_count",
        frozenset({"view": "healthz", "method": "GET", "status": "2xx"}.items()),
    )
    # Whichever worker answered each request and the scrapes, every request is counted once.
    assert after[healthz] - before.get(healthz, 0) == REQUESTS
    assert (
        after["civicdesk_outbox_backlog", frozenset({"transport": "email", "status": "pending"}.items())] == 1
    )
    assert not (server.multiproc / "counter_999999.db").exists()  # emptied when gunicorn started
    assert server.get("/metrics")[0] == 404  # no token

    given = "proxy-request-0001-abcdef"
    status, headers, _body = server.get("/no-such-page", **{"X-Request-ID": given})
    assert status == 404 and headers["X-Request-ID"] == given
    status, headers, _body = server.get("/no-such-page", **{"X-Request-ID": "bad id"})
    made = headers["X-Request-ID"]
    assert made != "bad id" and len(made) == 32
    server.stop()  # flushes the log
    lines = [line for line in server.json_lines() if "/no-such-page" in line.get("message", "")]
    assert [(line["request_id"], line["message"]) for line in lines] == [
        (given, "Not Found: /no-such-page"),
        (made, "Not Found: /no-such-page"),
    ]
    assert all(line["level"] == "WARNING" and "time" in line for line in lines)
