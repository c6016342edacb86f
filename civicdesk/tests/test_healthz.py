"""/healthz for load balancers: 200 when the database answers, 503 when it does not, GET only."""

import copy
import socket

import pytest
from django.db import connection
from django.db.utils import load_backend

from civicdesk import health


def closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens here once the probe is closed


@pytest.fixture
def unreachable_database(monkeypatch):
    """A real connection of the same backend, pointed somewhere no database is."""
    settings_dict = copy.deepcopy(connection.settings_dict)
    if connection.vendor == "sqlite":
        settings_dict["NAME"] = "/nonexistent-directory/civicdesk.sqlite3"
    else:
        settings_dict.update(HOST="127.0.0.1", PORT=closed_port())
    broken = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias="unreachable")
    monkeypatch.setattr(health, "connection", broken)
    yield broken
    broken.close()


@pytest.mark.django_db
def test_it_reports_ok_with_the_database_answering(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok" and body["database"]["ok"] is True
    assert body["database"]["vendor"] == connection.vendor and body["database"]["latency_ms"] >= 0
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_it_answers_503_when_the_database_is_unreachable(client, unreachable_database):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": {"ok": False, "error": "OperationalError"}}


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch", "head"])
def test_it_allows_only_get(client, method):
    response = getattr(client, method)("/healthz")
    assert response.status_code == 405 and response["Allow"] == "GET"
