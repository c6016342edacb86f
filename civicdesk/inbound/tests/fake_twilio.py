"""A local "Twilio" on 127.0.0.1 that records the exact requests CivicDesk sends it (the Messages
REST call, recording downloads), and a client helper that signs webhooks as Twilio does."""

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

from django.urls import reverse
from twilio.request_validator import RequestValidator

ACCOUNT = "AC0123456789abcdef0123456789abcdef"
TOKEN = "twilio-auth-token"  # noqa: S105 - a test's
FROM = "+16175550000"
PUBLIC = "https://311.city.test"
AUDIO = b"RIFF\x24\x00\x00\x00WAVEfmt fake audio"


class FakeTwilio:
    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.requests = []  # (method, path, headers, body)
        self.status = 201
        self.files = {}  # GET path -> (status, body, content type, extra headers): MMS media
        self.sent = 0
        self.server = None

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fake.requests.append(("POST", self.path, self.headers, body))
                fake.sent += 1
                answer = json.dumps({"sid": f"SM{fake.sent:032d}", "status": "queued"}).encode()
                self._answer(fake.status, answer, "application/json")

            def do_GET(self):  # noqa: N802
                fake.requests.append(("GET", self.path, self.headers, b""))
                self._answer(*fake.files.get(self.path, (200, AUDIO, "audio/x-wav")))

            def _answer(self, status, body, content_type, headers=None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def messages(self):
        """The SMS sent, as the form fields Twilio received."""
        return [
            {key: values[0] for key, values in parse_qs(body.decode()).items()}
            for method, path, _headers, body in self.requests
            if method == "POST" and path.endswith("/Messages.json")
        ]

    def bodies_to(self, phone):
        return [message["Body"] for message in self.messages() if message["To"] == phone]


def sign(url, params, token=TOKEN):
    return RequestValidator(token).compute_signature(url, params)


def post_signed(client, name, params, query="", signature=None):
    """POST a form to one of our Twilio webhooks, signed over the public URL as Twilio signs it."""
    path = reverse(name) + (f"?{query}" if query else "")
    headers = {"X-Twilio-Signature": sign(PUBLIC + path, params) if signature is None else signature}
    if signature == "":
        headers = {}
    return client.post(path, params, headers=headers)
