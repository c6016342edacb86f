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

from . import actions, config, signing
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


def _store(channel, key, data, sender="", account=None):
    """`account`, the key of ours the message came to, is kept as its recipient: replies go out
    from it (decision 51)."""
    raw = json.dumps(data, sort_keys=True).encode()
    recipients = [account] if account else []
    return actions.receive(channel, str(key), raw, sender=str(sender), recipients=recipients)


# ---------------------------------------------------------------- WhatsApp Cloud API


@csrf_exempt
@require_http_methods(["GET", "POST"])
def whatsapp(request):
    if request.method == "GET":
        return _whatsapp_handshake(request)
    accounts = [account for account in config.whatsapp_accounts() if account.app_secret]
    if not accounts:
        return _error(
            503,
            "WhatsApp is not configured: add a WhatsApp number in the admin (or set WHATSAPP_APP_SECRET).",
        )
    raw = _body(request)
    if raw is None:
        return _error(413, f"Deliveries may be at most {MAX_BODY} bytes.")
    signature = request.headers.get("X-Hub-Signature-256", "")
    if not signature:
        return _refused(request, 401, "Missing X-Hub-Signature-256.")
    # Meta signs with the app's secret: the delivery is for the numbers of the app whose secret signed it.
    signers = [account for account in accounts if _signed_by(account.app_secret, raw, signature)]
    if not signers:
        return _refused(request, 403, "Wrong signature.")
    data = _json(raw)
    if not isinstance(data, dict):
        return _error(400, "The body is not a JSON object.")
    stored = statuses = 0
    for value in _whatsapp_values(data):
        metadata = value.get("metadata") if isinstance(value.get("metadata"), dict) else {}
        number_id = str(metadata.get("phone_number_id", ""))
        owner = next((a for a in accounts if number_id and a.phone_number_id == number_id), None)
        if owner is not None and owner not in signers:
            continue  # a number of another app, which this signature does not vouch for
        account = owner or signers[0]
        contacts = {str(c.get("wa_id")): c for c in _list(value.get("contacts"))}
        for message in _list(value.get("messages")):
            if isinstance(message.get("id"), str) and isinstance(message.get("from"), str | int):
                contact = contacts.get(str(message["from"]), {})
                _store(
                    WHATSAPP,
                    message["id"],
                    {"message": message, "contact": contact},
                    "+" + str(message["from"]),
                    account.phone_number_id,
                )
                stored += 1
        for status in _list(value.get("statuses")):
            statuses += record_whatsapp_status(status)
    return JsonResponse({"messages": stored, "statuses": statuses})


def _signed_by(secret, raw, signature):
    expected = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature.strip())


def _whatsapp_handshake(request):
    """Meta's subscription check: echo hub.challenge when hub.verify_token is one of ours."""
    token = request.GET.get("hub.verify_token", "").encode()
    ours = [account.verify_token.encode() for account in config.whatsapp_accounts() if account.verify_token]
    # Compared with each in constant time, with no early exit: which one matched must not leak.
    matched = [hmac.compare_digest(token, verify) for verify in ours]
    if request.GET.get("hub.mode") == "subscribe" and any(matched):
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
def telegram(request, bot=config.ENV):
    """/inbound/telegram/ for the environment's bot, /inbound/telegram/<id>/ for the admin's."""
    account = config.telegram_bot(bot)
    if account is None or not account.webhook_secret:
        if bot != config.ENV:
            return _error(404, "No such Telegram bot.")
        return _error(
            503, "No Telegram bot at this URL (TELEGRAM_WEBHOOK_SECRET): bots from the admin have their own."
        )
    secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not secret:
        return _refused(request, 401, "Missing X-Telegram-Bot-Api-Secret-Token.")
    if not hmac.compare_digest(secret.encode(), account.webhook_secret.encode()):
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
    # update_id counts per bot: the admin's bots' keys say whose (the environment's keep the bare id).
    key = data["update_id"] if bot == config.ENV else f"bot{account.key}:{data['update_id']}"
    stored = _store(TELEGRAM, key, data, message["chat"].get("id", ""), account.key)
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
