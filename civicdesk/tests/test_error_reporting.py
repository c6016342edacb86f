"""Sentry: nothing starts without a DSN; with one, an error in a view reaches the DSN's server as an
envelope that carries no e-mail address, cookie, body or query string of the request."""

import gzip
import json
import os
import socket
import subprocess
import sys
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path

from civicdesk.lib.errors import init_sentry, scrub

# Built at run time: the event carries source lines around each frame, and a literal written near
# the view would be found there, in this file's text, rather than in what the request sent.
SECRET_COOKIE = "-".join(["cookie", "value", "that", "must", "not", "leave"])
EMAIL = "@".join(["alice.private", "demo.test"])
PHONE = " ".join(["617", "555", "0100"])
TOKEN = "-".join(["tracking", "token", "in", "the", "path"])


def boom(request, token):
    request.POST.get("email")  # the body is read: an SDK could have kept it
    raise RuntimeError("the view failed")


def fine(request):
    return HttpResponse("ok")


urlpatterns = [path("boom/<str:token>/", boom), path("fine", fine)]


class Collector:
    """A local stand-in for Sentry's ingest: keeps every envelope POSTed to it, decompressed."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.envelopes = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                elif encoding == "br":
                    import brotli

                    body = brotli.decompress(body)
                collector.envelopes.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def dsn(self):
        return f"http://publickey@127.0.0.1:{self.port}/42"

    def items(self):
        """(item header, item payload) of every envelope: the first line is the envelope's header."""
        found = []
        for _path, body in self.envelopes:
            lines = body.split(b"\n")[1:]
            for header, payload in zip(lines[::2], lines[1::2], strict=False):
                found.append((json.loads(header), json.loads(payload)))
        return found

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def collector():
    collector = Collector()
    yield collector
    collector.stop()


@pytest.fixture
def sentry(collector):
    import sentry_sdk

    environ = {
        "SENTRY_DSN": collector.dsn,
        "SENTRY_ENVIRONMENT": "test-city",
        "SENTRY_RELEASE": "civicdesk@9.9.9",
    }
    assert init_sentry(environ)
    yield sentry_sdk
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)


def python(code, **env):
    """Run `code` in a fresh Python with the project's settings and `env`; its stdout."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SENTRY_")} | env
    environ |= {"DJANGO_SETTINGS_MODULE": "civicdesk.settings_test"}
    done = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code], env=environ, cwd=settings.BASE_DIR, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


STARTED = "import django; django.setup(); import sentry_sdk; print(sentry_sdk.is_initialized())"


def test_it_starts_nothing_without_a_dsn():
    assert python(STARTED, SENTRY_DSN=" ") == "False"
    assert python(STARTED, SENTRY_DSN="http://publickey@127.0.0.1:9/1") == "True"


@override_settings(ROOT_URLCONF=__name__)
def test_it_sends_an_error_in_a_view_without_the_residents_data(db, collector, sentry):
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = SECRET_COOKIE
    response = client.post(
        f"/boom/{TOKEN}/?email={EMAIL}",
        {"email": EMAIL, "description": f"my phone is {PHONE}"},
        headers={"Authorization": "Bearer api-token-4711", "X-Forwarded-For": "203.0.113.9"},
    )
    assert response.status_code == 500
    sentry.flush(timeout=10)

    events = [payload for header, payload in collector.items() if header.get("type") == "event"]
    [event] = events
    [exception] = event["exception"]["values"]
    assert (exception["type"], exception["value"]) == ("RuntimeError", "the view failed")
    assert event["environment"] == "test-city" and event["release"] == "civicdesk@9.9.9"
    assert event["tags"]["request_id"] == response["X-Request-ID"]
    assert event.get("request", {}).get("url") in (None, "http://testserver/boom/<str:token>/")
    assert "user" not in event
    raw = b"".join(body for _path, body in collector.envelopes)
    for private in (
        EMAIL,
        EMAIL.replace("@", "%40"),
        SECRET_COOKIE,
        "617 555 0100",
        "api-token-4711",
        "203.0.113.9",
        TOKEN,
    ):
        assert private.encode() not in raw, private


@override_settings(ROOT_URLCONF=__name__)
def test_it_sends_nothing_for_a_request_that_went_well(db, collector, sentry):
    assert Client().get("/fine").status_code == 200
    sentry.flush(timeout=10)
    assert [h for h, _p in collector.items() if h.get("type") == "event"] == []


def test_it_scrubs_what_an_event_could_carry():
    event = {
        "request": {
            "url": "https://city.test/nowhere/a-token?email=a@b.test",
            "data": {"email": "a@b.test"},
            "cookies": {"sessionid": "x"},
            "query_string": "email=a@b.test",
            "headers": {"Cookie": "sessionid=x", "Authorization": "Bearer t", "User-Agent": "Firefox"},
        },
        "user": {"email": "a@b.test", "ip_address": "203.0.113.9"},
    }
    assert scrub(event) == {
        "request": {"url": "https://city.test/…", "headers": {"User-Agent": "Firefox"}},
    }


@override_settings(ROOT_URLCONF=__name__)
def test_it_names_the_route_instead_of_a_path_with_a_token_everywhere_in_the_event():
    event = {
        "request": {"url": f"https://city.test/boom/{TOKEN}/"},
        "logentry": {"message": "Internal Server Error: %s", "params": [f"/boom/{TOKEN}/"]},
        "breadcrumbs": {"values": [{"message": f"GET /boom/{TOKEN}/"}]},
    }
    assert scrub(event) == {
        "request": {"url": "https://city.test/boom/<str:token>/"},
        "logentry": {"message": "Internal Server Error: %s", "params": ["/boom/<str:token>/"]},
        "breadcrumbs": {"values": [{"message": "GET /boom/<str:token>/"}]},
    }
