"""The SMS dialogue, run in the worker for each stored text (decision 48): carrier keywords first
(STOP and its synonyms, START, HELP), then STATUS <number>, else a short conversation: the problem,
a service picked by number, a place or "skip", then the case number. Every answer goes out through
the outbox as an SMS, in the resident's language (English or Spanish, told by their words)."""

import mimetypes
import re
from datetime import timedelta
from functools import partial
from urllib.parse import parse_qs

from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from civicdesk.cases import actions as case_actions
from civicdesk.cases import catalogue, disclosure
from civicdesk.cases.models import Case, Channel
from civicdesk.lib import locks
from civicdesk.lib.phones import e164
from civicdesk.notify import outbox
from civicdesk.notify.models import OutboxMessage
from civicdesk.residents import consent

from . import config, media, twilio
from .models import Conversation
from .services import rank_services, triage_service

# Carrier opt-out and opt-in keywords (CTIA; the ones Twilio honours), with their Spanish forms.
STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "PARAR", "ALTO", "BAJA"}
START_WORDS = {"START", "UNSTOP", "YES", "INICIAR", "ALTA"}
HELP_WORDS = {"HELP", "INFO", "AYUDA"}
STATUS_WORDS = {"STATUS", "ESTADO"}
SKIP_WORDS = {"SKIP", "SALTAR", "OMITIR", "NO"}
SPANISH_WORDS = {"PARAR", "ALTO", "BAJA", "INICIAR", "ALTA", "AYUDA", "ESTADO", "SALTAR", "OMITIR"}
SPANISH_TEXT = {"el", "la", "de", "que", "hay", "calle", "un", "una", "en", "mi", "por", "basura", "bache"}
ENGLISH_TEXT = {"the", "a", "is", "there", "on", "my", "street", "in", "of", "and", "broken"}
SUGGESTIONS = 3
KIND = "sms_reply"


class Step:
    SERVICE = "service"
    LOCATION = "location"


def form_of(message):
    """The webhook's form fields, as stored raw (application/x-www-form-urlencoded)."""
    return {
        key: values[0]
        for key, values in parse_qs(bytes(message.raw).decode(), keep_blank_values=True).items()
    }


def language_of(text, keyword_words=()):
    if any(word in SPANISH_WORDS for word in keyword_words):
        return "es"
    words = re.findall(r"\w+", text.lower())
    spanish = sum(word in SPANISH_TEXT for word in words)
    return "es" if spanish > sum(word in ENGLISH_TEXT for word in words) else "en"


def mms_files(form):
    """An MMS's files (NumMedia, MediaUrlN, MediaContentTypeN): only their address at Twilio."""
    try:
        count = min(int(form.get("NumMedia") or 0), 10)  # Twilio allows 10 per message
    except ValueError:
        count = 0
    files = []
    for n in range(count):
        content_type = form.get(f"MediaContentType{n}", "")
        extension = mimetypes.guess_extension(content_type) or ""
        files.append(media.Remote(form.get(f"MediaUrl{n}", ""), content_type, f"mms-{n}{extension}"))
    return files


def process_sms(message):
    """Returns (conversation or None, case or None, reason): what the message became."""
    form = form_of(message)
    phone = e164(form.get("From", ""), settings.PHONE_REGION)
    text = form.get("Body", "").strip()
    message.sender, message.text = phone[:320], text
    files = mms_files(form)
    message.attachments = [media.listed(file, "fetched when the case is made") for file in files]
    words = re.findall(r"[\wÁÉÍÓÚáéíóúñÑ-]+", text.upper())
    keyword = words[0] if len(words) == 1 else ""
    # Two texts from one number in two workers at once: the second waits for the first's
    # conversation (else each would start its own, and make its own case).
    locks.hold(Channel.SMS, phone)
    conversation = _open_conversation(phone)
    if keyword in STOP_WORDS:
        return _stop(phone, conversation)
    if keyword in START_WORDS:
        consent.start_sms(phone)
        reply(phone, language_of(text, words), _start_text, None)
        return conversation, None, "START"
    if not consent.sms_allowed(phone):
        # Not a word back (the carrier forbids it), nor a case made in silence: the resident said STOP.
        return conversation, None, "The number said STOP: send START to use SMS again."
    if keyword in HELP_WORDS:
        reply(phone, language_of(text, words), _help_text, None)
        return conversation, None, "HELP"
    if words and words[0] in STATUS_WORDS:
        _status(phone, words, language_of(text, words))
        return None, None, "STATUS"
    return _dialogue(phone, text, conversation, message)


def reply(phone, language, render, about, kind=KIND, **context):
    with translation.override(language):
        body = render(**context)
    return outbox.queue_text("sms", about, phone, language, body, kind)


def _open_conversation(phone):
    """The conversation waiting for this number's next answer, if it has not expired."""
    since = timezone.now() - timedelta(seconds=settings.SMS_CONVERSATION_TTL_SECONDS)
    return (
        Conversation.objects.select_for_update()
        .filter(channel=Channel.SMS, address=phone, updated_at__gte=since)
        .exclude(step="")
        .order_by("-updated_at")
        .first()
    )


def _stop(phone, conversation):
    """STOP ends everything: the open conversation too. The carrier (or Twilio) confirms the
    opt-out itself, so no answer of ours is sent, and none could be (the outbox withholds it)."""
    consent.stop_sms(phone)
    if conversation is not None:
        _save(conversation, step="", answers={})
    return conversation, None, "STOP"


def _status(phone, words, language):
    """STATUS <number>: the case's status and expected date, only to the phone that reported it.
    Numbers are sequential and SMS carriers are third parties: anyone else, and a number that does
    not exist, get the same answer, so the keyword cannot be used to walk the cases."""
    number = words[1] if len(words) > 1 else ""
    case = Case.objects.filter(number__iexact=number, reporter_phone=phone).first() if number else None
    if case is None:
        reply(phone, language, _unknown_case_text, None, number=number)
    else:
        reply(phone, language, _status_text, case, case=case)


def _dialogue(phone, text, conversation, message):
    if conversation is None:
        return _begin(phone, text, bool(message.attachments))
    if not text and message.attachments:
        return conversation, None, ""  # a photo with no words answers no question: kept for the case
    language = conversation.language
    if conversation.step == Step.SERVICE:
        return _pick_service(phone, text, conversation, language)
    return _finish_location(phone, text, conversation, language, message)


def _begin(phone, text, with_files):
    if not text and not with_files:
        return None, None, "Empty message"
    language = language_of(text)
    conversation = Conversation.objects.create(
        channel=Channel.SMS, address=phone, language=language, answers={"description": text[:4000]}
    )
    choices = rank_services(text, SUGGESTIONS)
    if not choices:  # nothing named: staff sort it from triage
        _save(conversation, step=Step.LOCATION, answers={**conversation.answers, "service": ""})
        reply(phone, language, _location_text, None)
        return conversation, None, ""
    codes = [service.code for service in choices]
    _save(conversation, step=Step.SERVICE, answers={**conversation.answers, "choices": codes})
    reply(phone, language, _choices_text, None, services=choices)
    return conversation, None, ""


def _pick_service(phone, text, conversation, language):
    codes = conversation.answers.get("choices", [])
    picked = text.strip().rstrip(".")
    if picked.isdigit() and 0 <= int(picked) <= len(codes):
        code = codes[int(picked) - 1] if int(picked) else ""
        _save(conversation, step=Step.LOCATION, answers={**conversation.answers, "service": code})
        reply(phone, language, _location_text, None)
        return conversation, None, ""
    services = [s for code in codes if (s := catalogue.service(code)) is not None]
    reply(phone, language, _choices_text, None, services=services, again=True)
    return conversation, None, ""


def _finish_location(phone, text, conversation, language, message):
    skipped = text.strip().upper().rstrip(".") in SKIP_WORDS
    answers = conversation.answers
    service = (catalogue.service(answers["service"]) if answers.get("service") else None) or triage_service()
    photos = _fetch_files(conversation, message)  # first: a fetch that must wait leaves nothing made
    case = case_actions.submit_case(
        service=service,
        description=answers.get("description", ""),
        address="" if skipped else text[:300],
        channel=Channel.SMS,
        reporter_phone=phone,
        language=language,
    )
    media.attach_privately(case, photos)
    _save(conversation, step="", answers={}, case=case)
    # The dialogue's earlier texts belong to the case's thread too (staff read it on the case page).
    conversation.messages.filter(case__isnull=True).update(case=case)
    OutboxMessage.objects.filter(
        channel="sms", recipient=phone, case__isnull=True, created_at__gte=conversation.created_at
    ).update(case=case)
    reply(phone, language, confirmation_text, case, case=case)
    return conversation, case, ""


def _fetch_files(conversation, message):
    """The files texted during the dialogue, this message's too: the photos that go onto the case.
    Each message's listing says what became of its files."""
    earlier = conversation.messages.filter(case__isnull=True).exclude(pk=message.pk).order_by("received_at")
    give_up, photos = media.last_attempt(message), []
    with media.deadline():  # one for all the dialogue's files: they are fetched with its lock held
        for each in [*earlier, message]:
            files = mms_files(form_of(each))
            if files:
                fetch = partial(twilio.fetch_recording, account=config.twilio_for(*each.recipients))
                images, each.attachments = media.fetch_all(each, files, fetch, give_up)
                photos += images
                if each is not message:
                    each.save(update_fields=["attachments"])
    return photos


def _save(conversation, **fields):
    for name, value in fields.items():
        setattr(conversation, name, value)
    conversation.updated_at = timezone.now()
    conversation.save(update_fields=[*fields, "updated_at"])


# ---------------------------------------------------------------- the texts (short: one SMS segment)


def _help_text():
    return _(
        "%(city)s 311: text us a problem to report it, or STATUS and a case number. "
        "Reply STOP to stop messages, START to resume."
    ) % {"city": settings.CITY_NAME}


def _start_text():
    return _("%(city)s 311: you will receive messages again. Reply HELP for help, STOP to stop.") % {
        "city": settings.CITY_NAME
    }


def _service_name(service, language):
    return (service.translations or {}).get(language, {}).get("name") or service.name


def _choices_text(services, again=False):
    language = translation.get_language()
    lines = [f"{number}. {_service_name(service, language)}" for number, service in enumerate(services, 1)]
    lines.append("0. " + _("Something else"))
    intro = _("Please reply with one number.") if again else _("Which of these is it? Reply with its number.")
    return intro + "\n" + "\n".join(lines)


def _location_text():
    return _("Where is it? Reply with an address or a cross street, or SKIP.")


def confirmation_text(case):
    return _("Thank you. Your case number is %(number)s. Text STATUS %(number)s to hear how it is going.") % {
        "number": case.number
    }


def _status_text(case):
    values = {"number": case.number, "status": case.get_status_display()}
    if case.expected_at and not case.resolved_at:
        values["date"] = formats.date_format(timezone.localtime(case.expected_at), "DATE_FORMAT")
        return _("Case %(number)s: %(status)s. Expected by %(date)s.") % values
    return _("Case %(number)s: %(status)s.") % values


def _unknown_case_text(number):
    return _(
        "We found no case %(number)s reported from this phone. Text STATUS and the case number we sent you."
    ) % {"number": number or "?"}


# ---------------------------------------------------------------- staff replies go back by SMS

ROUTED_KINDS = {"reply", "resolved"}


def route_case_message(case, kind, context):
    """notify's case route (outbox.queue_case_email): a staff public reply, or the resolution, on a
    case a resident reported by SMS or by phone goes back to that number by SMS. SMS carriers are
    third parties, so the text is what the disclosure policy gives the channel audience."""
    if (
        kind not in ROUTED_KINDS
        or case.channel not in (Channel.SMS, Channel.VOICE)
        or not case.reporter_phone
    ):
        return []
    words = disclosure.shown(
        context.get("message", ""), disclosure.view(disclosure.Audience.CHANNEL).messages
    )
    language = case.language if case.language in ("en", "es") else "en"
    render = _resolved_text if kind == "resolved" else _reply_text
    # Queued as the case message it is ("reply", "resolved"): the sender applies the resident's
    # consent to it as to its e-mail twin; the dialogue's own texts answer what they just sent.
    return [reply(case.reporter_phone, language, render, case, kind=kind, case=case, words=words)]


def _reply_text(case, words):
    return _("Case %(number)s: %(message)s") % {"number": case.number, "message": words}


def _resolved_text(case, words):
    text = _("Case %(number)s is resolved.") % {"number": case.number}
    return f"{text} {words}".strip()
