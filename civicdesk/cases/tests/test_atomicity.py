"""An action that fails halfway leaves nothing behind: no case change, no event, no outbox row, no file."""

import io
import os

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.forms.models import model_to_dict
from PIL import Image

from civicdesk.cases import actions
from civicdesk.cases.attachments import removed_on_error
from civicdesk.cases.models import Attachment, Case, CaseEvent, CaseNumber
from civicdesk.notify.models import OutboxMessage


class Boom(RuntimeError):
    pass


def explode(*args, **kwargs):
    raise Boom("the database went away mid-action")


def submit(cast, **overrides):
    fields = {
        "service": cast.pothole,
        "description": "Hole",
        "answers": {"depth": "deep"},
        "reporter_email": "res@example.org",
    }
    return actions.submit_case(**(fields | overrides))


def snapshot():
    return {
        "cases": [model_to_dict(c) | {"version": c.version} for c in Case.objects.order_by("pk")],
        "events": CaseEvent.objects.count(),
        "outbox": OutboxMessage.objects.count(),
        "attachments": Attachment.objects.count(),
        "numbers": list(CaseNumber.objects.values_list("year", "last")),
    }


def media_files():
    return {os.path.join(root, f) for root, _, files in os.walk(settings.MEDIA_ROOT) for f in files}


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(out, format="JPEG")
    return SimpleUploadedFile("p.jpg", out.getvalue())


def fail_on(monkeypatch, target):
    """Make the outbox insert or the event insert raise, the way a lost connection would."""
    if target == "outbox":
        monkeypatch.setattr(OutboxMessage.objects, "create", explode)
    else:
        monkeypatch.setattr(CaseEvent.objects, "bulk_create", explode)


@pytest.mark.parametrize("target", ["outbox", "event"])
def test_it_writes_no_case_number_event_or_file_when_submit_fails(cast, monkeypatch, target):
    submit(cast)  # one committed case, so the number sequence has a row to (not) advance
    before, files = snapshot(), media_files()
    fail_on(monkeypatch, target)
    with pytest.raises(Boom):
        submit(cast, photos=[jpeg()])
    assert snapshot() == before
    assert media_files() == files  # the photo written before the failure was removed


@pytest.mark.parametrize("target", ["outbox", "event"])
def test_it_leaves_the_case_as_it_was_when_a_status_change_fails(cast, monkeypatch, target):
    case = submit(cast)
    before = snapshot()
    fail_on(monkeypatch, target)
    with pytest.raises(Boom):
        # resolving with a message writes the row, two events and a "resolved" e-mail
        actions.change_status(case, cast.dave, "resolved", message="Filled")
    assert snapshot() == before


@pytest.mark.parametrize("target", ["outbox", "event"])
def test_it_leaves_the_case_as_it_was_when_a_reply_fails(cast, monkeypatch, target):
    case = submit(cast)
    before = snapshot()
    fail_on(monkeypatch, target)
    with pytest.raises(Boom):
        actions.reply(case, cast.bob, "We are on it")
    assert snapshot() == before


def test_it_leaves_both_cases_as_they_were_when_a_merge_fails(cast, monkeypatch):
    first, second = submit(cast), submit(cast)
    before = snapshot()
    calls = []
    original = CaseEvent.objects.bulk_create

    def fail_on_last_event(events, *args, **kwargs):
        # the merge writes three events (status, merged, duplicate_added); fail on the last
        calls.extend(event.kind for event in events)
        if "duplicate_added" in calls:
            raise Boom("lost connection")
        return original(events, *args, **kwargs)

    monkeypatch.setattr(CaseEvent.objects, "bulk_create", fail_on_last_event)
    with pytest.raises(Boom):
        actions.merge(second, cast.dave, first)
    assert calls == ["status", "merged", "duplicate_added"]
    assert snapshot() == before
    second.refresh_from_db()
    assert second.duplicate_of is None and second.status == "new"


def test_it_removes_the_stored_file_when_attaching_fails(cast, monkeypatch):
    case = submit(cast)
    before, files = snapshot(), media_files()
    fail_on(monkeypatch, "event")
    with pytest.raises(Boom):
        actions.attach_file(case, cast.bob, jpeg())
    assert snapshot() == before and media_files() == files


def test_it_removes_the_files_of_earlier_cases_when_a_batch_fails_later(cast):
    before, files = snapshot(), media_files()
    with pytest.raises(Boom), removed_on_error(), transaction.atomic():
        submit(cast, photos=[jpeg()])  # an importer filing several cases in one transaction
        raise Boom("the next row of the import is broken")
    assert snapshot() == before and media_files() == files
