"""Tracking-page comments (per address and per tracking link) and signed-in residents' reports (per
account) are rate-limited, with a clear, translated message and a 429."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from civicdesk.cases import actions
from civicdesk.cases.models import Case, EventKind

# Fixed-window limits: freeze the clock mid-window so no test straddles a window's end.
FROZEN = datetime(2026, 3, 2, 10, 20, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(FROZEN, tick=False):
        yield


def make_case(cast):
    return actions.submit_case(
        service=cast.pothole, description="Hole", answers={"depth": "deep"}, reporter_email="r@example.org"
    )


def comment(client, case, text, address="10.0.0.1"):
    url = reverse("portal-track", args=[case.tracking_token])
    return client.post(url, {"message": text}, REMOTE_ADDR=address)


def comments(case):
    return case.events.exclude(kind=EventKind.SUBMITTED).filter(message__startswith="note").count()


def test_it_limits_comments_from_one_address(client, cast, settings):
    settings.PORTAL_COMMENT_RATE = "2/h"
    first, second = make_case(cast), make_case(cast)
    assert [comment(client, first, f"note {n}").status_code for n in range(2)] == [302, 302]
    refused = comment(client, second, "note 3")
    assert refused.status_code == 429
    assert "Many comments were sent to this case or from this connection" in refused.content.decode()
    assert "40 minutes" in refused.content.decode()  # the window ends at 11:00; it is 10:20
    assert (comments(first), comments(second)) == (2, 0)
    assert comment(client, second, "note 4", address="10.0.0.2").status_code == 302


def test_it_limits_comments_on_one_tracking_link_from_many_addresses(client, cast, settings):
    settings.PORTAL_COMMENT_RATE = "2/h"
    case, other = make_case(cast), make_case(cast)
    codes = [comment(client, case, f"note {n}", address=f"10.0.1.{n}").status_code for n in range(3)]
    assert codes == [302, 302, 429]
    assert comments(case) == 2
    assert comment(client, other, "note x", address="10.0.2.1").status_code == 302


def test_it_counts_a_comment_before_decoding_its_photos(client, cast, settings):
    settings.PORTAL_COMMENT_RATE = "1/h"
    case = make_case(cast)
    assert comment(client, case, "note 1").status_code == 302
    url = reverse("portal-track", args=[case.tracking_token])
    with open(__file__, "rb") as not_a_photo:  # would be refused as "not a photo" if it were read
        response = client.post(url, {"photos": not_a_photo}, REMOTE_ADDR="10.0.0.1")
    assert response.status_code == 429 and "not a photo" not in response.content.decode()


def test_it_says_so_in_spanish(client, cast, settings):
    settings.PORTAL_COMMENT_RATE = "1/h"
    case = make_case(cast)
    comment(client, case, "note 1")
    url = reverse("portal-track", args=[case.tracking_token])
    response = client.post(
        url, {"message": "nota"}, REMOTE_ADDR="10.0.0.1", headers={"Accept-Language": "es"}
    )
    assert response.status_code == 429
    assert "Se enviaron muchos comentarios" in response.content.decode()


def report(client, cast, address="10.0.0.1"):
    data = {"description": "Deep hole", "attr_depth": "deep", "address": "12 Elm St", "confirm_new": "on"}
    return client.post(reverse("portal-report", args=[cast.pothole.code]), data, REMOTE_ADDR=address)


def test_it_limits_a_signed_in_residents_reports_per_account(client, cast, settings):
    settings.PORTAL_RESIDENT_SUBMIT_RATE = "2/h"
    settings.PORTAL_SUBMIT_RATE = "1/h"  # the anonymous limit per address does not apply to accounts
    client.force_login(cast.alice)
    codes = [report(client, cast, address=f"10.0.3.{n}").status_code for n in range(3)]
    assert codes == [302, 302, 429]
    assert Case.objects.filter(reporter=cast.alice).count() == 2
    refused = report(client, cast, address="10.0.3.9")
    assert "You have sent many reports recently" in refused.content.decode()
    client.force_login(cast.erin)  # another account from the same address is not affected
    assert report(client, cast, address="10.0.3.0").status_code == 302


def test_it_still_limits_anonymous_reports_per_address(client, cast, settings):
    settings.PORTAL_SUBMIT_RATE = "1/h"
    assert report(client, cast).status_code == 302
    refused = report(client, cast)
    assert refused.status_code == 429 and "many reports from this connection" in refused.content.decode()
    assert report(client, cast, address="10.0.0.2").status_code == 302
