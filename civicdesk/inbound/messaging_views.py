"""Webhooks for WhatsApp, Telegram and other social tools (decision 49). Each checks its signature
or secret in constant time, stores each message whole under its provider id (a retried delivery
creates nothing) and answers; the worker makes cases of them."""

import hashlib
import hmac
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from civicdesk.lib import ratelimit

from . import actions, signing
from .messaging import SOCIAL, TELEGRAM, WHATSAPP, check_social_payload, record_whatsapp_status
from .models import InboundMessage

MAX_BODY = 1024 * 1024  # JSON webhooks: far above any real delivery, far below INBOUND_MAX_BYTES


def _error(status, message):
    return JsonResponse({"error": message}, status=status)


def _refused(request, status, message):
    """A flood of unsigned or forged posts is slowed per client; signed deliveries never are."""
    wait = ratelimit.hit("inbound-refused", ratelimit.client_ip(request), settings.INBOUND_REFUSED_RATE)
    if wait:
        response = _error(429, "Too many refused deliveries from this address.")
        response["Retry-After"] = str(wait)
        return response
    return _error(status, message)


def _body(request):
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY:
        return None
    raw = request.read(MAX_BODY + 1)
    return None if len(raw) > MAX_BODY else raw


def _json(raw):
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _store(channel, key, data, sender=""):
    raw = json.dumps(data, sort_keys=True).encode()
    return actions.receive(channel, str(key), raw, sender=str(sender))


# ---------------------------------------------------------------- WhatsApp Cloud API


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp(request):
    if request.method == "GET":
        return _whatsapp_handshake(request)
    if not settings.WHATSAPP_APP_SECRET:
        return _error(503, "WhatsApp is not configured (WHATSAPP_APP_SECRET).")
    raw = _body(request)
    if raw is None:
        return _error(413, f"Deliveries may be at most {MAX_BODY} bytes.")
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not signature:
        return _refused(request, 401, "Missing X-Hub-Signature-256.")
    expected = "sha256=" + hmac.new(settings.WHATSAPP_APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip()):
        return _refused(request, 403, "Wrong signature.")
    data = _json(raw)
    if not isinstance(data, dict):
        return _error(400, "The body is not a JSON object.")
    stored = statuses = 0
    for value in _whatsapp_values(data):
        contacts = {str(c.get("wa_id")): c for c in _list(value.get("contacts"))}
        for message in _list(value.get("messages")):
            if isinstance(message.get("id"), str) and isinstance(message.get("from"), str | int):
                contact = contacts.get(str(message["from"]), {})
                _store(
                    WHATSAPP,
                    message["id"],
                    {"message": message, "contact": contact},
                    "+" + str(message["from"]),
                )
                stored += 1
        for status in _list(value.get("statuses")):
            statuses += record_whatsapp_status(status)
    return JsonResponse({"messages": stored, "statuses": statuses})


def _whatsapp_handshake(request):
    """Meta's subscription check: echo hub.challenge when hub.verify_token is ours."""
    token = request.GET.get("hub.verify_token", "")
    ours = settings.WHATSAPP_VERIFY_TOKEN
    if (
        request.GET.get("hub.mode") == "subscribe"
        and ours
        and hmac.compare_digest(token.encode(), ours.encode())
    ):
        return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
    return HttpResponse("Verification failed.", status=403, content_type="text/plain")


def _list(value):
    """Only a JSON list's dict items: a malformed delivery is skipped, never a 500."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _whatsapp_values(data):
    for entry in _list(data.get("entry")):
        for change in _list(entry.get("changes")):
            if isinstance(change.get("value"), dict):
                yield change["value"]


# ---------------------------------------------------------------- Telegram


@csrf_exempt
@require_POST
def telegram(request):
    if not settings.TELEGRAM_WEBHOOK_SECRET:
        return _error(503, "Telegram is not configured (TELEGRAM_WEBHOOK_SECRET).")
    secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not secret:
        return _refused(request, 401, "Missing X-Telegram-Bot-Api-Secret-Token.")
    if not hmac.compare_digest(secret.encode(), settings.TELEGRAM_WEBHOOK_SECRET.encode()):
        return _refused(request, 403, "Wrong secret token.")
    raw = _body(request)
    if raw is None:
        return _error(413, f"Deliveries may be at most {MAX_BODY} bytes.")
    data = _json(raw)
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        return _error(400, "Not a Telegram update.")
    message = data.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
        return JsonResponse({"stored": False})  # edits, reactions, membership: nothing to file
    stored = _store(TELEGRAM, data["update_id"], data, message["chat"].get("id", ""))
    return JsonResponse({"stored": True, "id": stored.pk})


# ---------------------------------------------------------------- other social tools


@csrf_exempt
@require_POST
def social(request):
    """JSON {kind: post|direct, id, author_handle, text, link, lat/lon or address}, signed with
    X-CivicDesk-Timestamp and X-CivicDesk-Signature (inbound.signing) and SOCIAL_WEBHOOK_SECRET."""
    if not settings.SOCIAL_WEBHOOK_SECRET:
        return _error(503, "The social webhook is not configured (SOCIAL_WEBHOOK_SECRET).")
    raw = _body(request)
    if raw is None:
        return _error(413, f"Deliveries may be at most {MAX_BODY} bytes.")
    try:
        signing.verify(
            settings.SOCIAL_WEBHOOK_SECRET,
            request.headers.get("X-CivicDesk-Timestamp", ""),
            request.headers.get("X-CivicDesk-Signature", ""),
            raw,
            settings.INBOUND_WEBHOOK_MAX_AGE,
        )
    except signing.BadSignature as error:
        return _refused(request, error.status, str(error))
    data = _json(raw)
    try:
        check_social_payload(data)
    except ValidationError as error:
        return _error(400, error.messages[0])
    key = data["id"].strip()[:255]
    if InboundMessage.objects.filter(channel=SOCIAL, key=key).exists():
        # A replay (or a retry of a delivery we have): refused, and nothing is created twice.
        return _error(409, "This id was received already.")
    stored = _store(SOCIAL, key, data, data["author_handle"])
    return JsonResponse({"id": stored.pk, "status": stored.status})
