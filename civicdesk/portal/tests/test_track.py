import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from civicdesk.cases import actions
from civicdesk.cases.models import Status


def make_case(cast, **extra):
    return actions.submit_case(
        service=cast.pothole,
        description="Hole",
        answers={"depth": "deep"},
        reporter_email="res@example.org",
        reporter_name="Ronnie Reporter",
        reporter_phone="555-0100",
        **extra,
    )


def test_it_finds_a_case_by_number_and_email(client, cast):
    case = make_case(cast)
    response = client.post(
        reverse("portal-track-lookup"), {"number": case.number, "email": "RES@example.org"}
    )
    assert response.status_code == 302 and response.url == reverse("portal-track", args=[case.tracking_token])


def test_it_reveals_nothing_when_the_email_does_not_match(client, cast):
    case = make_case(cast)
    for number, email in [(case.number, "other@example.org"), ("26-999999", "res@example.org")]:
        response = client.post(reverse("portal-track-lookup"), {"number": number, "email": email})
        page = response.content.decode()
        assert response.status_code == 200 and "We found no case" in page and case.tracking_token not in page


def test_it_404s_for_an_unknown_tracking_link(client, cast):
    assert client.get(reverse("portal-track", args=["nope"])).status_code == 404


def test_it_shows_public_events_but_not_internal_notes_or_contact(client, cast):
    case = make_case(cast)
    actions.reply(case, cast.bob, "We will fix it this week.")
    actions.add_note(case, cast.bob, "Secret crew note")
    actions.change_status(case, cast.bob, Status.RESOLVED, message="Filled.")
    actions.resident_comment(case, "My neighbour Mrs Lopez saw it too")
    private = client.get(reverse("portal-track", args=[case.tracking_token])).content.decode()
    public = client.get(reverse("portal-case-public", args=[case.number])).content.decode()
    assert "We will fix it this week." in private and "Filled." in private and "Mrs Lopez" in private
    for page in (private, public):
        assert "Resolved" in page
        assert "Secret crew note" not in page and "res@example.org" not in page and "555-0100" not in page
        assert "Ronnie Reporter" not in page and "Bob Worker" not in page
    # The world sees progress, not what anyone wrote (replies and comments can name people).
    assert "We will fix it this week." not in public and "Mrs Lopez" not in public and "Filled." not in public


def test_it_rate_limits_lookups_by_number_and_email(client, cast, settings):
    settings.PORTAL_TRACK_RATE = "2/h"
    for _ in range(2):
        client.post(reverse("portal-track-lookup"), {"number": "26-000001", "email": "x@example.org"})
    response = client.post(reverse("portal-track-lookup"), {"number": "26-000001", "email": "x@example.org"})
    assert "Too many attempts" in response.content.decode()


def test_it_follows_only_to_a_safe_next_page(client, cast):
    case = make_case(cast)
    url = reverse("portal-follow", args=[case.number])
    response = client.post(url, {"email": "bad", "next": "https://evil.example/phish"})
    assert response.status_code == 302 and response.url == reverse("portal-home")
    for not_a_path in ("-1", "portal-home", "1e309"):
        response = client.post(url, {"email": "bad", "next": not_a_path})
        assert response.status_code == 302 and response.url == reverse("portal-home")


def test_it_keeps_the_tracking_link_off_the_public_page(client, cast):
    case = make_case(cast)
    page = client.get(reverse("portal-case-public", args=[case.number])).content.decode()
    assert case.tracking_token not in page and "Add a comment" not in page


def test_it_takes_a_comment_and_photo_from_the_reporter(client, cast):
    case = make_case(cast)
    actions.change_status(case, cast.bob, Status.WAITING_ON_RESIDENT, message="Which side of the street?")
    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, format="PNG")
    url = reverse("portal-track", args=[case.tracking_token])
    response = client.post(
        url, {"message": "North side", "photos": [SimpleUploadedFile("a.png", out.getvalue())]}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.OPEN and case.attachments.count() == 1
    assert "North side" in client.get(url).content.decode()


def test_it_asks_for_a_comment_or_photo(client, cast):
    case = make_case(cast)
    events = case.events.count()
    response = client.post(reverse("portal-track", args=[case.tracking_token]), {"message": ""})
    assert "Write a comment or choose a photo" in response.content.decode()
    assert case.events.count() == events


def test_it_serves_public_photos_to_anyone_and_internal_ones_to_staff_who_may_see_the_case(client, cast):
    out = io.BytesIO()
    Image.new("RGB", (30, 20)).save(out, format="PNG")
    case = make_case(cast)
    public = actions.attach_file(case, cast.bob, SimpleUploadedFile("a.png", out.getvalue()))
    internal = actions.attach_file(case, cast.bob, SimpleUploadedFile("b.png", out.getvalue()), public=False)
    url = lambda photo, size="full": reverse("portal-photo", args=[photo.pk, size])  # noqa: E731
    response = client.get(url(public, "thumb"))
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert client.get(url(internal)).status_code == 404
    client.force_login(cast.carol)  # Parks: not her case
    assert client.get(url(internal)).status_code == 404
    client.force_login(cast.bob)
    response = client.get(url(internal))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_it_refuses_a_49_megapixel_png_comment_with_a_field_message(client, cast):
    from civicdesk.cases.tests.test_attach import big_png

    case = make_case(cast)
    upload = SimpleUploadedFile("huge.png", big_png(7000, 7000), content_type="image/png")
    response = client.post(reverse("portal-track", args=[case.tracking_token]), {"photos": upload})
    assert response.status_code == 200
    assert response.context["form"].errors["photos"] == [
        "“huge.png” has too many pixels: photos may have at most 24 million. "
        "Send a smaller copy of the photo."
    ]
    assert not case.attachments.exists()
