import io
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from civicdesk.cases import actions
from civicdesk.cases.models import Case, CaseFollower, EventKind
from civicdesk.notify.models import OutboxMessage


def jpeg(name="photo.jpg"):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, format="JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def post(client, cast, **overrides):
    data = {
        "description": "Deep hole by the school",
        "attr_depth": "deep",
        "address": "12 Elm St",
        "name": "Res",
        "email": "res@example.org",
        "phone": "",
    }
    return client.post(reverse("portal-report", args=[cast.pothole.code]), data | overrides)


def test_it_lists_services_by_group_and_filters_them(client, cast):
    page = client.get(reverse("portal-home")).content.decode()
    assert "Streets" in page and "Pothole" in page and "Fallen tree" in page
    page = client.get(reverse("portal-home"), {"q": "pothole"}).content.decode()
    assert "Pothole" in page and "Fallen tree" not in page


def test_it_shows_services_in_spanish(client, cast):
    client.cookies["django_language"] = "es"
    page = client.get(reverse("portal-home")).content.decode()
    assert "Bache" in page and 'lang="es"' in page


def test_it_files_a_case_and_shows_the_confirmation(client, cast, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, cast, photos=[jpeg(), jpeg("b.jpg")], latitude="42.3", longitude="-71.1")
    case = Case.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "portal-submitted", args=[case.tracking_token]
    )
    assert case.attributes == {"depth": "deep"} and case.channel == "web" and case.attachments.count() == 2
    assert case.latitude == 42.3 and case.address == "12 Elm St"
    page = client.get(response.url).content.decode()
    assert case.number in page and case.tracking_token in page
    assert mail.outbox[0].to == ["res@example.org"]


def test_it_keeps_everything_entered_when_a_field_is_wrong(client, cast):
    response = post(client, cast, attr_depth="", description="Still here <b>typed</b>")
    page = response.content.decode()
    assert response.status_code == 200 and not Case.objects.exists()
    assert "Still here &lt;b&gt;typed&lt;/b&gt;" in page and 'value="12 Elm St"' in page
    assert 'href="#field-attr_depth"' in page and "This field is required" in page


def test_it_puts_action_errors_on_the_field(client, cast):
    response = post(client, cast, photos=[SimpleUploadedFile("x.jpg", b"not an image")])
    assert "is not a photo we can read" in response.content.decode() and not Case.objects.exists()


def test_it_files_anonymously_without_contact(client, cast):
    post(client, cast, anonymous="on")
    case = Case.objects.get()
    assert case.reporter_email == "" and case.reporter_name == "" and case.reporter is None


def test_it_links_a_signed_in_residents_case_to_the_account(client, cast):
    client.force_login(cast.alice)
    post(client, cast, email="")
    assert Case.objects.get().reporter == cast.alice
    assert Case.objects.get().reporter_email == "alice@demo.test"


def test_it_offers_nearby_open_cases_before_filing(client, cast):
    existing = actions.submit_case(
        service=cast.pothole, description="Hole", answers={"depth": "deep"}, latitude=42.3, longitude=-71.1
    )
    response = post(client, cast, latitude="42.3001", longitude="-71.1001")
    page = response.content.decode()
    assert "Is it one of these?" in page and existing.number in page and Case.objects.count() == 1
    response = post(client, cast, latitude="42.3001", longitude="-71.1001", confirm_new="True")
    assert response.status_code == 302 and Case.objects.count() == 2


def test_it_asks_for_the_photos_again_when_it_shows_the_form_again(client, cast):
    actions.submit_case(
        service=cast.pothole, description="Hole", answers={"depth": "deep"}, latitude=42.3, longitude=-71.1
    )
    page = post(client, cast, latitude="42.3001", longitude="-71.1001", photos=jpeg()).content.decode()
    assert "Is it one of these?" in page and "Choose your photos again" in page
    page = post(client, cast, latitude="42.3001", longitude="-71.1001").content.decode()
    assert "Choose your photos again" not in page


def test_it_follows_an_existing_case_instead(client, cast):
    existing = actions.submit_case(service=cast.pothole, description="Hole", answers={"depth": "deep"})
    url = reverse("portal-follow", args=[existing.number])
    response = client.post(url, {"email": "me@example.org"})
    assert response.status_code == 302
    client.post(url, {"email": "me@example.org"})
    assert CaseFollower.objects.filter(case=existing, email="me@example.org").count() == 1
    assert existing.events.filter(kind=EventKind.FOLLOWED).count() == 1


def test_it_refuses_get_on_follow(client, cast):
    existing = actions.submit_case(service=cast.pothole, description="Hole", answers={"depth": "deep"})
    assert client.get(reverse("portal-follow", args=[existing.number])).status_code == 405


def test_it_404s_for_an_unknown_or_inactive_service(client, cast):
    cast.tree.active = False
    cast.tree.save()
    assert client.get(reverse("portal-report", args=["tree"])).status_code == 404
    assert client.get(reverse("portal-report", args=["nope"])).status_code == 404


@override_settings(PORTAL_SUBMIT_RATE="2/h")
def test_it_rate_limits_anonymous_submissions_with_a_clear_message(client, cast):
    cache.clear()
    for _ in range(2):
        assert post(client, cast).status_code == 302
    response = post(client, cast)
    assert response.status_code == 429 and "many reports from this connection" in response.content.decode()
    assert Case.objects.count() == 2


@pytest.mark.parametrize("field", ["description", "name"])
def test_it_shows_script_as_text(client, cast, field):
    post(client, cast, **{field: "<script>alert(1)</script>"})
    case = Case.objects.get()
    page = client.get(reverse("portal-track", args=[case.tracking_token])).content.decode()
    assert "<script>alert(1)</script>" not in page


def _follower_mail(address):
    return [m for m in mail.outbox if m.to == [address]]


def _link(message, name):
    return next(
        line for line in message.body.splitlines() if "/following/" in line and line.endswith(f"/{name}/")
    )


def test_a_follower_confirms_the_address_then_hears_of_the_resolution_only(
    client, cast, django_capture_on_commit_callbacks
):
    existing = actions.submit_case(
        service=cast.pothole,
        description="Hole",
        answers={"depth": "deep"},
        reporter_email="first@example.org",
        reporter_name="Ronnie Reporter",
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal-follow", args=[existing.number]), {"email": "MeToo@example.org"}
        )
    assert "open the link we sent to MeToo@example.org" in client.get(response.url).content.decode()
    [confirmation] = _follower_mail("metoo@example.org")
    assert existing.number in confirmation.subject and "Ronnie" not in confirmation.body
    with django_capture_on_commit_callbacks(execute=True):  # unconfirmed: nothing yet
        actions.change_status(existing, cast.bob, "in_progress")
    confirm = _link(confirmation, "confirm").removeprefix("http://testserver")
    assert "Yes, e-mail me" in client.get(confirm).content.decode()  # a GET (a mail scanner) changes nothing
    assert not CaseFollower.objects.get(email="metoo@example.org").confirmed
    assert client.post(confirm).status_code == 302
    assert CaseFollower.objects.get(email="metoo@example.org").confirmed
    with django_capture_on_commit_callbacks(execute=True):
        actions.reply(existing, cast.bob, "Crew booked for Ronnie's street")
        actions.change_status(existing, cast.bob, "resolved", message="Filled, Ronnie.")
    confirmation, resolved = _follower_mail("metoo@example.org")
    assert "resolved" in resolved.subject and existing.number in resolved.body
    # A stranger's copy names nobody, quotes nothing and never carries the private tracking link.
    for secret in ("Ronnie", "Crew booked", "Filled", existing.tracking_token):
        assert secret not in resolved.body
    assert reverse("portal-case-public", args=[existing.number]) in resolved.body
    assert len(_follower_mail("first@example.org")) == 2  # the reply and the resolution, in full
    stop = _link(resolved, "stop").removeprefix("http://testserver")
    assert client.post(stop).status_code == 302
    follower = CaseFollower.objects.get(case=existing)
    assert (follower.email, follower.confirmed) == ("", False)
    assert existing.events.filter(kind=EventKind.FOLLOWED).count() == 1  # still counted as a report


def test_a_signed_in_person_following_with_their_own_address_needs_no_confirmation(client, cast):
    existing = actions.submit_case(service=cast.pothole, description="Hole", answers={"depth": "deep"})
    client.force_login(cast.alice)
    client.post(reverse("portal-follow", args=[existing.number]))
    assert CaseFollower.objects.get(case=existing, user=cast.alice).confirmed
    assert mail.outbox == [] and not OutboxMessage.objects.filter(kind="follow_confirm").exists()


@pytest.mark.parametrize("token", ["nope", "x" * 500])
def test_a_forged_or_expired_follow_link_changes_nothing(client, cast, token):
    existing = actions.submit_case(service=cast.pothole, description="Hole", answers={"depth": "deep"})
    actions.follow(existing, email="metoo@example.org")
    follower = CaseFollower.objects.get()
    for url in (reverse("portal-follow-confirm", args=[token]), reverse("portal-follow-stop", args=[token])):
        assert client.post(url).status_code == 404
    confirm = reverse("portal-follow-confirm", args=[follower.token])
    with time_machine.travel(timezone.now() + timedelta(days=CaseFollower.CONFIRM_DAYS + 1)):
        response = client.post(confirm)
    assert response.status_code == 404 and not CaseFollower.objects.get().confirmed


def test_the_follow_links_write_one_internal_event_each_however_often_they_are_opened(client, cast):
    existing = actions.submit_case(service=cast.pothole, description="Hole", answers={"depth": "deep"})
    actions.follow(existing, email="metoo@example.org")
    token = CaseFollower.objects.get().token
    confirm, stop = (reverse(name, args=[token]) for name in ("portal-follow-confirm", "portal-follow-stop"))
    assert [client.post(confirm).status_code for _ in range(2)] == [302, 302]
    assert [client.post(stop).status_code for _ in range(2)] == [302, 404]  # no address left to stop
    kinds = [EventKind.FOLLOWER_CONFIRMED, EventKind.FOLLOWER_STOPPED]
    logged = existing.events.filter(kind__in=kinds).order_by("id")
    assert [(e.kind, e.public) for e in logged] == [(kind, False) for kind in kinds]
    page = client.get(reverse("portal-case-public", args=[existing.number])).content.decode()
    assert "Follower" not in page


def test_it_rate_limits_follow_requests(client, cast, settings):
    settings.PORTAL_FOLLOW_RATE = "2/h"
    existing = actions.submit_case(service=cast.pothole, description="Hole", answers={"depth": "deep"})
    url = reverse("portal-follow", args=[existing.number])
    for n in range(3):
        response = client.post(url, {"email": f"p{n}@example.org"}, follow=True)
    assert "Too many attempts" in response.content.decode()
    assert CaseFollower.objects.count() == 2
