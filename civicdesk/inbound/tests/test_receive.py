"""Storing inbound e-mail: idempotent by Message-ID, bounded in size, processed by the queued task."""

import pytest
from django.test import override_settings

from civicdesk.cases.models import Case
from civicdesk.inbound import actions
from civicdesk.inbound.models import InboundMessage

MAIL = (
    b"From: Ana <ana@example.org>\r\nTo: 311@city.test\r\nSubject: Fallen tree\r\n"
    b"Message-ID: <same@example.org>\r\n\r\nA fallen tree on Elm Street.\r\n"
)


def test_it_makes_one_case_from_three_deliveries_of_one_message_id(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = actions.receive("email", actions.email_key(MAIL), MAIL)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            again = actions.receive("email", actions.email_key(MAIL), MAIL)
        assert again.pk == first.pk
    assert InboundMessage.objects.count() == 1
    assert Case.objects.filter(reporter_email="ana@example.org").count() == 1
    assert InboundMessage.objects.get().status == InboundMessage.Status.PROCESSED


def test_it_keys_a_message_without_message_id_by_its_bytes(cast):
    raw = MAIL.replace(b"Message-ID: <same@example.org>\r\n", b"")
    assert actions.email_key(raw).startswith("sha256:")
    assert actions.receive("email", None, raw).pk == actions.receive("email", None, raw).pk


def test_it_refuses_a_message_over_the_limit_before_storing_it(cast):
    huge = MAIL + b"x" * 2048
    with override_settings(INBOUND_MAX_BYTES=1024), pytest.raises(actions.TooLarge):
        actions.receive("email", None, huge)
    assert not InboundMessage.objects.exists()


def test_it_lists_an_attachment_too_big_for_a_photo_and_still_makes_the_case(cast):
    import base64

    big = base64.encodebytes(b"\x89PNG" + b"\0" * 3000)
    raw = (
        b"From: bo@example.org\r\nTo: 311@city.test\r\nSubject: Fallen tree\r\nMessage-ID: <big@x>\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'
        b"A fallen tree.\r\n--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; "
        b'filename="huge.png"\r\nContent-Transfer-Encoding: base64\r\n\r\n' + big + b"--b--\r\n"
    )
    with override_settings(ATTACHMENT_MAX_BYTES=1000):
        message = actions.process(actions.receive("email", None, raw).pk)
    assert message.status == "processed"
    assert message.attachments[0]["name"] == "huge.png"
    assert message.attachments[0]["outcome"].startswith("refused")
    assert message.case.attachments.count() == 0


def test_it_caps_acknowledgements_to_one_address(cast):
    from civicdesk.notify.models import OutboxMessage

    with override_settings(INBOUND_ACK_LIMIT=2):
        for n in range(4):
            raw = MAIL.replace(b"<same@example.org>", f"<n{n}@example.org>".encode())
            actions.process(actions.receive("email", None, raw).pk)
    acks = OutboxMessage.objects.filter(kind="acknowledgement", recipient="ana@example.org")
    assert acks.count() == 4
    assert acks.exclude(status="cancelled").count() == 2


def test_it_releases_a_quarantined_message_into_a_case(cast):
    raw = MAIL.replace(b"Subject:", b"Content-Type: text/plain; charset=x-nonsense\r\nSubject:")
    message = actions.process(actions.receive("email", None, raw).pk)
    assert message.status == "quarantined"
    released = actions.process(message.pk, release_by=cast.root)
    assert released.status == "processed"
    assert "fallen tree on Elm Street" in released.case.description
    assert released.released_by == cast.root


def test_it_discards_a_quarantined_message_and_keeps_its_bytes(cast):
    raw = MAIL.replace(b"Subject:", b"Content-Type: text/plain; charset=x-nonsense\r\nSubject:")
    message = actions.process(actions.receive("email", None, raw).pk)
    actions.discard(message)
    message.refresh_from_db()
    assert message.status == "discarded"
    assert bytes(message.raw) == raw


def test_it_quarantines_a_message_whose_processing_fails_and_keeps_no_half_case(cast, monkeypatch):
    from civicdesk.inbound import actions as module

    def broken(case, address):
        raise RuntimeError("boom")

    monkeypatch.setattr(module, "_cap_acknowledgements", broken)  # after the case was made
    message = actions.process(actions.receive("email", None, MAIL).pk)
    assert message.status == "quarantined"
    assert message.reason == "Processing failed: RuntimeError"
    assert not Case.objects.exists()
    assert InboundMessage.objects.get().case is None


def test_it_finds_a_folded_message_id(cast):
    raw = MAIL.replace(b"Message-ID: <same@example.org>", b"Message-ID:\r\n <folded@example.org>")
    assert actions.email_key(raw) == "<folded@example.org>"


def test_it_removes_the_photo_files_of_a_case_it_could_not_finish(cast, monkeypatch, settings):
    import base64
    import io
    import os

    from PIL import Image

    from civicdesk.inbound import actions as module

    def files():
        return {os.path.join(r, f) for r, _d, names in os.walk(settings.MEDIA_ROOT) for f in names}

    out = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, format="JPEG")
    raw = (
        b"From: bo@example.org\r\nTo: 311@city.test\r\nSubject: Fallen tree\r\nMessage-ID: <photo@x>\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'
        b"A fallen tree.\r\n--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; "
        b'filename="tree.jpg"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(out.getvalue())
        + b"--b--\r\n"
    )
    before = files()
    monkeypatch.setattr(module, "_cap_acknowledgements", lambda case, address: 1 / 0)  # after the photo
    assert actions.process(actions.receive("email", None, raw).pk).status == "quarantined"
    assert files() == before


def test_it_decodes_an_emailed_photo_once(cast, monkeypatch):
    """The photo is checked (decoded, re-encoded, thumbnailed) before the case is made, so a bad one
    refuses only itself; the attachment then uses that work instead of doing it again."""
    import base64
    import io

    from PIL import Image

    from civicdesk.cases import attachments

    png = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(png, format="PNG")
    raw = (
        b"From: bo@example.org\r\nTo: 311@city.test\r\nSubject: Fallen tree\r\nMessage-ID: <photo@x>\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n'
        b"A fallen tree.\r\n--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; "
        b'filename="tree.png"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        + base64.encodebytes(png.getvalue())
        + b"--b--\r\n"
    )
    thumbnails = []
    real_thumb = attachments._thumb
    monkeypatch.setattr(attachments, "_thumb", lambda data: thumbnails.append(1) or real_thumb(data))
    message = actions.process(actions.receive("email", None, raw).pk)
    assert message.case.attachments.get().public is False
    assert len(thumbnails) == 1
