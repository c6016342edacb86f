"""The IVR's TwiML for each menu path in English and Spanish (parsed as XML), and a recorded report
that becomes a case in triage with its recording in storage (decision 48)."""

import base64
from datetime import timedelta

import pytest
from defusedxml import ElementTree as ET
from django.core.files.storage import default_storage
from django.utils import timezone

from civicdesk.cases import actions as case_actions
from civicdesk.cases.models import Case, Channel
from civicdesk.inbound.models import InboundMessage

from .fake_twilio import ACCOUNT, AUDIO, PUBLIC, TOKEN, post_signed

CALLER = "+16175550177"
LANGUAGES = {"en": ("en-US", "To hear the status"), "es": ("es-US", "Para conocer el estado")}


def twiml(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    root = ET.fromstring(response.content)  # well-formed, or this raises
    assert root.tag == "Response"
    return root


def call(client, name, query="", **params):
    return twiml(post_signed(client, name, {"CallSid": "CA1", "From": CALLER, **params}, query=query))


def test_the_welcome_offers_both_languages_by_keypad_and_speech(client, fake_twilio, db):
    root = call(client, "inbound-voice")
    gather = root.find("Gather")
    assert (
        gather.get("input") == "dtmf speech"
        and gather.get("action") == PUBLIC + "/inbound/voice/twilio/menu/"
    )
    assert [say.get("language") for say in gather.findall("Say")] == ["en-US", "es-US"]
    assert root.find("Redirect") is not None


@pytest.mark.parametrize(
    ("language", "digits", "speech"), [("en", "1", ""), ("es", "2", ""), ("es", "", "Español")]
)
def test_the_language_choice_leads_to_the_menu_in_that_language(
    client, fake_twilio, db, language, digits, speech
):
    root = call(client, "inbound-voice-menu", Digits=digits, SpeechResult=speech)
    say = root.find("Gather/Say")
    assert say.get("language") == LANGUAGES[language][0]
    assert say.text.startswith(LANGUAGES[language][1])
    assert root.find("Gather").get("action").endswith(f"/inbound/voice/twilio/choice/?lang={language}")


def test_an_unclear_language_choice_repeats_the_welcome(client, fake_twilio, db):
    root = call(client, "inbound-voice-menu", Digits="7")
    assert len(root.findall("Gather/Say")) == 2


@pytest.mark.parametrize("language", ["en", "es"])
def test_option_1_asks_for_a_case_number_by_keypad_or_speech(client, fake_twilio, db, language):
    gather = call(client, "inbound-voice-choice", f"lang={language}", Digits="1").find("Gather")
    assert gather.get("input") == "dtmf speech" and gather.get("finishOnKey") == "#"
    assert gather.get("language") == LANGUAGES[language][0]
    assert gather.get("action").endswith(f"/inbound/voice/twilio/status/?lang={language}")


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "is New. It is expected by"), ("es", "está en estado Nuevo")]
)
def test_the_status_is_read_out_by_keypad_and_speech(client, fake_twilio, cast, language, expected):
    case = case_actions.submit_case(service=cast.tree, description="A tree", reporter_phone="+16175550100")
    Case.objects.filter(pk=case.pk).update(expected_at=timezone.now() + timedelta(days=2))
    digits = case.number.replace("-", "")
    for params in ({"Digits": digits}, {"SpeechResult": " ".join(digits)}):
        say = call(client, "inbound-voice-status", f"lang={language}", **params).find("Say")
        assert expected in say.text
        assert "+1617" not in say.text and "tree" not in say.text.lower()  # the public page's view


@pytest.mark.parametrize(("language", "text"), [("en", "could not find"), ("es", "No encontramos")])
def test_an_unknown_case_number_is_said_so(client, fake_twilio, db, language, text):
    say = call(client, "inbound-voice-status", f"lang={language}", Digits="99999999").find("Say")
    assert text in say.text


@pytest.mark.parametrize(
    ("language", "group"), [("en", "For Streets, press 2."), ("es", "Para Calles, oprima 2.")]
)
def test_option_2_lists_the_service_groups(client, fake_twilio, cast, language, group):
    root = call(client, "inbound-voice-choice", f"lang={language}", Digits="2")
    says = [say.text for say in root.findall("Gather/Say")]
    assert group in says
    assert root.find("Gather").get("numDigits") == "1"


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_group_leads_to_a_transcribed_recording(client, fake_twilio, cast, language):
    root = call(client, "inbound-voice-group", f"lang={language}", Digits="1")
    assert root.find("Say").get("language") == LANGUAGES[language][0]
    record = root.find("Record")
    assert record.get("transcribe") == "true"
    assert record.get("transcribeCallback") == f"{PUBLIC}/inbound/voice/twilio/transcript/?lang={language}"
    assert "group=" in record.get("action") and record.get("finishOnKey") == "#"


@pytest.mark.parametrize(("language", "text"), [("en", "Please wait"), ("es", "Espere")])
def test_option_0_dials_the_agents(client, fake_twilio, db, language, text):
    root = call(client, "inbound-voice-choice", f"lang={language}", Digits="0")
    assert text in root.find("Say").text
    assert root.find("Dial").text == "+16175550199"


def test_no_agent_number_says_so_instead_of_dialling_nobody(client, fake_twilio, db, settings):
    settings.VOICE_AGENT_NUMBER = ""
    root = call(client, "inbound-voice-choice", "lang=en", Digits="0")
    assert root.find("Dial") is None and root.find("Redirect") is not None


def test_voice_webhooks_refuse_unsigned_posts(client, fake_twilio, db):
    assert post_signed(client, "inbound-voice", {"CallSid": "CA1"}, signature="").status_code == 403
    assert (
        post_signed(client, "inbound-voice-recorded", {"CallSid": "CA1"}, signature="bad").status_code == 403
    )


def test_a_recording_becomes_a_case_in_triage_with_its_audio_and_transcript(
    client, fake_twilio, cast, django_capture_on_commit_callbacks
):
    recording_url = f"{fake_twilio.base}/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE1"
    params = {"RecordingSid": "RE1", "RecordingUrl": recording_url}
    with django_capture_on_commit_callbacks(execute=True):
        root = call(client, "inbound-voice-recorded", "lang=es&group=Calles", **params)
    assert "Gracias" in root.find("Say").text and root.find("Hangup") is not None
    case = Case.objects.get(channel=Channel.VOICE)
    assert case.reporter_phone == CALLER and case.service.code == "unsorted" and case.language == "es"
    stored = InboundMessage.objects.get(key="twilio:RE1").attachments[0]["name"]
    with default_storage.open(stored) as audio:
        assert audio.read() == AUDIO
    method, path, headers, _body = fake_twilio.requests[0]
    assert (method, path) == ("GET", f"/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE1")
    assert headers["Authorization"] == "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    assert case.number in fake_twilio.bodies_to(CALLER)[-1]  # the number, by SMS
    with django_capture_on_commit_callbacks(execute=True):
        post_signed(
            client,
            "inbound-voice-transcript",
            {
                "RecordingSid": "RE1",
                "From": CALLER,
                "TranscriptionText": "Hay un bache enorme en la calle Olmo",
            },
        )
    assert case.events.filter(kind="comment", message__contains="bache enorme").exists()


def test_a_recording_elsewhere_than_the_twilio_api_is_not_fetched(
    client, fake_twilio, cast, django_capture_on_commit_callbacks
):
    params = {"RecordingSid": "RE2", "RecordingUrl": "http://169.254.169.254/latest/meta-data"}
    with django_capture_on_commit_callbacks(execute=True):
        call(client, "inbound-voice-recorded", "lang=en", **params)
    assert InboundMessage.objects.get(key="twilio:RE2").status == InboundMessage.Status.QUARANTINED
    assert not Case.objects.filter(channel=Channel.VOICE).exists()
