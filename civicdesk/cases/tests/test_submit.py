import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from civicdesk.cases import actions
from civicdesk.cases.models import Case, CaseEvent, EventKind
from civicdesk.notify.models import OutboxMessage


def submit(cast, **overrides):
    fields = {
        "service": cast.pothole,
        "description": "Big hole on Main St",
        "answers": {"depth": "deep"},
        "latitude": 42.36,
        "longitude": -71.06,
        "reporter_email": "Res@Example.org",
        "reporter_name": "Res",
    }
    return actions.submit_case(**(fields | overrides))


def test_it_creates_a_numbered_case_with_its_event(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(cast)
    assert re.fullmatch(r"\d{2}-\d{6}", case.number)
    assert case.number[:2] == f"{case.created_at.year % 100:02d}"
    assert case.department == cast.public_works
    assert case.geo_cell
    assert case.reporter_email == "res@example.org"
    event = case.events.get(kind=EventKind.SUBMITTED)
    assert event.kind == EventKind.SUBMITTED and event.public
    assert OutboxMessage.objects.get().status == "sent"
    assert mail.outbox[0].to == ["res@example.org"]
    assert case.number in mail.outbox[0].subject and case.tracking_url in mail.outbox[0].body


def test_it_numbers_cases_in_sequence(cast):
    # One at a time on one connection: consecutive (PostgreSQL's sequence is not rolled back
    # between tests, so where it starts is not known).
    numbers = [int(submit(cast).number[-6:]) for _ in range(3)]
    assert numbers == list(range(numbers[0], numbers[0] + 3))


def test_it_accepts_an_anonymous_case_without_location(cast):
    case = submit(cast, reporter_email="", reporter_name="", latitude=None, longitude=None)
    assert case.reporter_email == "" and not case.has_location
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"description": "x" * 4001}, "description"),
        ({"answers": {}}, "attribute[depth]"),
        ({"answers": {"depth": "bottomless"}}, "attribute[depth]"),
        ({"answers": {"depth": "deep", "width_cm": "wide"}}, "attribute[width_cm]"),
        ({"answers": {"depth": "deep", "colour": "red"}}, "attribute[colour]"),
        ({"latitude": 91}, "latitude"),
        ({"latitude": "north"}, "latitude"),
        ({"service": "no-such-service"}, "service"),
    ],
)
def test_it_refuses_bad_input_with_a_field_message_and_writes_nothing(cast, overrides, field):
    with pytest.raises(ValidationError) as error:
        submit(cast, **overrides)
    assert field in error.value.message_dict
    assert not Case.objects.exists() and not CaseEvent.objects.exists()


def test_it_reports_every_bad_field_at_once(cast):
    with pytest.raises(ValidationError) as error:
        submit(cast, description="x" * 5000, latitude=100, answers={})
    assert {"description", "latitude", "attribute[depth]"} <= set(error.value.message_dict)


def test_it_writes_the_acknowledgement_in_the_reporters_language(cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit(cast, language="es")
    assert "Recibimos" in mail.outbox[0].subject


def test_it_lets_a_channel_write_its_own_record_in_the_cases_transaction(
    cast, django_capture_on_commit_callbacks
):
    """`on_created` sees the stored, routed case before anything is committed or sent."""
    seen = []

    def on_created(case):
        stored = Case.objects.get(pk=case.pk)
        seen.append(
            (
                stored.number,
                list(stored.events.order_by("id").values_list("kind", flat=True)),
                len(mail.outbox),
            )
        )

    with django_capture_on_commit_callbacks(execute=True):
        case = submit(cast, on_created=on_created)
    assert seen == [(case.number, [EventKind.SUBMITTED, EventKind.ROUTED], 0)]
    assert len(mail.outbox) == 1  # the acknowledgement, after the commit


def test_it_keeps_nothing_when_on_created_fails(cast):
    def on_created(case):
        raise ValidationError({"device_id": "refused by the channel"})

    with pytest.raises(ValidationError):
        submit(cast, on_created=on_created)
    assert not Case.objects.exists() and not CaseEvent.objects.exists() and not OutboxMessage.objects.exists()


def test_it_leaves_the_acknowledgement_for_the_worker_to_render(cast):
    """The request stores what to send; delivery renders it, in the reporter's language."""
    from civicdesk.notify.delivery import deliver

    case = submit(cast, language="es")  # on-commit tasks not run: nothing delivered yet
    message = OutboxMessage.objects.get(case=case, kind="acknowledgement")
    assert (message.subject, message.body) == ("", "")
    assert (message.recipient, message.language) == ("res@example.org", "es")
    assert deliver(message.pk) == OutboxMessage.Status.SENT
    message.refresh_from_db()
    assert case.number in message.subject and "Gracias. Recibimos su reporte" in message.body
    assert case.tracking_url in message.body and mail.outbox[0].body == message.body


def test_it_cancels_an_acknowledgement_whose_case_is_gone(cast):
    from civicdesk.notify.delivery import deliver

    case = submit(cast)
    message = OutboxMessage.objects.get(case=case, kind="acknowledgement")
    case.delete()
    assert deliver(message.pk) == OutboxMessage.Status.CANCELLED
    assert mail.outbox == []
