"""The whole loop in a real browser: a resident reports in Spanish, Public Works works the case, the
resident sees the answer and gets the e-mail; Parks staff cannot open it."""

import pytest
from django.core import mail
from PIL import Image

from civicdesk.browser.helpers import PHONE, block_map_tiles, log_in
from civicdesk.cases.models import Case, EventKind, Status

pytestmark = pytest.mark.browser


def submit(page, button, path, case_url):
    """Click an action's button, wait for the server's answer, then open the case page afresh (the
    htmx swaps themselves are tested in the staff browser tests)."""
    with page.expect_response(lambda r: r.request.method == "POST" and path in r.url) as answer:
        page.locator(button).click()
    assert answer.value.status < 400, answer.value.status
    page.goto(case_url)


def test_it_walks_a_case_from_resident_to_crew_and_back(site, browser, tmp_path):
    base, cast = site
    photo = tmp_path / "bache.jpg"
    Image.new("RGB", (200, 150), "black").save(photo)

    resident = browser.new_context(viewport=PHONE).new_page()
    block_map_tiles(resident)
    resident.goto(base + "/")
    resident.select_option("#lang-select", "es")
    resident.locator("form.lang button").click()
    resident.get_by_role("link", name="Bache").click()
    resident.fill("textarea[name=description]", "Bache profundo frente al número 40")
    resident.get_by_label("Deep").check()
    resident.locator("#map").click(position={"x": 120, "y": 100})
    resident.set_input_files("input[name=photos]", str(photo))
    resident.fill("input[name=email]", "vecina@example.org")
    resident.locator("button.primary").click()
    resident.wait_for_url("**/submitted/**")
    case = Case.objects.get()
    track_url = base + case.get_absolute_url()
    assert case.language == "es" and case.latitude is not None and case.attachments.count() == 1

    crew = browser.new_context().new_page()
    log_in(crew, base, "bob@demo.test")
    crew.goto(base + "/staff/")
    crew.get_by_role("link", name=case.number).click()
    case_url = f"{base}/staff/cases/{case.number}/"
    crew.wait_for_url(case_url)
    crew.select_option("#id_assign-assignee", str(cast.bob.pk))
    submit(crew, "#assign-submit", "/assign", case_url)
    crew.fill("#id_reply-message", "Mañana pasa la cuadrilla.")
    submit(crew, "#reply-submit", "/reply", case_url)
    assert case.events.filter(kind=EventKind.REPLY, message="Mañana pasa la cuadrilla.").exists()
    crew.select_option("#id_status-status", Status.RESOLVED)
    crew.fill("#id_status-message", "Bache reparado.")
    submit(crew, "#status-submit", "/status", case_url)
    case.refresh_from_db()
    assert case.assignee == cast.bob and case.status == Status.RESOLVED

    resident.goto(track_url)
    page = resident.content()
    assert "Mañana pasa la cuadrilla." in page and "Bache reparado." in page and "Resuelto" in page
    to_resident = [m for m in mail.outbox if m.to == ["vecina@example.org"]]
    assert any("resuelto" in m.subject for m in to_resident) and any(
        "Recibimos" in m.subject for m in to_resident
    )

    parks = browser.new_context().new_page()
    log_in(parks, base, "carol@demo.test")
    response = parks.goto(f"{base}/staff/cases/{case.number}/")
    assert response.status == 404
    assert case.number not in parks.goto(base + "/staff/?status=all").text()
