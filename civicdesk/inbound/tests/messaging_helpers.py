"""Shared by the WhatsApp, Telegram and social tests: a local HTTP server standing in for the Graph
API and the Bot API (records the exact requests), and signed deliveries."""

import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.urls import reverse

from civicdesk.inbound.signing import sign

APP_SECRET = "app-s3cret"  # noqa: S105
BOT_SECRET = "bot-s3cret"  # noqa: S105
SOCIAL_SECRET = "social-s3cret"  # noqa: S105


class Provider:
    """Records every request (method, path, headers, parsed JSON body); answers `answer` as JSON."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.requests, self.status, self.answer = [], 200, {}
        self.queued = []  # (status, answer) for the next requests, before the default
        self.files = {}  # GET path -> (status, body, content type), or function(handler): media served
        self.fetches = []  # GET requests: (path, headers)
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                provider.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "json": json.loads(body)}
                )
                status, answer = (
                    provider.queued.pop(0) if provider.queued else (provider.status, provider.answer)
                )
                answer = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def do_GET(self):  # noqa: N802 - http.server's hook name
                provider.fetches.append((self.path, dict(self.headers)))
                answer = provider.files.get(self.path, (404, b"{}", "application/json"))
                if callable(answer):  # a test's own way of answering (slowly, say)
                    return answer(self)
                status, body, content_type = answer
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def whatsapp_body(wamid="wamid.AAA1", text="A fallen tree blocks Elm Street", number="15551234567", **extra):
    message = {
        "from": number,
        "id": wamid,
        "timestamp": str(int(time.time())),
        "type": "text",
        "text": {"body": text},
    }
    message.update(extra)
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550000000", "phone_number_id": "PNID"},
        "contacts": [{"profile": {"name": "Ana Lopez"}, "wa_id": number}],
        "messages": [message],
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}],
    }


def whatsapp_statuses(*statuses):
    value = {
        "messaging_product": "whatsapp",
        "statuses": [{"id": i, "status": s, "timestamp": "1"} for i, s in statuses],
    }
    return {"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"value": value}]}]}


def post_whatsapp(client, data, secret=APP_SECRET, signature=None):
    raw = json.dumps(data).encode()
    if signature is None:
        signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    headers = {"X-Hub-Signature-256": signature} if signature else {}
    return client.post(reverse("inbound-whatsapp"), raw, content_type="application/json", headers=headers)


def telegram_update(update_id=1001, text="Broken streetlight on Oak Avenue", chat_id=42, username="Ana_L"):
    sender = {
        "id": chat_id,
        "is_bot": False,
        "first_name": "Ana",
        "username": username,
        "language_code": "en",
    }
    message = {
        "message_id": 7,
        "from": sender,
        "chat": {"id": chat_id, "type": "private"},
        "date": int(time.time()),
        "text": text,
    }
    return {"update_id": update_id, "message": message}


def post_telegram(client, data, secret=BOT_SECRET):
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
    return client.post(
        reverse("inbound-telegram"), json.dumps(data), content_type="application/json", headers=headers
    )


def social_item(
    item_id="post-1", kind="post", text="Pothole on Main St", link="https://social.example/p/1", **extra
):
    return {"kind": kind, "id": item_id, "author_handle": "@Ana_L", "text": text, "link": link, **extra}


def post_social(client, data, secret=SOCIAL_SECRET, timestamp=None, signature=None):
    raw = json.dumps(data).encode()
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    headers = {"X-CivicDesk-Timestamp": timestamp}
    headers["X-CivicDesk-Signature"] = sign(secret, timestamp, raw) if signature is None else signature
    return client.post(reverse("inbound-social"), raw, content_type="application/json", headers=headers)


def image_bytes(kind="JPEG", size=(8, 6), color=(200, 40, 40)):
    """A real, small image file (Pillow encodes it), as a phone would send one."""
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, kind)
    return out.getvalue()
