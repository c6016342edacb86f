"""The admin signs in through allauth: the same throttle, with backoff rather than a lock."""

from datetime import timedelta

import time_machine
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.test import Client
from django.utils import timezone

from civicdesk.accounts.adapter import DEVICE_COOKIE
from civicdesk.test import PASSWORD

START = timezone.make_aware(timezone.datetime(2026, 3, 2, 9, 0))


def admin_sign_in_url(client):
    """Where /admin/login/ sends a browser: allauth's sign-in, keeping `next`."""
    response = client.get("/admin/login/?next=/admin/accounts/user/")
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=%2Fadmin%2Faccounts%2Fuser%2F"
    return response.url


def sign_in(client, url, password):
    return client.post(url, {"login": "root@demo.test", "password": password})


def test_it_sends_the_admin_login_to_allauth_and_back_to_the_admin(client, cast):
    url = admin_sign_in_url(client)
    response = sign_in(client, url, PASSWORD)
    assert response.status_code == 302 and response.url == "/admin/accounts/user/"
    assert client.get("/admin/accounts/user/").status_code == 200
    # Signed in already: the admin's login page goes straight on.
    assert client.get("/admin/login/?next=/admin/").url == "/admin/"


def test_it_ignores_a_next_to_another_site(client, cast):
    response = client.get("/admin/login/?next=https://evil.example/")
    assert response.url == "/accounts/login/?next=%2Fadmin%2F"


def test_it_refuses_a_signed_in_non_administrator_without_a_redirect_loop(client, cast):
    client.force_login(cast.dave)
    assert client.get("/admin/").url.startswith("/admin/login/")
    assert client.get("/admin/login/?next=/admin/").status_code == 403


def test_it_refuses_the_right_password_after_25_wrong_ones_then_lets_it_in_later(client, cast):
    with time_machine.travel(START, tick=False) as clock:
        url = admin_sign_in_url(client)
        for attempt in range(25):
            response = sign_in(client, url, f"wrong-guess-{attempt}")
            assert response.status_code == 200
        assert "Too many failed login attempts" in response.content.decode()

        response = sign_in(client, url, PASSWORD)
        assert response.status_code == 200, "the right password got in during the throttle"
        assert "Too many failed login attempts" in response.content.decode()
        assert client.get("/admin/").status_code == 302
        assert "_auth_user_id" not in client.session

        # Backoff, not a lock: once the longest window has passed, root signs in.
        clock.shift(timedelta(minutes=31))
        response = sign_in(client, url, PASSWORD)
        assert response.status_code == 302 and response.url == "/admin/accounts/user/"
        assert client.get("/admin/").status_code == 200


def test_it_backs_off_per_account_in_short_windows(client, cast):
    """Five failures wait out five minutes; five more within half an hour wait out the half hour."""
    with time_machine.travel(START, tick=False) as clock:
        url = admin_sign_in_url(client)
        for attempt in range(5):
            sign_in(client, url, f"wrong-{attempt}")
        assert "Too many failed" in sign_in(client, url, PASSWORD).content.decode()
        clock.shift(timedelta(minutes=5, seconds=1))
        for attempt in range(5):
            assert "Too many failed" not in sign_in(client, url, f"wrong-again-{attempt}").content.decode()
        clock.shift(timedelta(minutes=5, seconds=1))
        # The five-minute window is clear, but ten failures in thirty minutes still hold.
        assert "Too many failed" in sign_in(client, url, PASSWORD).content.decode()
        clock.shift(timedelta(minutes=20))
        assert sign_in(client, url, PASSWORD).status_code == 302


def test_it_lets_a_password_reset_clear_the_accounts_throttle(client, cast):
    """The way out for a staff member whose account someone keeps guessing at."""
    with time_machine.travel(START, tick=False) as clock:
        url = admin_sign_in_url(client)
        for attempt in range(10):
            sign_in(client, url, f"wrong-{attempt}")
            clock.shift(timedelta(seconds=10))
        assert "Too many failed" in sign_in(client, url, PASSWORD).content.decode()

        key = default_token_generator.make_token(cast.root)
        response = client.get(f"/accounts/password/reset/key/{user_pk_to_url_str(cast.root)}-{key}/")
        new_password = "tram lantern orchard"
        response = client.post(response.url, {"password1": new_password, "password2": new_password})
        assert response.status_code == 302
        clock.shift(timedelta(minutes=1))
        response = sign_in(client, url, new_password)
        assert response.status_code == 302 and response.url == "/admin/accounts/user/"


ATTACKER = {"REMOTE_ADDR": "203.0.113.9"}


def fill_roots_window_from_elsewhere(clock):
    """Someone at another address guesses at root's password until the account's window is full
    (slowly enough for their own address's limit to let every guess count against the account)."""
    attacker = Client()
    for attempt in range(25):
        attacker.post(
            "/accounts/login/", {"login": "root@demo.test", "password": f"guess-{attempt}"}, **ATTACKER
        )
        clock.shift(timedelta(seconds=10))
    response = attacker.post(
        "/accounts/login/", {"login": "root@demo.test", "password": PASSWORD}, **ATTACKER
    )
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in attacker.session


def test_it_lets_root_in_from_a_browser_with_its_device_cookie_while_someone_guesses(client, cast):
    with time_machine.travel(START, tick=False) as clock:
        url = admin_sign_in_url(client)
        assert sign_in(client, url, PASSWORD).status_code == 302
        cookie = client.cookies[DEVICE_COOKIE]
        assert cookie["httponly"] and cookie["max-age"] >= 300 * 24 * 60 * 60
        client.post("/accounts/logout/")

        fill_roots_window_from_elsewhere(clock)

        # A browser without the cookie, even at root's own address, is still held back.
        stranger = Client()
        response = sign_in(stranger, admin_sign_in_url(stranger), PASSWORD)
        assert response.status_code == 200 and "Too many failed login attempts" in response.content.decode()
        # Another account's device cookie, or a forged one, does not help either.
        for value in (
            client.cookies[DEVICE_COOKIE].value.replace(f"{cast.root.pk}:", f"{cast.bob.pk}:"),
            "x",
        ):
            stranger.cookies[DEVICE_COOKIE] = value
            assert "Too many failed" in sign_in(stranger, url, PASSWORD).content.decode()
        bob_browser = Client()
        assert (
            bob_browser.post("/accounts/login/", {"login": "bob@demo.test", "password": PASSWORD}).status_code
            == 302
        )
        stranger.cookies[DEVICE_COOKIE] = bob_browser.cookies[DEVICE_COOKIE].value
        assert "Too many failed" in sign_in(stranger, url, PASSWORD).content.decode()

        # root's own browser gets in.
        response = sign_in(client, url, PASSWORD)
        assert response.status_code == 302 and response.url == "/admin/accounts/user/"
        assert client.get("/admin/").status_code == 200


def test_it_throttles_a_browser_with_a_device_cookie_on_its_own(client, cast):
    """The cookie swaps the account's window for the device's; it is not a pass to guess freely."""
    with time_machine.travel(START, tick=False) as clock:
        url = admin_sign_in_url(client)
        assert sign_in(client, url, PASSWORD).status_code == 302
        client.post("/accounts/logout/")
        for attempt in range(5):
            assert "Too many failed" not in sign_in(client, url, f"wrong-{attempt}").content.decode()
        assert "Too many failed" in sign_in(client, url, PASSWORD).content.decode()
        # The device's failures are its own: another browser is not held back by them.
        other = Client()
        assert sign_in(other, admin_sign_in_url(other), PASSWORD).status_code == 302
        clock.shift(timedelta(minutes=5, seconds=1))
        assert sign_in(client, url, PASSWORD).status_code == 302


def test_it_still_applies_the_address_limit_to_a_browser_with_a_device_cookie(client, cast):
    with time_machine.travel(START, tick=False):
        url = admin_sign_in_url(client)
        assert sign_in(client, url, PASSWORD).status_code == 302
        client.post("/accounts/logout/")
        # Ten failures from this address, on other accounts, fill the address's minute.
        for attempt in range(10):
            client.post(url, {"login": f"nobody{attempt}@demo.test", "password": "wrong"})
        assert "Too many failed" in sign_in(client, url, PASSWORD).content.decode()
