"""MFA for everyone; required for staff roles when MFA_REQUIRED_FOR_STAFF is on (production)."""

import re
import time

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP as TOTPAuthenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client
from django.utils import timezone

from civicdesk.accounts.models import Role
from civicdesk.api.models import ApiToken
from civicdesk.notify.models import OutboxMessage
from civicdesk.test import PASSWORD

START = timezone.make_aware(timezone.datetime(2026, 3, 2, 9, 0))
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

pytestmark = pytest.mark.usefixtures("mfa_required")


@pytest.fixture
def mfa_required(settings):
    settings.MFA_REQUIRED_FOR_STAFF = True


def code_for(secret, steps_from_now=0):
    """What the person's authenticator app shows now (RFC 6238, as allauth checks it), or
    `steps_from_now` 30-second steps later (earlier, if negative)."""
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 + steps_from_now))


def wrong_code_for(secret):
    """A code the app showed a day ago, skipping any that happens to equal one accepted now (the
    current step and one either side), so it is wrong for certain, not with odds of a million to one."""
    accepted = {code_for(secret, steps) for steps in (-1, 0, 1)}
    return next(code for steps in range(-2880, -2800) if (code := code_for(secret, steps)) not in accepted)


def sign_in(client, email):
    return client.post("/accounts/login/", {"login": email, "password": PASSWORD})


@pytest.mark.parametrize("name", ["bob", "dave", "erin", "root"])
def test_it_sends_every_staff_role_without_mfa_to_set_it_up(client, cast, name):
    sign_in(client, f"{name}@demo.test")
    for path in ("/staff/", "/admin/", "/accounts/password/change/", "/"):
        response = client.get(path)
        assert response.status_code == 302 and response.url == "/accounts/2fa/", path
    page = client.get("/accounts/2fa/", follow=True)
    assert page.status_code == 200
    assert "Staff accounts need two-factor authentication" in page.content.decode()


def test_it_lets_a_resident_in_without_mfa(client, cast):
    assert sign_in(client, "alice@demo.test").status_code == 302
    assert client.get("/my/cases/").status_code == 200
    assert client.get("/").status_code == 200


def test_it_leaves_staff_alone_when_the_setting_is_off(client, cast, settings):
    settings.MFA_REQUIRED_FOR_STAFF = False
    sign_in(client, "bob@demo.test")
    assert client.get("/staff/").status_code == 200


def test_it_lets_staff_in_once_they_activate_totp_and_asks_for_the_code_next_time(client, cast):
    with time_machine.travel(START, tick=False):
        sign_in(client, "bob@demo.test")
        assert client.get("/staff/").url == "/accounts/2fa/"
        # allauth asks for the password again before a factor is added; that page stays reachable.
        response = client.get("/accounts/2fa/totp/activate/")
        assert response.url == "/accounts/reauthenticate/?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"
        response = client.post(response.url, {"password": PASSWORD})
        assert response.status_code == 302 and response.url == "/accounts/2fa/totp/activate/"
        assert client.get("/accounts/2fa/totp/activate/").status_code == 200
        secret = client.session["mfa.totp.secret"]
        response = client.post("/accounts/2fa/totp/activate/", {"code": code_for(secret)})
        assert response.status_code == 302 and response.url == "/accounts/2fa/recovery-codes/"
        assert client.get("/accounts/2fa/recovery-codes/").status_code == 200
        assert client.get("/staff/").status_code == 200

        client.post("/accounts/logout/")
        response = sign_in(client, "bob@demo.test")
        assert response.url == "/accounts/2fa/authenticate/"
        assert client.get("/staff/").status_code == 302  # not signed in until the code is given
        assert "_auth_user_id" not in client.session
        response = client.post("/accounts/2fa/authenticate/", {"code": wrong_code_for(secret)})
        assert response.status_code == 200 and "_auth_user_id" not in client.session
        response = client.post("/accounts/2fa/authenticate/", {"code": code_for(secret)})
        assert response.status_code == 302
        assert client.get("/staff/").status_code == 200


def test_it_does_not_count_recovery_codes_alone_as_a_second_factor(client, cast):
    Authenticator.objects.create(user=cast.bob, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "00"})
    client.force_login(cast.bob)
    assert client.get("/staff/").url == "/accounts/2fa/"
    TOTPAuthenticator.activate(cast.bob, SECRET)
    assert client.get("/staff/").status_code == 200


def test_it_lets_staff_without_mfa_sign_out_and_switch_language(client, cast):
    client.force_login(cast.erin)
    response = client.post("/i18n/setlang/", {"language": "es", "next": "/accounts/2fa/"})
    assert response.status_code == 302 and response.url == "/accounts/2fa/"
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_it_answers_the_api_in_json_for_a_session_but_lets_bearer_tokens_through(client, cast):
    client.force_login(cast.bob)
    response = client.get("/api/v1/cases")
    assert response.status_code == 403 and response.json()["error"]["code"] == "mfa_required"
    token = ApiToken(user=cast.bob, name="work orders")
    secret = token.issue()
    token.save()
    bearer = Client()
    assert bearer.get("/api/v1/cases", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    # A token sent along with the session cookie is the token's call, not the session's.
    assert client.get("/api/v1/cases", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert client.get("/staff/", headers={"Authorization": f"Bearer {secret}"}).status_code == 302


def test_it_sends_a_user_promoted_to_staff_to_set_up_mfa(client, cast):
    client.force_login(cast.alice)
    assert client.get("/my/cases/").status_code == 200
    cast.alice.role = Role.AGENT
    cast.alice.save(update_fields=["role"])
    assert client.get("/my/cases/").url == "/accounts/2fa/"


def test_it_says_why_in_the_persons_language(client, cast):
    client.cookies["django_language"] = "es"
    client.force_login(cast.dave)
    page = client.get("/staff/", follow=True).content.decode()
    assert "Las cuentas del personal necesitan autenticación de doble factor" in page


def test_it_lets_staff_verify_a_second_address_and_then_set_up_totp(client, cast):
    """allauth adds no factor while an address is unverified; verifying it must stay reachable."""
    with time_machine.travel(START, tick=False):
        EmailAddress.objects.create(user=cast.bob, email="bob.home@example.test", verified=False)
        sign_in(client, "bob@demo.test")
        client.post("/accounts/reauthenticate/", {"password": PASSWORD})
        page = client.get("/accounts/2fa/totp/activate/", follow=True).content.decode()
        assert "until you have verified your email address" in page and "_auth_user_id" in client.session

        assert client.get("/accounts/email/").status_code == 200
        response = client.post("/accounts/email/", {"action_send": "", "email": "bob.home@example.test"})
        assert response.status_code == 302 and response.url == "/accounts/email/"
        mail = OutboxMessage.objects.get(kind="account", recipient="bob.home@example.test")
        link = re.search(r"/accounts/confirm-email/[^/\s]+/", mail.body).group(0)
        assert client.get(link).status_code == 200
        assert client.post(link).status_code == 302
        assert EmailAddress.objects.get(email="bob.home@example.test").verified

        assert client.get("/accounts/2fa/totp/activate/").status_code == 200
        secret = client.session["mfa.totp.secret"]
        response = client.post("/accounts/2fa/totp/activate/", {"code": code_for(secret)})
        assert response.status_code == 302 and response.url == "/accounts/2fa/recovery-codes/"
        assert client.get("/staff/").status_code == 200


def test_it_accepts_a_code_typed_as_the_30_second_step_turns_over(client, cast):
    with time_machine.travel(START, tick=False) as clock:
        TOTPAuthenticator.activate(cast.bob, SECRET)
        shown = code_for(SECRET)
        clock.shift(30)  # the app showed it in the last step; the server is in the next one
        assert sign_in(client, "bob@demo.test").url == "/accounts/2fa/authenticate/"
        response = client.post("/accounts/2fa/authenticate/", {"code": shown})
        assert response.status_code == 302 and client.get("/staff/").status_code == 200
