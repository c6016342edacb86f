from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from civicdesk.cases.models import Channel
from civicdesk.lib import ratelimit

from . import actions, signing


def _error(status, message):
    return JsonResponse({"error": message}, status=status)


@csrf_exempt
@require_POST
def receive_raw_email(request):
    """A provider POSTs one message as raw MIME (message/rfc822 body), signed; 200 once it is stored."""
    if not settings.INBOUND_WEBHOOK_SECRET:
        return _error(503, "Inbound e-mail by webhook is not configured (INBOUND_WEBHOOK_SECRET).")
    limit = settings.INBOUND_MAX_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _error(400, "Content-Length is not a number.")
    if declared > limit:
        return _error(413, f"Messages may be at most {limit} bytes.")
    raw = request.read(limit + 1)
    if len(raw) > limit:
        return _error(413, f"Messages may be at most {limit} bytes.")
    envelope, envelope_to = request.headers.get("X-Envelope-From"), request.headers.get("X-Envelope-To", "")
    try:
        signing.verify(
            settings.INBOUND_WEBHOOK_SECRET,
            request.headers.get("X-CivicDesk-Timestamp", ""),
            request.headers.get("X-CivicDesk-Signature", ""),
            raw,
            settings.INBOUND_WEBHOOK_MAX_AGE,
            envelope_from=envelope or "",
            envelope_to=envelope_to,
        )
    except signing.BadSignature as error:
        # A flood of unsigned or forged posts is slowed per client; signed deliveries never are.
        wait = ratelimit.hit("inbound-refused", ratelimit.client_ip(request), settings.INBOUND_REFUSED_RATE)
        if wait:
            response = _error(429, "Too many refused deliveries from this address.")
            response["Retry-After"] = str(wait)
            return response
        return _error(error.status, str(error))
    if not raw.strip():
        return _error(400, "Empty message.")
    message = actions.receive(
        Channel.EMAIL,
        actions.email_key(raw),
        raw,
        envelope_sender=envelope,  # None when the provider did not say: not a bounce for that
        recipients=[r.strip().lower() for r in envelope_to.split(",") if r.strip()],
    )
    return JsonResponse({"id": message.pk, "status": message.status})
