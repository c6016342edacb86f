"""The Twilio SMS webhook and dialogue end to end: signed posts in, the worker's answers out through
the outbox to a local "Twilio" that records the exact REST requests (decision 48)."""

import base64
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
import time_machine
from django.utils import timezone

from civicdesk.cases import actions as case_actions
from civicdesk.cases.models import Case, Channel, Service
from civicdesk.inbound.models import Conversation, InboundMessage
from civicdesk.notify.models import OutboxMessage
from civicdesk.residents.models import ContactPoint

from .fake_twilio import ACCOUNT, FROM, PUBLIC, TOKEN, post_signed
from .messaging_helpers import image_bytes

PHONE = "+16175550123"


@pytest.fixture
def texting(client, fake_twilio, django_capture_on_commit_callbacks):
    """text("body") posts one signed SMS from PHONE and runs what it causes (worker, outbox)."""
    counter = iter(range(1, 100000))

    def text(body, phone=PHONE, sid=None, **extra):
        params = {"MessageSid": sid or f"SM{next(counter):032d}", "From": phone, "To": FROM, "Body": body}
        params.update(extra)
        with django_capture_on_commit_callbacks(execute=True):
            response = post_signed(client, "inbound-sms", params)
        assert response.status_code == 200
        return response

    return text


@pytest.fixture
def services(cast):
    Service.objects.create(code="streetlight", name="Streetlight out", keywords="light,lamp,dark")
    Service.objects.create(code="graffiti", name="Graffiti", keywords="paint,tag,wall")
    return cast


def test_it_answers_a_signed_sms_with_empty_twiml_and_stores_it(texting, services):
    response = texting("The street light is dark")
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.endswith(b"<Response/>")
    message = InboundMessage.objects.get(channel=Channel.SMS)
    assert message.status == InboundMessage.Status.PROCESSED
    assert message.sender == PHONE


@pytest.mark.parametrize("signature", ["", "wrong-signature"])
def test_it_refuses_a_missing_or_wrong_signature(client, fake_twilio, db, signature):
    params = {"MessageSid": "SM1", "From": PHONE, "To": FROM, "Body": "STOP"}
    response = post_signed(client, "inbound-sms", params, signature=signature)
    assert response.status_code == 403
    assert not InboundMessage.objects.exists()


def test_it_refuses_a_signature_made_with_another_token(client, fake_twilio, db):
    from .fake_twilio import sign

    params = {"MessageSid": "SM1", "From": PHONE, "To": FROM, "Body": "hello"}
    wrong = sign(PUBLIC + "/inbound/sms/twilio/", params, token="not-the-token")  # noqa: S106
    assert post_signed(client, "inbound-sms", params, signature=wrong).status_code == 403


def test_it_refuses_a_signature_for_another_url(client, fake_twilio, db):
    """The host Django sees is not what is signed: Twilio signed the public URL."""
    from .fake_twilio import sign

    params = {"MessageSid": "SM1", "From": PHONE, "To": FROM, "Body": "hello"}
    other = sign("http://testserver/inbound/sms/twilio/", params)
    assert post_signed(client, "inbound-sms", params, signature=other).status_code == 403


def test_it_refuses_everything_when_no_auth_token_is_set(client, db):
    params = {"MessageSid": "SM1", "From": PHONE, "Body": "hello"}
    assert post_signed(client, "inbound-sms", params).status_code == 403


def test_a_replayed_message_sid_creates_nothing_twice(texting, services):
    for _ in range(3):
        texting("The street light is dark", sid="SMreplayed")
    assert InboundMessage.objects.filter(channel=Channel.SMS).count() == 1
    assert Conversation.objects.filter(channel=Channel.SMS).count() == 1


def test_the_whole_dialogue_makes_a_case_and_speaks_twilio_rest(texting, services, fake_twilio):
    texting("The street light on Elm is dark")
    choices = fake_twilio.bodies_to(PHONE)[-1]
    assert "1. Streetlight out" in choices and "0. Something else" in choices
    texting("1")
    assert "address" in fake_twilio.bodies_to(PHONE)[-1]
    texting("12 Elm Street")
    case = Case.objects.get(channel=Channel.SMS)
    assert (case.service.code, case.address, case.reporter_phone) == ("streetlight", "12 Elm Street", PHONE)
    assert case.number in fake_twilio.bodies_to(PHONE)[-1]
    assert Conversation.objects.get(channel=Channel.SMS).case == case
    method, path, headers, body = fake_twilio.requests[-1]
    assert (method, path) == ("POST", f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json")
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert headers["Authorization"] == "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    form = parse_qs(body.decode())
    assert form["From"] == [FROM] and form["To"] == [PHONE]
    assert form["StatusCallback"] == [PUBLIC + "/inbound/sms/twilio/status/"]
    sent = OutboxMessage.objects.filter(channel="sms", status="sent").latest("id")
    assert sent.provider_id.startswith("SM") and sent.provider_status == "queued"


def test_other_files_the_case_in_triage_and_skip_leaves_no_address(texting, services, fake_twilio):
    texting("Paint on the wall and the lamp is broken")
    texting("0")
    texting("skip")
    case = Case.objects.get(channel=Channel.SMS)
    assert case.service.code == "unsorted" and case.address == ""


def test_a_wrong_choice_asks_again(texting, services, fake_twilio):
    texting("The street light is dark")
    texting("7")
    assert "one number" in fake_twilio.bodies_to(PHONE)[-1]
    assert Conversation.objects.get().step == "service"


def test_it_resumes_after_a_pause_and_starts_again_after_the_expiry(texting, services, fake_twilio):
    texting("The street light is dark")
    with time_machine.travel(timezone.now() + timedelta(hours=5)):
        texting("1")
        assert Conversation.objects.get().step == "location"
    with time_machine.travel(timezone.now() + timedelta(hours=40)):
        texting("Graffiti paint on the wall")
    assert Conversation.objects.filter(channel=Channel.SMS).count() == 2
    assert not Case.objects.filter(channel=Channel.SMS).exists()


def test_spanish_words_get_spanish_answers(texting, services, fake_twilio):
    texting("AYUDA")
    assert "Responda STOP" in fake_twilio.bodies_to(PHONE)[-1]
    texting("HELP", phone="+16175550124")
    assert "Reply STOP" in fake_twilio.bodies_to("+16175550124")[-1]
    texting("Hay un bache en la calle", phone="+16175550125")
    assert Conversation.objects.get(address="+16175550125").language == "es"


def test_stop_mid_conversation_ends_it_and_silences_the_number(texting, services, fake_twilio):
    texting("The street light is dark")
    before = len(fake_twilio.messages())
    texting("STOP")
    assert Conversation.objects.get().step == ""
    point = ContactPoint.objects.get(kind="phone", value=PHONE)
    assert point.sms_opted_out_at is not None
    texting("1")  # no dialogue, no answer
    texting("HELP")
    assert len(fake_twilio.messages()) == before
    assert not Case.objects.filter(channel=Channel.SMS).exists()


def test_the_outbox_never_sends_an_sms_to_a_number_that_said_stop(texting, services, fake_twilio, cast):
    case = case_actions.submit_case(
        service=services.tree, description="A tree", channel=Channel.SMS, reporter_phone=PHONE
    )
    Conversation.objects.create(channel=Channel.SMS, address=PHONE, case=case)
    texting("STOP")
    before = len(fake_twilio.messages())
    case_actions.reply(case, cast.carol, "We will be there on Monday.")
    from civicdesk.notify.delivery import deliver_due

    deliver_due()
    assert len(fake_twilio.messages()) == before
    withheld = OutboxMessage.objects.get(case=case, channel="sms", kind="reply")
    assert withheld.status == OutboxMessage.Status.CANCELLED


def test_start_restores_and_says_so(texting, services, fake_twilio):
    texting("STOP")
    texting("START")
    assert ContactPoint.objects.get(kind="phone", value=PHONE).sms_opted_out_at is None
    assert "again" in fake_twilio.bodies_to(PHONE)[-1]


def test_status_answers_the_reporting_phone_only(texting, services, fake_twilio):
    case = case_actions.submit_case(
        service=services.tree, description="A tree", channel=Channel.SMS, reporter_phone=PHONE
    )
    Case.objects.filter(pk=case.pk).update(expected_at=timezone.now() + timedelta(days=3))
    texting(f"STATUS {case.number}")
    answer = fake_twilio.bodies_to(PHONE)[-1]
    assert case.number in answer and "New" in answer and "Expected by" in answer
    texting(f"STATUS {case.number}", phone="+16175550999")
    assert "found no case" in fake_twilio.bodies_to("+16175550999")[-1]
    texting(f"ESTADO {case.number}")
    assert fake_twilio.bodies_to(PHONE)[-1].startswith(f"Caso {case.number}")


def test_a_staff_reply_goes_back_by_sms_masked(
    texting, services, fake_twilio, cast, django_capture_on_commit_callbacks
):
    texting("The street light is dark")
    texting("1")
    texting("skip")
    case = Case.objects.get(channel=Channel.SMS)
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.reply(case, cast.root, "Fixed. Call 617-555-0142 if not.")
    body = fake_twilio.bodies_to(PHONE)[-1]
    assert body.startswith(f"Case {case.number}: Fixed.")
    assert "617-555-0142" not in body  # the channel audience's masking


def test_delivery_status_callbacks_are_recorded(client, texting, services, fake_twilio):
    texting("HELP")
    sent = OutboxMessage.objects.get(channel="sms")
    params = {"MessageSid": sent.provider_id, "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert post_signed(client, "inbound-sms-status", params).status_code == 204
    sent.refresh_from_db()
    assert sent.provider_status == "undelivered" and "30003" in sent.last_error
    assert post_signed(client, "inbound-sms-status", params, signature="x").status_code == 403


def test_a_refusal_by_twilio_is_not_retried(texting, services, fake_twilio):
    fake_twilio.status = 400
    texting("HELP")
    message = OutboxMessage.objects.get(channel="sms")
    assert message.status == OutboxMessage.Status.CANCELLED and "HTTP 400" in message.last_error


def test_a_burst_is_taken_in_without_loss(texting, services, fake_twilio):
    """200 distinct texts from 200 numbers here (the benchmark sends 1,000 through gunicorn)."""
    count = 200
    for n in range(count):
        texting("HELP", phone=f"+1617555{n:04d}", sid=f"SMburst{n:05d}")
    assert InboundMessage.objects.filter(channel=Channel.SMS, status="processed").count() == count
    assert len(fake_twilio.messages()) == count


def test_staff_read_the_sms_thread_on_the_case_page(client, texting, services, fake_twilio, cast):
    texting("The street light on Elm is dark")
    texting("1")
    texting("skip")
    case = Case.objects.get(channel=Channel.SMS)
    client.force_login(cast.root)
    response = client.get(f"/staff/cases/{case.number}/")
    assert response.status_code == 200
    page = response.content.decode()
    section = page[page.index('id="conversation-title"') : page.index('id="timeline-title"')]
    assert "SMS conversation" in section
    assert section.index("The street light on Elm is dark") < section.index("Which of these is it?")
    assert section.index("Which of these is it?") < section.index(f"Your case number is {case.number}")
    assert PHONE not in section


def test_a_flood_of_forged_posts_is_slowed_down(client, fake_twilio, db, settings):
    settings.INBOUND_REFUSED_RATE = "2/m"
    params = {"MessageSid": "SM1", "From": PHONE, "To": FROM, "Body": "hello"}
    statuses = [post_signed(client, "inbound-sms", params, signature="forged").status_code for _ in range(4)]
    assert statuses[:2] == [403, 403] and statuses[-1] == 429
    assert not InboundMessage.objects.exists()


def test_a_post_without_message_sid_is_refused_cleanly(client, fake_twilio, db):
    assert post_signed(client, "inbound-sms", {"From": PHONE, "Body": "hello"}).status_code == 400


def test_a_staff_reply_by_sms_is_withheld_from_a_resident_who_asked_not_to_be_contacted(
    texting, services, fake_twilio, cast, django_capture_on_commit_callbacks
):
    from civicdesk.residents import directory

    texting("The street light is dark")
    texting("1")
    texting("skip")
    case = Case.objects.get(channel=Channel.SMS)
    resident = directory.resident_for(phone=PHONE)
    resident.preferred_channel = "none"  # told an agent on the phone
    resident.save()
    sent_before = len(fake_twilio.bodies_to(PHONE))
    with django_capture_on_commit_callbacks(execute=True):
        case_actions.reply(case, cast.root, "Fixed.")
    assert len(fake_twilio.bodies_to(PHONE)) == sent_before
    withheld = OutboxMessage.objects.get(case=case, kind="reply")
    assert (withheld.channel, withheld.status) == ("sms", "cancelled")


# ---------------------------------------------------------------- MMS: photos texted during the dialogue


def mms(fake_twilio, *files):
    """Serve each (bytes, content type) as Twilio's Media resource; the webhook's media fields."""
    fields = {"NumMedia": str(len(files))}
    for n, (data, content_type) in enumerate(files):
        path = f"/2010-04-01/Accounts/{ACCOUNT}/Messages/MM{len(fake_twilio.files)}/Media/ME{n}"
        fake_twilio.files[path] = (200, data, content_type)
        fields |= {f"MediaUrl{n}": fake_twilio.base + path, f"MediaContentType{n}": content_type}
    return fields


def media_fetches(fake_twilio):
    return [(path, headers) for method, path, headers, _body in fake_twilio.requests if method == "GET"]


def test_photos_texted_during_the_dialogue_are_attached_privately_to_the_case(texting, services, fake_twilio):
    texting("The street light is dark", **mms(fake_twilio, (image_bytes(), "image/jpeg")))
    assert not media_fetches(fake_twilio)  # fetched once the case is made, not before
    texting("1")
    texting("", **mms(fake_twilio, (image_bytes("PNG"), "image/png"), (b"BEGIN:VCARD", "text/vcard")))
    assert Conversation.objects.get().step == "location"  # a photo alone answers no question
    texting("12 Elm Street")
    case = Case.objects.get(channel=Channel.SMS)
    assert case.address == "12 Elm Street"
    assert sorted(case.attachments.values_list("content_type", "public")) == [
        ("image/jpeg", False),
        ("image/png", False),
    ]
    auth = "Basic " + base64.b64encode(f"{ACCOUNT}:{TOKEN}".encode()).decode()
    fetches = media_fetches(fake_twilio)
    assert len(fetches) == 3 and all(headers["Authorization"] == auth for _path, headers in fetches)
    vcard = InboundMessage.objects.get(text="", channel=Channel.SMS).attachments[1]
    assert (vcard["content_type"], vcard["outcome"], vcard["size"]) == ("text/vcard", "stored", 11)


def test_twilio_credentials_do_not_follow_a_redirect_to_storage(texting, services, fake_twilio):
    from .messaging_helpers import Provider

    storage = Provider()
    storage.files["/signed/photo.jpg"] = (200, image_bytes(), "image/jpeg")
    fields = mms(fake_twilio, (b"", "image/jpeg"))
    path = fields["MediaUrl0"].removeprefix(fake_twilio.base)
    fake_twilio.files[path] = (307, b"", "text/plain", {"Location": storage.url + "/signed/photo.jpg"})
    try:
        texting("Paint on the wall", **fields)
        texting("0")
        texting("skip")
    finally:
        storage.stop()
    assert Case.objects.get(channel=Channel.SMS).attachments.count() == 1
    [(_path, headers)] = storage.fetches
    assert "Authorization" not in headers


def test_a_photo_that_cannot_be_fetched_yet_holds_the_last_answer_back_whole(
    texting, services, fake_twilio, django_capture_on_commit_callbacks
):
    from civicdesk.inbound import actions

    fields = mms(fake_twilio, (image_bytes(), "image/jpeg"))
    fake_twilio.files[fields["MediaUrl0"].removeprefix(fake_twilio.base)] = (503, b"", "text/plain")
    texting("Paint on the wall", **fields)
    texting("0")
    texting("skip", sid="SMlast")
    last = InboundMessage.objects.get(key="twilio:SMlast")
    assert (last.status, last.attempts) == (InboundMessage.Status.RECEIVED, 1)
    assert not Case.objects.exists()
    assert Conversation.objects.get().step == "location"  # the answer is taken back, not lost
    fake_twilio.files[fields["MediaUrl0"].removeprefix(fake_twilio.base)] = (200, image_bytes(), "image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        actions.process(last.pk)  # what the worker's retry runs
    last.refresh_from_db()
    assert last.status == InboundMessage.Status.PROCESSED
    case = Case.objects.get(channel=Channel.SMS)
    assert case.attachments.count() == 1
    assert case.number in fake_twilio.bodies_to(PHONE)[-1]


def test_files_stored_before_a_fetch_that_must_wait_are_removed_and_stored_once_on_the_retry(
    texting, services, fake_twilio, django_capture_on_commit_callbacks, settings, tmp_path
):
    from civicdesk.inbound import actions

    settings.MEDIA_ROOT = tmp_path

    def stored_files():
        return [path for path in tmp_path.rglob("*") if path.is_file()]

    texting("Paint on the wall", **mms(fake_twilio, (b"%PDF-1.4 a permit", "application/pdf")))
    texting("0")
    photo = mms(fake_twilio, (image_bytes(), "image/jpeg"))
    photo_path = photo["MediaUrl0"].removeprefix(fake_twilio.base)
    fake_twilio.files[photo_path] = (503, b"", "text/plain")
    texting("skip", sid="SMlast", **photo)  # the permit is fetched and stored first, then the photo fails
    last = InboundMessage.objects.get(key="twilio:SMlast")
    assert (last.status, last.attempts) == (InboundMessage.Status.RECEIVED, 1)
    assert stored_files() == []
    fake_twilio.files[photo_path] = (200, image_bytes(), "image/jpeg")
    with django_capture_on_commit_callbacks(execute=True):
        actions.process(last.pk)
    permit = InboundMessage.objects.get(text="Paint on the wall").attachments[0]
    inbound = [path for path in stored_files() if "inbound" in path.parts]
    assert [path.relative_to(tmp_path).as_posix() for path in inbound] == [permit["stored"]]
    assert Case.objects.get(channel=Channel.SMS).attachments.count() == 1
