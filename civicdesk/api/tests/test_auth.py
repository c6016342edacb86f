"""Tokens (hashed, scoped, revocable, expiring, department-narrowed), sessions with CSRF, rate limits."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone

from civicdesk.accounts.models import Role, User
from civicdesk.api.models import ApiToken
from civicdesk.lib.credentials import hash_secret as hash_token

from .conftest import Api, error_of, make_token


def test_it_stores_only_a_hash_of_the_token(cast):
    raw = make_token(cast.bob)
    token = ApiToken.objects.get()
    assert raw not in (token.token_hash, token.prefix) and token.token_hash == hash_token(raw)
    assert raw.startswith(token.prefix)


def test_it_refuses_calls_without_credentials_with_401_and_the_error_shape(api, pothole_case):
    response = api(None).get("/cases")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert error_of(response)["code"] == "unauthenticated"


def test_it_refuses_an_unknown_token(client, cast):
    response = Api(client, "cdk_not-a-real-token").get("/me")
    assert response.status_code == 401
    assert error_of(response) == {"code": "invalid_token", "message": "This API token is not valid."}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"revoked_at": timezone.now()}, "This API token has been revoked."),
        ({"expires_at": timezone.now() - timedelta(seconds=1)}, "This API token has expired."),
    ],
)
def test_it_refuses_revoked_and_expired_tokens(client, cast, fields, message):
    raw = make_token(cast.bob, **fields)
    response = Api(client, raw).get("/me")
    assert response.status_code == 401 and error_of(response)["message"] == message


def test_it_refuses_the_token_of_a_disabled_account(client, cast):
    raw = make_token(cast.bob)
    cast.bob.is_active = False
    cast.bob.save()
    assert Api(client, raw).get("/me").status_code == 401


def test_it_accepts_a_token_that_has_not_expired_yet_and_records_its_use(client, cast):
    raw = make_token(cast.bob, expires_at=timezone.now() + timedelta(days=1))
    response = Api(client, raw).get("/me")
    assert response.status_code == 200 and response.json()["email"] == "bob@demo.test"
    assert ApiToken.objects.get().last_used_at is not None


def test_it_lets_a_read_token_read_but_not_write(api, pothole_case):
    reader = api("bob", "read")
    assert reader.get(f"/cases/{pothole_case.number}").status_code == 200
    response = reader.post(f"/cases/{pothole_case.number}/notes", {"message": "hello"})
    assert response.status_code == 403 and error_of(response)["code"] == "insufficient_scope"
    assert not pothole_case.events.filter(kind="note").exists()


def test_it_lets_a_write_token_write(api, pothole_case):
    response = api("bob").post(f"/cases/{pothole_case.number}/notes", {"message": "hello"})
    assert response.status_code == 200
    assert pothole_case.events.filter(kind="note", message="hello").exists()


def test_it_narrows_a_department_restricted_token_and_never_widens(api, cast, pothole_case, tree_case):
    # erin (agent) sees every department; her token limited to parks sees only parks.
    limited = api("erin", departments=[cast.parks])
    numbers = [c["number"] for c in limited.get("/cases").json()["items"]]
    assert numbers == [tree_case.number]
    assert limited.get(f"/cases/{pothole_case.number}").status_code == 404
    # bob (public works) with a parks-only token sees nothing at all: no widening.
    assert api("bob", departments=[cast.parks]).get("/cases").json()["items"] == []


def test_it_accepts_a_signed_in_session_for_reads(client, cast, pothole_case):
    client.force_login(cast.bob)
    response = client.get(f"/api/v1/cases/{pothole_case.number}")
    assert response.status_code == 200 and response.json()["number"] == pothole_case.number


def test_it_requires_the_csrf_token_for_session_writes(cast, pothole_case):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.bob)
    url = f"/api/v1/cases/{pothole_case.number}/notes"
    refused = browser.post(url, {"message": "x"}, content_type="application/json")
    assert refused.status_code == 403 and error_of(refused)["code"] == "csrf_failed"
    browser.cookies["csrftoken"] = "a" * 32  # as a page's form would have set it
    accepted = browser.post(
        url, {"message": "with csrf"}, content_type="application/json", headers={"X-CSRFToken": "a" * 32}
    )
    assert accepted.status_code == 200
    assert pothole_case.events.filter(kind="note", message="with csrf").exists()


def test_it_prefers_the_bearer_token_over_the_session(client, cast):
    client.force_login(cast.bob)
    response = Api(client, make_token(cast.carol)).get("/me")
    assert response.json()["email"] == "carol@demo.test"


@override_settings(API_RATE="3/m")
def test_it_limits_requests_per_token_with_429_and_retry_after(api, cast):
    bob = api("bob")
    assert [bob.get("/me").status_code for _ in range(3)] == [200, 200, 200]
    limited = bob.get("/me")
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert error_of(limited)["code"] == "rate_limited"
    assert api("carol").get("/me").status_code == 200  # another token has its own count


@override_settings(API_RATE="2/m")
def test_it_limits_anonymous_callers_and_token_guessing_per_address(client, db):
    anonymous = Api(client)
    assert [anonymous.get("/services").status_code for _ in range(2)] == [200, 200]
    assert anonymous.get("/services").status_code == 429
    guesser = Api(client, "cdk_guess")
    assert guesser.get("/me").status_code == 429  # the same address, already over its limit


@override_settings(API_RATE="2/m")
def test_it_limits_a_session_user(client, cast):
    client.force_login(cast.bob)
    codes = [client.get("/api/v1/me").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


# ---------------------------------------------------------------- create_api_token


def run_command(*args):
    from io import StringIO

    out = StringIO()
    call_command("create_api_token", *args, stdout=out)
    return out.getvalue()


def test_it_creates_a_personal_token_printed_as_the_last_word(client, cast):
    output = run_command(
        "bob@demo.test", "--scope", "read", "--name", "laptop", "--department", "public-works"
    )
    raw = output.split()[-1]
    token = ApiToken.objects.get()
    assert token.user == cast.bob and token.scope == "read" and token.name == "laptop"
    assert list(token.departments.values_list("code", flat=True)) == ["public-works"]
    assert Api(client, raw).get("/me").json()["token"]["name"] == "laptop"


def test_it_creates_a_service_account_without_a_password_for_a_service_token(client, cast):
    output = run_command(
        "maximo@integrations.test", "--scope", "write", "--kind", "service", "--department", "public-works"
    )
    user = User.objects.get(email="maximo@integrations.test")
    assert user.role == Role.STAFF and not user.has_usable_password()
    assert list(user.departments.values_list("code", flat=True)) == ["public-works"]
    me = Api(client, output.split()[-1]).get("/me").json()
    assert me["token"]["kind"] == "service" and me["departments"] == ["public-works"]


def test_it_refuses_a_service_token_for_a_person_who_signs_in(cast):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="signs in as a person"):
        run_command("bob@demo.test", "--scope", "write", "--kind", "service")
    with pytest.raises(CommandError, match="Residents may only read"):
        run_command("alice@demo.test", "--scope", "write")
    with pytest.raises(CommandError, match="Unknown department"):
        run_command("bob@demo.test", "--scope", "read", "--department", "nope")
    assert not ApiToken.objects.exists()


# ---------------------------------------------------------------- admin


def test_it_shows_a_token_once_when_an_administrator_creates_it_and_can_revoke_it(client, cast):
    client.force_login(cast.root)
    response = client.post(
        "/admin/api/apitoken/add/",
        {"user": cast.bob.pk, "name": "crew tablet", "kind": "personal", "scope": "write"},
        follow=True,
    )
    token = ApiToken.objects.get()
    shown = [str(m) for m in response.context["messages"]]
    raw = next(word for m in shown for word in m.split() if word.startswith("cdk_"))
    assert hash_token(raw) == token.token_hash
    assert raw not in client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Api(Client(), raw).get("/me").status_code == 401


def test_it_refuses_a_write_token_for_a_resident_in_the_admin_and_the_model(client, cast):
    client.force_login(cast.root)
    fields = {"user": cast.alice.pk, "name": "phone", "kind": "personal", "scope": "write"}
    refused = client.post("/admin/api/apitoken/add/", fields)
    assert refused.status_code == 200 and "Residents may only read" in refused.content.decode()
    assert not ApiToken.objects.exists()
    with pytest.raises(ValidationError, match="Residents may only read"):
        ApiToken(user=cast.alice, name="x", scope="write").clean()
    accepted = client.post("/admin/api/apitoken/add/", {**fields, "scope": "read"})
    assert accepted.status_code == 302 and ApiToken.objects.get().user == cast.alice
