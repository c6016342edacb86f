"""A real HTTP receiver on 127.0.0.1 for the webhook tests: records what arrives, answers as told."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from civicdesk.webhooks.models import Subscription
from civicdesk.webhooks.signing import verify


class Receiver:
    """Keeps every request (path, headers, raw body); can be down (nothing listening) and come back."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.requests = []
        self.status = 204
        self.answer = b""
        self.routes = {}  # path -> (status, headers) answered instead of the defaults
        self.tls = None  # an ssl.SSLContext to answer https instead of http
        self.server = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/hooks/civicdesk"

    def start(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.path, self.headers, body))  # case-insensitive
                status, headers = receiver.routes.get(self.path, (receiver.status, {}))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(receiver.answer)))
                self.end_headers()
                self.wfile.write(receiver.answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        if self.tls is not None:
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def verified(self, secret):
        """Every delivery checked with the receivers' own `verify`; the parsed payloads."""
        return [verify(secret, headers, body) for _path, headers, body in self.requests]

    def types(self):
        return [json.loads(body)["type"] for _path, _headers, body in self.requests]


@pytest.fixture
def receiver():
    receiver = Receiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def subscribe(receiver):
    """A subscription to the receiver; keyword arguments as on the model, plus departments/services."""

    def make(departments=(), services=(), **fields):
        subscription = Subscription.objects.create(name="Work orders", url=receiver.url, **fields)
        subscription.departments.set(departments)
        subscription.services.set(services)
        return subscription

    return make
