"""Content-Security-Policy on every kind of response; HTTPS settings on whenever DEBUG is off."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings

from civicdesk.accounts.middleware import SECOND_FACTORS  # noqa: F401 - the module imports cleanly


def policy(response):
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no CSP on {response.request['PATH_INFO']} ({response.status_code})"
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def assert_strict(response):
    directives = policy(response)
    assert directives["default-src"] == "'self'"
    # Only our own files, plus the response's nonce when a template used it (the admin does).
    for directive in ("script-src", "style-src"):
        sources = directives[directive].split()
        assert sources[0] == "'self'" and all(s.startswith("'nonce-") for s in sources[1:]), directive
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    return directives


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [
        (None, "/", 200),
        (None, "/report/pothole/", 200),
        (None, "/track/", 200),
        (None, "/accounts/login/", 200),
        (None, "/accounts/signup/", 200),
        (None, "/no-such-page/", 404),
        (None, "/staff/", 302),
        (None, "/healthz", 200),
        (None, "/open311/v2/services.json", 200),
        (None, "/open311/v2/services.xml", 200),
        (None, "/api/v1/services", 200),
        (None, "/api/v1/docs", 200),
        (None, "/open-data/", 200),
        ("bob", "/staff/", 200),
        ("alice", "/my/cases/", 200),
        ("alice", "/accounts/2fa/", 200),
        ("root", "/admin/", 200),
        ("root", "/admin/accounts/user/", 200),
    ],
)
def test_it_sends_a_strict_policy_on_every_kind_of_page(client, cast, who, path, status):
    if who:
        client.force_login(getattr(cast, who))
    response = client.get(path)
    assert response.status_code == status, path
    assert_strict(response)


def test_it_lets_the_map_tiles_and_photo_previews_load(client, db):
    images = policy(client.get("/"))["img-src"].split()
    assert "https://tile.openstreetmap.org" in images
    assert {"'self'", "blob:", "data:"} <= set(images)


def test_it_gives_each_response_its_own_nonce(client, cast):
    client.force_login(cast.root)
    first, second = (client.get("/admin/accounts/user/") for _ in range(2))
    nonces = [policy(r)["script-src"].split("'nonce-")[1].rstrip("'") for r in (first, second)]
    assert nonces[0] != nonces[1]
    # The admin's inline style and scripts carry the nonce of their own response.
    assert f'nonce="{nonces[1]}"' in second.content.decode()


def production_settings(**env):
    """Settings as a deployment with these environment variables would load them."""
    script = (
        "import json, civicdesk.settings as s; print(json.dumps({k: getattr(s, k) for k in ("
        "'MFA_REQUIRED_FOR_STAFF', 'SECURE_HSTS_SECONDS', 'SECURE_SSL_REDIRECT', "
        "'SECURE_PROXY_SSL_HEADER', 'STAFF_IDLE_TIMEOUT_MINUTES')}))"
    )
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "MFA_", "DEBUG", "STAFF_"))}
    environment = keep | {"SECRET_KEY": "x" * 50, "DJANGO_SETTINGS_MODULE": "civicdesk.settings"} | env
    output = subprocess.run(  # noqa: S603 - our own interpreter and settings
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output)


def test_it_turns_https_and_staff_mfa_on_when_debug_is_off():
    assert production_settings() == {
        "MFA_REQUIRED_FOR_STAFF": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_PROTO", "https"],
        "STAFF_IDLE_TIMEOUT_MINUTES": 30,
    }


def test_it_keeps_the_demo_on_plain_http_with_password_sign_in_under_debug():
    assert production_settings(DEBUG="true") == {
        "MFA_REQUIRED_FOR_STAFF": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_PROXY_SSL_HEADER": None,
        "STAFF_IDLE_TIMEOUT_MINUTES": 30,
    }


def test_it_lets_each_setting_be_overridden_by_the_environment():
    assert production_settings(
        SECURE_HSTS_SECONDS="600",
        SECURE_SSL_REDIRECT="false",
        SECURE_PROXY_SSL_HEADER="X-Forwarded-Scheme",
        MFA_REQUIRED_FOR_STAFF="false",
        STAFF_IDLE_TIMEOUT_MINUTES="15",
    ) == {
        "MFA_REQUIRED_FOR_STAFF": False,
        "SECURE_HSTS_SECONDS": 600,
        "SECURE_SSL_REDIRECT": False,
        "SECURE_PROXY_SSL_HEADER": ["HTTP_X_FORWARDED_SCHEME", "https"],
        "STAFF_IDLE_TIMEOUT_MINUTES": 15,
    }


def test_it_redirects_plain_http_and_sends_hsts_over_https(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/track/")
    assert response.status_code == 301 and response.url == "https://testserver/track/"
    assert client.get("/healthz").status_code == 200  # load balancers' checks stay on HTTP
    secure = client.get("/track/", headers={"X-Forwarded-Proto": "https"})
    assert secure.status_code == 200
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"
