"""Staff sessions end after STAFF_IDLE_TIMEOUT_MINUTES (30) without a request; residents' do not."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from civicdesk.accounts.middleware import LAST_SEEN_KEY

START = timezone.make_aware(timezone.datetime(2026, 3, 2, 9, 0))


def test_it_signs_staff_out_after_30_idle_minutes(client, cast):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(cast.bob)
        assert client.get("/staff/").status_code == 200
        clock.shift(timedelta(minutes=29))
        assert client.get("/staff/").status_code == 200  # activity restarts the clock
        clock.shift(timedelta(minutes=30))
        assert client.get("/staff/").status_code == 200
        clock.shift(timedelta(minutes=30, seconds=1))
        response = client.get("/staff/", follow=True)
        assert response.redirect_chain[0][0].startswith("/accounts/login/?next=/staff/")
        assert "_auth_user_id" not in client.session
        assert "signed out after 30 minutes without activity" in response.content.decode()


def test_it_treats_the_api_with_an_idle_session_as_anonymous(client, cast):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(cast.dave)
        assert client.get("/api/v1/cases").status_code == 200
        clock.shift(timedelta(minutes=31))
        assert client.get("/api/v1/cases").status_code == 401


def test_it_does_not_sign_residents_out(client, cast):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(cast.alice)
        assert client.get("/my/cases/").status_code == 200
        clock.shift(timedelta(hours=5))
        assert client.get("/my/cases/").status_code == 200


def test_it_follows_the_setting(client, cast, settings):
    settings.STAFF_IDLE_TIMEOUT_MINUTES = 5
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(cast.erin)
        assert client.get("/staff/").status_code == 200
        clock.shift(timedelta(minutes=6))
        assert client.get("/staff/").status_code == 302


def test_it_writes_the_last_seen_time_at_most_once_a_minute(client, cast):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(cast.bob)
        client.get("/staff/")
        first = client.session[LAST_SEEN_KEY]
        clock.shift(timedelta(seconds=59))
        client.get("/staff/")
        assert client.session[LAST_SEEN_KEY] == first
        clock.shift(timedelta(seconds=1))
        client.get("/staff/")
        assert client.session[LAST_SEEN_KEY] == first + 60


def test_it_sends_the_whole_page_to_sign_in_when_an_htmx_request_finds_the_session_ended(client, cast):
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(cast.bob)
        client.get("/staff/")
        clock.shift(timedelta(minutes=31))
        htmx = {"HX-Request": "true", "HX-Current-URL": "http://testserver/staff/?status=open"}
        response = client.get("/staff/", headers=htmx)
        assert response.status_code == 204
        assert response.headers["HX-Redirect"] == "/accounts/login/?next=%2Fstaff%2F%3Fstatus%3Dopen"
        assert "_auth_user_id" not in client.session
