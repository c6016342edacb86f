"""The staff workspace in a real browser (Chromium through Playwright): accessibility, htmx, shortcuts."""

import pytest
from django.test import Client

from civicdesk.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_no_horizontal_scroll,
    block_map_tiles,
)
from civicdesk.cases import actions
from civicdesk.cases.models import Case, CaseEvent, EventKind

pytestmark = pytest.mark.browser


def signed_in(browser, base, user, language="en", **options):
    client = Client()
    client.force_login(user)
    context = browser.new_context(viewport=options.pop("viewport", DESKTOP), **options)
    context.add_cookies(
        [
            {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base},
            {"name": "django_language", "value": language, "url": base},
        ]
    )
    page = context.new_page()
    block_map_tiles(page)
    return page


@pytest.fixture
def case(site):
    base, cast = site
    case = actions.submit_case(
        service=cast.pothole,
        answers={"depth": "deep"},
        description="<b>Deep</b> hole by the bus stop",
        address="12 Elm Street",
        latitude=42.3601,
        longitude=-71.0589,
        reporter_email="rita@example.org",
    )
    actions.add_note(case, cast.dave, "Needs the big truck")
    return case


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_it_is_accessible_on_phone_and_desktop(site, browser, case, viewport, language):
    base, cast = site
    page = signed_in(browser, base, cast.erin, language=language, viewport=viewport)
    for path in ("/staff/", f"/staff/cases/{case.number}/", "/staff/intake/?service=pothole"):
        page.goto(base + path)
        assert page.locator("html").get_attribute("lang") == language
        assert_accessible(page, f"{path} [{language}] at {viewport['width']}px")
        assert_no_horizontal_scroll(page)


def test_it_shows_form_errors_accessibly(site, browser, case):
    base, cast = site
    page = signed_in(browser, base, cast.bob)
    page.goto(f"{base}/staff/cases/{case.number}/")
    page.locator("#reply-submit").click()
    summary = page.locator(".error-summary")
    summary.wait_for()
    page.wait_for_function("document.activeElement.classList.contains('error-summary')", timeout=5000)
    assert_accessible(page, "case page with an error")


def test_it_adds_a_note_with_htmx_without_reloading(site, browser, case):
    base, cast = site
    page = signed_in(browser, base, cast.bob)
    page.goto(f"{base}/staff/cases/{case.number}/")
    page.evaluate("window.notReloaded = true")
    page.fill("#id_note-message", "Cones placed")
    page.locator("#note-submit").click()
    page.locator("#staff-messages").get_by_text("Internal note added.").wait_for()
    assert page.locator(".staff-timeline").get_by_text("Cones placed").is_visible()
    assert page.evaluate("window.notReloaded === true")
    assert page.input_value("#id_note-version") == str(Case.objects.get(pk=case.pk).version)


def test_it_narrows_the_person_list_to_the_chosen_department(site, browser, case):
    base, cast = site
    page = signed_in(browser, base, cast.dave)
    page.goto(f"{base}/staff/cases/{case.number}/")
    page.select_option("#id_assign-department", "parks")
    # Without JavaScript every department's people are listed; htmx narrows the list.
    page.locator("#id_assign-assignee option", has_text="Bob Worker").wait_for(state="detached")
    options = page.locator("#id_assign-assignee option").all_inner_texts()
    assert "Carol Ranger" in options and "Bob Worker" not in options


def test_it_focuses_forms_with_single_keys_but_not_while_typing(site, browser, case):
    base, cast = site
    page = signed_in(browser, base, cast.bob)
    page.goto(f"{base}/staff/cases/{case.number}/")
    page.locator("h1").click()
    page.keyboard.press("r")
    assert page.evaluate("document.activeElement.id") == "id_reply-message"
    page.keyboard.type("an")
    assert page.evaluate("document.activeElement.id") == "id_reply-message"
    assert page.input_value("#id_reply-message") == "an"
    page.locator("h1").click()
    page.keyboard.press("p")
    assert page.evaluate("document.activeElement.id") == "id_priority-priority"
    page.locator("[data-shortcuts-help] summary").click()
    page.uncheck("#shortcuts-on")
    page.locator("h1").click()
    page.keyboard.press("n")
    assert page.evaluate("document.activeElement.id") != "id_note-message"


def test_it_searches_the_queue_as_you_type(site, browser, case):
    base, cast = site
    other = actions.submit_case(service=cast.pothole, answers={"depth": "deep"}, description="Cracked kerb")
    page = signed_in(browser, base, cast.bob)
    page.goto(base + "/staff/")
    page.fill("#id_q", "kerb")
    page.wait_for_url("**q=kerb**")
    page.locator("#queue-results").get_by_role("link", name=case.number).wait_for(state="detached")
    assert page.locator("#queue-results").get_by_role("link", name=other.number).is_visible()
    page.locator("#queue-summary").get_by_text("1 of 1").wait_for()


def test_it_applies_a_bulk_action_with_htmx(site, browser, case):
    base, cast = site
    page = signed_in(browser, base, cast.bob)
    page.goto(base + "/staff/")
    page.evaluate("window.notReloaded = true")
    page.locator("[data-select-all]").check()
    page.select_option("#id_bulk-priority", "1")
    page.get_by_role("button", name="Set priority").click()
    page.locator("#staff-messages").get_by_text("Updated 1 case.").wait_for()
    assert page.evaluate("window.notReloaded === true")
    page.locator("#queue-results .badge.urgent").wait_for()
    assert page.locator("#queue-results .badge.urgent").count() == 1


def test_it_shows_a_callers_earlier_cases_as_the_agent_types(site, browser, case):
    base, cast = site
    earlier = actions.submit_case(service=cast.tree, description="Old call", reporter_phone="617-555-0199")
    page = signed_in(browser, base, cast.erin)
    page.goto(base + "/staff/intake/")
    page.fill("#id_reporter_phone", "(617) 555 0199")
    page.locator("#earlier-cases").get_by_role("link", name=earlier.number).wait_for()
    page.select_option("#id_service", "pothole")
    page.locator("#questions input[name=attr_depth]").first.wait_for()


def test_it_works_without_javascript(site, browser, case):
    base, cast = site
    page = signed_in(browser, base, cast.bob, java_script_enabled=False)
    page.goto(f"{base}/staff/cases/{case.number}/")
    page.fill("#id_reply-message", "Reply without JavaScript")
    page.locator("#reply-submit").click()
    page.wait_for_load_state()
    assert "Reply sent to the resident." in page.content()
    assert CaseEvent.objects.filter(
        case=case, kind=EventKind.REPLY, message="Reply without JavaScript"
    ).exists()
    page.goto(base + "/staff/")
    page.locator(f"input[name=bulk-cases][value^='{case.number}:']").check()
    page.select_option("#id_bulk-priority", "1")
    page.get_by_role("button", name="Set priority").click()
    page.wait_for_load_state()
    assert "Updated 1 case." in page.content()
