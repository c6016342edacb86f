"""The resident directory pages in a real browser: axe-core in both languages, at 360 px and desktop."""

import pytest

from civicdesk.browser.helpers import DESKTOP, PHONE, assert_accessible, assert_no_horizontal_scroll
from civicdesk.cases import actions as case_actions
from civicdesk.cases.models import Channel
from civicdesk.residents import actions, directory

from .test_browser_staff import signed_in

pytestmark = pytest.mark.browser


@pytest.fixture
def residents(site):
    _base, cast = site
    contacts = (
        (Channel.EMAIL, {"reporter_email": "rita@example.org"}),
        (Channel.SMS, {"reporter_phone": "617-555-0100"}),
    )
    for channel, contact in contacts:
        case_actions.submit_case(
            service=cast.pothole, answers={"depth": "deep"}, description="A hole", channel=channel, **contact
        )
    mail = directory.resident_for(email="rita@example.org", name="Rita Reporter")
    sms = directory.resident_for(phone="617-555-0100")
    spare = directory.resident_for(email="sam@example.org", name="Sam")
    actions.merge(cast.erin, sms, mail)
    return mail, spare


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_the_resident_pages_are_accessible(site, browser, residents, viewport, language):
    base, cast = site
    mail, spare = residents
    page = signed_in(browser, base, cast.erin, language=language, viewport=viewport)
    for path in ("/staff/residents/", "/staff/residents/?q=rita", f"/staff/residents/{mail.pk}/"):
        page.goto(base + path)
        assert page.locator("html").get_attribute("lang") == language
        assert_accessible(page, f"{path} [{language}] at {viewport['width']}px")
        assert_no_horizontal_scroll(page)
    page.fill("input[name=other]", str(spare.pk))
    with page.expect_navigation():
        page.locator("form[action$='/merge/'] button[type=submit]").click()
    assert page.locator("button[name=confirm]").count() == 1
    assert_accessible(page, f"merge confirmation [{language}] at {viewport['width']}px")
    assert_no_horizontal_scroll(page)
