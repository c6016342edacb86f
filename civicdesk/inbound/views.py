from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest, HttpResponseForbidden, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from civicdesk.cases.models import Channel
from civicdesk.lib import ratelimit

from . import actions, signing, twilio, voice


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


# ---------------------------------------------------------------- Twilio: SMS and voice (decision 48)

EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'


def _twiml(body):
    return HttpResponse(bytes(body) if not isinstance(body, bytes) else body, content_type="text/xml")


def twilio_signed(view):
    """Refuses (403) a POST whose X-Twilio-Signature is missing or is not the account's signature of
    it; a client that keeps sending forged ones is slowed down."""

    @csrf_exempt
    @require_POST
    @wraps(view)
    def checked(request, *args, **kwargs):
        account = twilio.signed(request)
        if account is not None:
            request.twilio_account = account
            return view(request, *args, **kwargs)
        wait = ratelimit.hit("inbound-refused", ratelimit.client_ip(request), settings.INBOUND_REFUSED_RATE)
        response = HttpResponseForbidden("Missing or wrong X-Twilio-Signature.")
        if wait:
            response.status_code = 429
            response["Retry-After"] = str(wait)
        return response

    return checked


def _our_number(request):
    """Recorded on the message as its recipient: replies go out from the number the resident used."""
    return [request.twilio_account.number] if request.twilio_account.number else []


def _form_bytes(request, **extra):
    return urlencode({**{key: request.POST.get(key) for key in request.POST}, **extra}).encode()


@twilio_signed
def receive_sms(request):
    """Store the text, answer at once with empty TwiML. The dialogue runs in the worker and its
    answers go through the outbox: the webhook must answer as soon as the message is stored (a burst
    of texts must not wait for case creation), and an outbox SMS is retried, consent-checked and
    recorded, which a reply inside the TwiML answer would not be."""
    sid = request.POST.get("MessageSid") or request.POST.get("SmsSid") or ""
    if not sid or not request.POST.get("From"):
        return HttpResponseBadRequest("MessageSid and From are required.")
    actions.receive(
        Channel.SMS,
        f"twilio:{sid}",
        _form_bytes(request),
        sender=request.POST["From"],
        recipients=_our_number(request),
    )
    return _twiml(EMPTY_TWIML)


@twilio_signed
def sms_status(request):
    twilio.record_status(
        request.POST.get("MessageSid", ""),
        request.POST.get("MessageStatus", "") or request.POST.get("SmsStatus", ""),
        request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)


def _language(request):
    language = request.GET.get("lang", "")
    return language if language in voice.VOICES else None


@twilio_signed
def voice_answer(request):
    return _twiml(voice.welcome())


@twilio_signed
def voice_menu(request):
    language = _language(request) or voice.language_choice(
        request.POST.get("Digits", ""), request.POST.get("SpeechResult", "")
    )
    return _twiml(voice.menu(language) if language else voice.welcome())


@twilio_signed
def voice_choice(request):
    return _twiml(
        voice.choice(
            _language(request) or "en", request.POST.get("Digits", ""), request.twilio_account.agent_number
        )
    )


@twilio_signed
def voice_status(request):
    number = voice.case_number(request.POST.get("Digits", ""), request.POST.get("SpeechResult", ""))
    return _twiml(voice.status(_language(request) or "en", number))


@twilio_signed
def voice_group(request):
    return _twiml(voice.record(_language(request) or "en", request.POST.get("Digits", "")))


@twilio_signed
def voice_recorded(request):
    """The recording is fetched and becomes a case in the worker; the caller hears thanks at once."""
    language = _language(request) or "en"
    sid = request.POST.get("RecordingSid", "")
    if sid and request.POST.get("RecordingUrl"):
        raw = _form_bytes(request, lang=language, group=request.GET.get("group", "")[:80])
        actions.receive(
            Channel.VOICE,
            f"twilio:{sid}",
            raw,
            sender=request.POST.get("From", ""),
            recipients=_our_number(request),
        )
    return _twiml(voice.recorded(language))


@twilio_signed
def voice_transcript(request):
    sid = request.POST.get("RecordingSid", "")
    if not sid:
        return HttpResponseBadRequest("RecordingSid is required.")
    key = f"{voice.TRANSCRIPT_PREFIX}twilio:{sid}"
    actions.receive(Channel.VOICE, key, _form_bytes(request), sender=request.POST.get("From", ""))
    return HttpResponse(status=204)
