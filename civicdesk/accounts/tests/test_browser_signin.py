"""Sign-in pages and the Content-Security-Policy in a real browser (Chromium through Playwright)."""

import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP as TOTPAuthenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.test import Client

from civicdesk.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_no_horizontal_scroll,
    block_map_tiles,
    log_in,
)
from civicdesk.cases import actions

pytestmark = pytest.mark.browser

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
# Every policy violation is reported to the page before the browser logs it to the console.
WATCH_CSP = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  var where = " at " + e.sourceFile + ":" + e.lineNumber;
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + where);
});
"""


def code_for(secret):
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def watched_page(browser, base, user=None, language="en", viewport=DESKTOP):
    context = browser.new_context(viewport=viewport)
    cookies = [{"name": "django_language", "value": language, "url": base}]
    if user is not None:
        client = Client()
        client.force_login(user)
        cookies.append({"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base})
    context.add_cookies(cookies)
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    page.console_messages = []
    page.on("console", lambda m: page.console_messages.append(m.text))
    page.on("pageerror", lambda e: page.console_messages.append(f"page error: {e}"))
    block_map_tiles(page)
    return page


def assert_no_csp_violation(page, where):
    page.wait_for_load_state("networkidle")
    violations = page.evaluate("window.__cspViolations")
    console = [m for m in page.console_messages if "Content Security Policy" in m or "page error" in m]
    assert violations == [] and console == [], f"{where}: {violations} {console}"


@pytest.fixture
def case(site):
    base, cast = site
    return actions.submit_case(
        service=cast.pothole,
        answers={"depth": "deep"},
        description="Deep hole by the bus stop",
        address="12 Elm Street",
        latitude=42.3601,
        longitude=-71.0589,
        reporter=cast.alice,
    )


def test_it_runs_every_main_page_without_a_policy_violation(site, browser, case):
    base, cast = site
    pages = {
        None: [
            "/",
            "/report/pothole/",
            f"/track/{case.tracking_token}/",
            f"/cases/{case.number}/",
            "/accounts/login/",
            "/accounts/signup/",
            "/open-data/",
            "/api/v1/docs",
        ],
        cast.alice: ["/my/cases/", "/my/profile/", "/accounts/2fa/"],
        cast.erin: ["/staff/", f"/staff/cases/{case.number}/", "/staff/intake/?service=pothole"],
        cast.root: [
            "/admin/",
            "/admin/accounts/user/",
            f"/admin/accounts/user/{cast.bob.pk}/change/",
            "/admin/cases/case/",
        ],
    }
    for user, paths in pages.items():
        page = watched_page(browser, base, user)
        for path in paths:
            response = page.goto(base + path)
            assert response.ok, path
            assert "Content-Security-Policy" in {k.title(): v for k, v in response.headers.items()}
            assert_no_csp_violation(page, path)
        page.context.close()


def test_it_still_runs_the_scripts_that_the_policy_allows(site, browser, case):
    """Not a silent pass: the map, htmx and Swagger UI must have run, and an inline script must not."""
    base, cast = site
    page = watched_page(browser, base, cast.bob)
    page.goto(f"{base}/staff/cases/{case.number}/")
    page.locator(".leaflet-container").first.wait_for()
    assert page.evaluate("typeof window.htmx") == "object"
    page.goto(f"{base}/api/v1/docs")
    page.locator(".swagger-ui .info").first.wait_for()
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1';"
        " document.body.append(s); }"
    )
    assert page.evaluate("window.injected") is None
    assert any("script-src" in v for v in page.evaluate("window.__cspViolations"))
    page.context.close()


@pytest.mark.parametrize("language", ["en", "es"])
def test_it_makes_the_mfa_pages_accessible_at_360_px(site, browser, language, settings):
    settings.MFA_REQUIRED_FOR_STAFF = True
    # One step either side, so a code typed as the 30-second step turns over is still taken.
    settings.MFA_TOTP_TOLERANCE = 1
    base, cast = site
    page = watched_page(browser, base, language=language, viewport=PHONE)

    def check(where):
        assert page.locator("html").get_attribute("lang") == language
        assert_accessible(page, f"{where} [{language}, 360px]")
        assert_no_horizontal_scroll(page)
        assert_no_csp_violation(page, where)

    log_in(page, base, "bob@demo.test")
    page.goto(f"{base}/staff/")
    assert page.url == f"{base}/accounts/2fa/"  # staff without MFA are sent to set it up
    check("MFA overview")
    page.goto(f"{base}/accounts/2fa/totp/activate/")
    assert "/accounts/reauthenticate/" in page.url
    check("password confirmation")
    page.fill("input[name=password]", "demo")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/accounts/2fa/totp/activate/")
    check("activate an authenticator app")
    page.locator("main form button[type=submit]").first.click()  # no code: an error to announce
    page.wait_for_load_state()
    check("activate with an error")
    page.goto(f"{base}/accounts/2fa/webauthn/add/")
    check("add a security key")

    # Activate as a person would: read the secret off the page, type what the app shows.
    page.goto(f"{base}/accounts/2fa/totp/activate/")
    secret = page.locator("#authenticator_secret").input_value()
    page.fill("input[name=code]", code_for(secret))
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url(f"{base}/accounts/2fa/recovery-codes/")
    check("recovery codes")
    page.goto(f"{base}/staff/")
    assert page.url == f"{base}/staff/"  # with a factor active, the workspace opens

    TOTPAuthenticator.activate(cast.dave, SECRET)
    other = watched_page(browser, base, language=language, viewport=PHONE)
    log_in(other, base, "dave@demo.test")
    assert other.url.startswith(f"{base}/accounts/2fa/authenticate/")
    page.context.close()
    page = other
    check("enter the authenticator code")
    page.context.close()
