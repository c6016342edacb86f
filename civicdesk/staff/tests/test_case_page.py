"""The case page: every field, location as map and text, photos, timeline, forms offered per role."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from PIL import Image

from civicdesk.cases import actions
from civicdesk.cases.models import Channel

from .helpers import case_url, page_text


def png(name="photo.png", colour="red"):
    data = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(data, format="PNG")
    return SimpleUploadedFile(name, data.getvalue(), content_type="image/png")


@pytest.fixture
def case(report):
    return report(
        description="Hole by the bus stop",
        address="12 Elm Street",
        latitude=42.3601,
        longitude=-71.0589,
        reporter_name="Rita Reporter",
        reporter_email="rita@example.org",
        reporter_phone="617-555-0100",
        channel=Channel.WEB,
        photos=[png()],
    )


def show(client, user, case):
    client.force_login(user)
    response = client.get(case_url(case))
    assert response.status_code == 200
    return page_text(response)


def test_it_shows_every_field(client, cast, case):
    text = show(client, cast.bob, case)
    for expected in (
        case.number,
        "Pothole",
        "Public Works",
        "Normal",
        "New",
        "Web",
        "Hole by the bus stop",
        "How deep is it?",
        "Deep",
        "12 Elm Street",
        "latitude 42.360100, longitude -71.058900",
    ):
        assert expected in text, expected


def test_it_hides_the_reporters_contact_details_until_asked(client, cast, case):
    for person in (cast.bob, cast.dave, cast.erin):
        text = show(client, person, case)
        assert "rita@example.org" not in text and "617-555-0100" not in text and "Rita Reporter" not in text


def test_a_signed_in_residents_timeline_entries_name_no_one(client, cast, report):
    """A comment or a "me too" by a signed-in resident (even on an anonymous report) must not show
    department staff the person's name or e-mail: that is contact data (view_contact, audited)."""
    anonymous = report(description="Reported without contact")
    actions.resident_comment(anonymous, "Still there", reporter=cast.alice)
    actions.follow(anonymous, user=cast.alice)
    text = show(client, cast.bob, anonymous)
    assert "Still there" in text and "Resident" in text
    assert "Alice" not in text and "alice@demo.test" not in text
    labels = set(anonymous.events.exclude(actor=None).values_list("actor_label", flat=True))
    assert labels == {"resident"}


@override_settings(MAP_TILE_URL="https://tiles.city.test/{z}/{x}/{y}.png")
def test_it_gives_the_map_its_tiles_and_a_text_alternative(client, cast, case):
    text = show(client, cast.bob, case)
    assert 'data-tiles="https://tiles.city.test/{z}/{x}/{y}.png"' in text
    assert 'data-lat="42.3601" data-lng="-71.0589"' in text
    assert "vendor/leaflet/leaflet.js" in text
    assert "12 Elm Street" in text


def test_it_shows_no_map_without_coordinates(client, cast, report):
    text = show(client, cast.bob, report(address="Somewhere"))
    assert "data-case-map" not in text and "Not given" in text


def test_it_shows_photo_thumbnails_linking_to_the_full_image(client, cast, case):
    photo = case.attachments.get()
    text = show(client, cast.bob, case)
    full, thumb = (reverse("portal-photo", args=[photo.pk, size]) for size in ("full", "thumb"))
    assert f'<a href="{full}"><img src="{thumb}"' in text
    assert 'alt="Photo 1: open full size"' in text


def test_it_tells_public_and_internal_timeline_entries_apart_in_words(client, cast, case):
    actions.reply(case, cast.bob, "We will fix it this week")
    actions.add_note(case, cast.bob, "Needs the big truck")
    text = show(client, cast.bob, case)
    reply_at, note_at = text.index("We will fix it this week"), text.index("Needs the big truck")
    reply_entry = text[text.rindex('<li class="event', 0, reply_at) : reply_at]
    note_entry = text[text.rindex('<li class="event', 0, note_at) : note_at]
    assert '<span class="tag public">Public</span>' in reply_entry
    assert '<span class="tag internal">Internal</span>' in note_entry


def test_it_describes_changes_in_words(client, cast, case):
    actions.change_status(case, cast.bob, "in_progress")
    assert "Status: from “New” to “In progress”" in show(client, cast.bob, case)


def test_it_shows_html_and_script_in_the_description_as_text(client, cast, report):
    case = report(description='<script>alert("x")</script><img src=x onerror=alert(1)>')
    actions.add_note(case, cast.bob, "<b>not bold</b>")
    text = show(client, cast.bob, case)
    assert "<script>alert" not in text and "<img src=x" not in text and "<b>not bold</b>" not in text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    assert "&lt;b&gt;not bold&lt;/b&gt;" in text


FORM_PATHS = {
    "reply": "reply",
    "note": "note",
    "assign": "assign",
    "status": "status",
    "priority": "priority",
    "recategorise": "service",
    "merge": "merge",
    "attach": "attach",
}


def forms_offered(client, user, case):
    text = show(client, user, case)
    return {
        name for name, path in FORM_PATHS.items() if f'action="/staff/cases/{case.number}/{path}/"' in text
    }


@pytest.mark.parametrize(
    ("person", "missing"),
    [
        ("bob", set()),
        ("dave", set()),
        ("erin", {"priority"}),
        ("root", set()),
    ],
)
def test_it_offers_the_forms_each_role_may_use(client, cast, case, person, missing):
    offered = forms_offered(client, getattr(cast, person), case)
    assert offered == set(FORM_PATHS) - missing


def test_it_lets_department_staff_pick_a_person_but_not_another_department(client, cast, case):
    text = show(client, cast.bob, case)
    assert 'name="assign-assignee"' in text and 'name="assign-department"' not in text


def test_it_lets_agents_send_to_a_department_but_not_pick_a_person(client, cast, case):
    text = show(client, cast.erin, case)
    assert 'name="assign-department"' in text and 'name="assign-assignee"' not in text


def test_it_lets_supervisors_send_anywhere_and_pick_people(client, cast, case):
    text = show(client, cast.dave, case)
    assert 'value="parks"' in text and 'name="assign-assignee"' in text


def test_it_offers_only_the_allowed_status_changes(client, cast, case):
    actions.change_status(case, cast.bob, "resolved")
    text = show(client, cast.bob, case)
    status_select = text[
        text.index('name="status-status"') : text.index("</select>", text.index('name="status-status"'))
    ]
    assert 'value="closed"' in status_select and 'value="reopened"' in status_select
    assert 'value="in_progress"' not in status_select and 'value="duplicate"' not in status_select


def test_it_documents_keyboard_shortcuts(client, cast, case):
    text = show(client, cast.bob, case)
    assert "<kbd>r</kbd>" in text and 'data-shortcut="r"' in text and "staff/shortcuts.js" in text


def test_it_suggests_open_cases_of_the_same_service_nearby_for_merging(client, cast, case, report):
    near = report(latitude=42.3602, longitude=-71.0590, address="14 Elm Street")
    far = report(latitude=40.0, longitude=-70.0)
    text = show(client, cast.bob, case)
    assert f'name="merge-pick" value="{near.number}"' in text
    assert f'value="{far.number}"' not in text
