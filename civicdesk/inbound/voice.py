"""The IVR (decision 48): TwiML for each step of a call, in English and Spanish, by keypad and
speech, and the worker's part: a recorded report becomes a case in triage carrying the caller's
number, the recording kept through the storage API, the transcript added when Twilio sends it."""

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from civicdesk.cases import actions as case_actions
from civicdesk.cases import catalogue
from civicdesk.cases.models import Case, Channel
from civicdesk.lib.phones import e164

from . import config, sms, twilio
from .models import Conversation, InboundMessage
from .services import triage_service

# Twilio's <Say> and speech-recognition language per CivicDesk language.
VOICES = {"en": "en-US", "es": "es-US"}
SPEECH_WORDS = {"en": {"english", "inglés", "ingles"}, "es": {"spanish", "español", "espanol"}}
MAX_GROUPS = 9  # one keypad digit each
RECORDING_SECONDS = 120
TRANSCRIPT_PREFIX = "transcript:"


class TwiML:
    """A <Response> built with ElementTree, so every text and URL is escaped."""

    def __init__(self, language="en"):
        self.root = ET.Element("Response")
        self.language = language

    def say(self, text, parent=None, language=None):
        language = language or self.language
        node = ET.SubElement(parent if parent is not None else self.root, "Say", language=VOICES[language])
        node.text = text
        return node

    def gather(self, action, **attributes):
        attributes = {"action": action, "method": "POST", **attributes}
        return ET.SubElement(self.root, "Gather", {k: str(v) for k, v in attributes.items()})

    def add(self, tag, text=None, **attributes):
        node = ET.SubElement(self.root, tag, {k: str(v) for k, v in attributes.items()})
        node.text = text
        return node

    def __bytes__(self):
        return b'<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(self.root, encoding="unicode").encode()


def url(name, **query):
    return config.twilio_webhook_base() + reverse(name) + (f"?{urlencode(query)}" if query else "")


def language_choice(digits, speech):
    """The caller's language: keypad 1 or 2, or the language's name spoken; None when unclear."""
    if digits in ("1", "2"):
        return "en" if digits == "1" else "es"
    words = set(re.findall(r"\w+", (speech or "").lower()))
    for language, names in SPEECH_WORDS.items():
        if words & names:
            return language
    return None


def welcome():
    response = TwiML()
    gather = response.gather(url("inbound-voice-menu"), input="dtmf speech", numDigits=1, timeout=5)
    response.say("For English, press 1 or say English.", gather, "en")
    response.say("Para español, oprima 2 o diga español.", gather, "es")
    response.add("Redirect", url("inbound-voice"), method="POST")
    return response


def menu(language):
    response = TwiML(language)
    with translation.override(language):
        gather = response.gather(
            url("inbound-voice-choice", lang=language), numDigits=1, timeout=6, language=VOICES[language]
        )
        response.say(
            _(
                "To hear the status of a case, press 1. To report a problem, press 2. To speak to an agent, press 0."  # noqa: E501 - one msgid
            ),
            gather,
        )
    response.add("Redirect", url("inbound-voice-menu", lang=language), method="POST")
    return response


def choice(language, digits, agent_number=""):
    if digits == "1":
        return ask_case_number(language)
    if digits == "2":
        return groups_menu(language)
    if digits == "0":
        return transfer(language, agent_number)
    return menu(language)


def ask_case_number(language):
    response = TwiML(language)
    with translation.override(language):
        gather = response.gather(
            url("inbound-voice-status", lang=language),
            input="dtmf speech",
            finishOnKey="#",
            timeout=8,
            language=VOICES[language],
        )
        response.say(_("Enter or say the case number, then press the pound key."), gather)
    response.add("Redirect", url("inbound-voice-menu", lang=language), method="POST")
    return response


def case_number(digits, speech):
    """A case number typed or spoken ("26-000123": keypad 26000123); "" when none can be read."""
    found = re.sub(r"\D", "", digits or "") or re.sub(r"\D", "", speech or "")
    return f"{found[:2]}-{found[2:]}" if len(found) > 2 else ""


def status(language, number):
    """What the public case page shows: the status and expected date, never who reported it or what
    they wrote. A caller is not identified (caller ID can be spoofed), so they hear no more."""
    response = TwiML(language)
    case = Case.objects.filter(number=number).first() if number else None
    with translation.override(language):
        if case is None:
            response.say(_("We could not find that case number."))
        else:
            response.say(_spoken_status(case))
    response.add("Redirect", url("inbound-voice-menu", lang=language), method="POST")
    return response


def _spoken_status(case):
    values = {"number": " ".join(case.number.replace("-", "")), "status": case.get_status_display()}
    if case.expected_at and not case.resolved_at:
        values["date"] = formats.date_format(timezone.localtime(case.expected_at), "DATE_FORMAT")
        return _("Case %(number)s is %(status)s. It is expected by %(date)s.") % values
    return _("Case %(number)s is %(status)s.") % values


def service_groups(language):
    """The catalogue's service groups in the caller's language, at most one per keypad digit."""
    names = []
    for service in catalogue.all_services():
        name = (service.translations or {}).get(language, {}).get("group") or service.group
        if name and name not in names:
            names.append(name)
    return names[:MAX_GROUPS]


def groups_menu(language):
    response = TwiML(language)
    groups = service_groups(language)
    with translation.override(language):
        gather = response.gather(
            url("inbound-voice-group", lang=language), numDigits=1, timeout=6, language=VOICES[language]
        )
        for number, name in enumerate(groups, 1):
            response.say(_("For %(group)s, press %(digit)s.") % {"group": name, "digit": number}, gather)
        response.say(_("For anything else, press 0."), gather)
    response.add("Redirect", url("inbound-voice-menu", lang=language), method="POST")
    return response


def record(language, digits):
    groups = service_groups(language)
    group = groups[int(digits) - 1] if digits.isdigit() and 0 < int(digits) <= len(groups) else ""
    response = TwiML(language)
    with translation.override(language):
        response.say(
            _(
                "After the tone, say what the problem is and where it is. "
                "Press the pound key when you are done."
            )
        )
    response.add(
        "Record",
        action=url("inbound-voice-recorded", lang=language, group=group),
        method="POST",
        maxLength=RECORDING_SECONDS,
        finishOnKey="#",
        playBeep="true",
        transcribe="true",
        transcribeCallback=url("inbound-voice-transcript", lang=language),
    )
    return response


def recorded(language):
    response = TwiML(language)
    with translation.override(language):
        response.say(_("Thank you. Your report is recorded. We will text the case number to this phone."))
    response.add("Hangup")
    return response


def transfer(language, agent_number):
    """<Dial> the agents' line of the number called (its own, else VOICE_AGENT_NUMBER)."""
    response = TwiML(language)
    with translation.override(language):
        if not agent_number:
            response.say(_("No agent can take your call now. Please call again during office hours."))
            response.add("Redirect", url("inbound-voice-menu", lang=language), method="POST")
            return response
        response.say(_("Please wait while we connect you to an agent."))
    response.add("Dial", agent_number)
    return response


# ---------------------------------------------------------------- the worker's part


def process_call(message):
    """A stored recording (key: its RecordingSid) or transcript (key: transcript:<RecordingSid>)."""
    form = sms.form_of(message)
    phone = e164(form.get("From", ""), settings.PHONE_REGION)
    message.sender = phone[:320]
    if message.key.startswith(TRANSCRIPT_PREFIX):
        return _transcript(message, form)
    return _recording(message, form, phone)


def _recording(message, form, phone):
    language = form.get("lang") if form.get("lang") in VOICES else "en"
    account = config.twilio_for(form.get("To"))  # the number that was called
    audio, content_type = twilio.fetch_recording(form.get("RecordingUrl", ""), account)
    name = default_storage.save(f"voice/{message.key}.wav", ContentFile(audio))
    message.attachments = [
        {"name": name, "content_type": content_type, "size": len(audio), "outcome": "stored"}
    ]
    group = form.get("group", "")
    with translation.override(language):
        description = _("Voice report (%(group)s). Recording: %(name)s") % {
            "group": group or _("no group chosen"),
            "name": name,
        }
    conversation = Conversation.objects.create(channel=Channel.VOICE, address=phone, language=language)
    case = case_actions.submit_case(
        service=triage_service(),
        description=description,
        channel=Channel.VOICE,
        reporter_phone=phone,
        language=language,
    )
    conversation.case = case
    conversation.save(update_fields=["case"])
    sms.reply(phone, language, sms.confirmation_text, case, case=case)
    return conversation, case


def _transcript(message, form):
    recording = InboundMessage.objects.filter(
        channel=Channel.VOICE, key=message.key.removeprefix(TRANSCRIPT_PREFIX), case__isnull=False
    ).first()
    if recording is None:
        raise ValidationError("The recording this transcript belongs to is not processed yet.")
    text = form.get("TranscriptionText", "").strip()
    message.text = text
    if text:
        case_actions.resident_comment(recording.case, text[:4000])
    return recording.conversation, recording.case
