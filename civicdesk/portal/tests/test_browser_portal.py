"""A resident in a real browser (Chromium through Playwright)."""

import pytest
from django.core import mail
from PIL import Image

from civicdesk.browser.helpers import (
    DESKTOP,
    PHONE,
    assert_accessible,
    assert_no_horizontal_scroll,
    block_map_tiles,
)
from civicdesk.cases.models import Case

pytestmark = pytest.mark.browser


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "hole.png"
    Image.new("RGB", (120, 90), "gray").save(path)
    return path


def test_it_files_a_case_in_spanish_with_a_photo_and_a_map_pin(site, page, photo):
    base, cast = site
    block_map_tiles(page)
    page.set_viewport_size(PHONE)
    page.goto(base + "/")
    page.select_option("#lang-select", "es")
    page.get_by_role("button", name="Change").click()
    page.get_by_role("link", name="Bache").click()
    page.fill("textarea[name=description]", "Un bache enorme frente a la escuela")
    page.get_by_label("Deep").check()
    page.locator("#map").click(position={"x": 150, "y": 120})
    assert "Pin" in page.locator("#pin-status").inner_text() or page.input_value("input[name=latitude]")
    page.set_input_files("input[name=photos]", str(photo))
    page.fill("input[name=email]", "vecina@example.org")
    page.locator("button.primary").click()
    page.wait_for_url("**/submitted/**")
    case = Case.objects.get()
    assert case.language == "es" and case.latitude is not None and case.attachments.count() == 1
    assert case.number in page.content()
    assert mail.outbox[-1].to == ["vecina@example.org"] and "Recibimos" in mail.outbox[-1].subject
    assert_no_horizontal_scroll(page)


def test_it_files_and_tracks_a_case_with_javascript_off(site, browser):
    base, cast = site
    context = browser.new_context(java_script_enabled=False, viewport=PHONE)
    page = context.new_page()
    page.goto(base + "/report/pothole/")
    assert page.locator("#map").is_hidden()
    page.fill("textarea[name=description]", "Hole with no JS")
    page.get_by_label("Shallow").check()
    page.fill("input[name=address]", "5 Oak Street")
    page.locator("button.primary").click()
    page.wait_for_url("**/submitted/**")
    case = Case.objects.get()
    assert case.address == "5 Oak Street"
    page.get_by_role("link", name=case.tracking_url).click()
    page.fill("textarea[name=message]", "Still there this morning")
    page.locator("button.primary").click()
    assert "Still there this morning" in page.content()
    context.close()


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["360px", "1280px"])
def test_it_meets_wcag_on_every_portal_page(site, browser, language, viewport):
    from civicdesk.cases import actions

    base, cast = site
    case = actions.submit_case(
        service=cast.pothole, description="Hole", answers={"depth": "deep"}, reporter=cast.alice
    )
    actions.follow(case, email="metoo@example.org")
    follower = case.followers.get()
    context = browser.new_context(viewport=viewport, locale=language)
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    page = context.new_page()
    block_map_tiles(page)
    pages = [
        "/",
        "/report/pothole/",
        f"/submitted/{case.tracking_token}/",
        "/track/",
        f"/track/{case.tracking_token}/",
        f"/cases/{case.number}/",
        "/accounts/login/",
        "/accounts/signup/",
        "/open-data/",
        f"/following/{follower.token}/confirm/",
        f"/following/{follower.token}/stop/",
        "/following/forged/stop/",
    ]
    for path in pages:
        page.goto(base + path)
        assert_accessible(page, f"{path} [{language}, {viewport['width']}px]")
        assert_no_horizontal_scroll(page)
    page.goto(base + "/report/pothole/")
    page.locator("button.primary").click()  # empty form: the error summary must be accessible too
    page.locator(".error-summary").wait_for()  # waits for the re-rendered form, then must be shown
    page.wait_for_load_state("load")  # its stylesheet applied: axe measures target sizes from layout
    assert page.locator(".error-summary").is_visible()
    assert_accessible(page, f"report form with errors [{language}]")
    from civicdesk.browser.helpers import log_in

    log_in(page, base, "alice@demo.test")
    for path in ["/my/cases/", "/my/profile/"]:
        page.goto(base + path)
        assert_accessible(page, f"{path} [{language}, {viewport['width']}px]")
        assert_no_horizontal_scroll(page)
    context.close()
