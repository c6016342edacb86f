"""Agent intake: creating a case for a caller, and the caller's earlier cases."""

import pytest
from django.urls import reverse

from civicdesk.cases.models import Case, CaseEvent, Channel, EventKind
from civicdesk.staff.views.intake import phone_variants

from .helpers import HTMX, page_text


def call(**overrides):
    data = {
        "channel": "phone",
        "reporter_name": "Carl Caller",
        "reporter_phone": "(617) 555-0199",
        "reporter_email": "carl@example.org",
        "language": "es",
        "service": "pothole",
        "description": "Huge pothole outside the school",
        "address": "1 School Lane",
        "latitude": "",
        "longitude": "",
        "attr_depth": "deep",
        "attr_width_cm": "40",
    }
    return data | overrides


def test_it_creates_a_phone_case_for_the_caller(client, cast):
    client.force_login(cast.erin)
    response = client.post(reverse("staff-intake"), call())
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("staff-case", args=[case.number])
    assert case.channel == Channel.PHONE and case.reporter_phone == "+16175550199"  # stored in E.164
    assert case.reporter_email == "carl@example.org" and case.language == "es"
    assert case.attributes == {"depth": "deep", "width_cm": 40}
    assert CaseEvent.objects.get(case=case, kind=EventKind.SUBMITTED).actor == cast.erin


def test_it_creates_a_walk_in_case_with_coordinates(client, cast):
    client.force_login(cast.erin)
    client.post(
        reverse("staff-intake"), call(channel="walk_in", latitude="42.35", longitude="-71.05", address="")
    )
    case = Case.objects.get()
    assert case.channel == Channel.WALK_IN and case.has_location


def test_it_tells_a_supervisor_where_a_case_for_another_department_went(client, cast):
    client.force_login(cast.dave)
    data = call(service="tree", attr_depth="", attr_width_cm="")
    data = {k: v for k, v in data.items() if not k.startswith("attr_")}
    response = client.post(reverse("staff-intake"), data, follow=True)
    case = Case.objects.get()
    assert case.department == cast.parks
    assert response.redirect_chain[-1][0] == reverse("staff-intake")
    assert f"Case {case.number} created for the caller." in page_text(response)


@pytest.mark.parametrize("person", ["alice", "bob", "carol"])
def test_it_refuses_roles_that_may_not_take_calls(client, cast, person):
    client.force_login(getattr(cast, person))
    assert client.get(reverse("staff-intake")).status_code == 403
    assert client.post(reverse("staff-intake"), call()).status_code == 403
    assert not Case.objects.exists()


def test_it_shows_errors_linked_from_a_summary(client, cast):
    client.force_login(cast.erin)
    response = client.post(reverse("staff-intake"), call(description="", attr_depth="", latitude="95"))
    assert response.status_code == 400
    text = page_text(response)
    assert 'class="error-summary"' in text
    for field in ("description", "attr_depth", "latitude"):
        assert f'href="#field-{field}"' in text and f'id="field-{field}"' in text
    assert not Case.objects.exists()


def test_it_puts_the_actions_errors_on_the_right_fields(client, cast):
    client.force_login(cast.erin)
    text = page_text(client.post(reverse("staff-intake"), call(attr_width_cm="wide")))
    assert 'href="#field-attr_width_cm"' in text and "Enter a number." in text


def test_it_renders_each_question_with_the_right_control(client, cast):
    client.force_login(cast.erin)
    text = page_text(client.get(reverse("staff-intake"), {"service": "pothole"}))
    assert 'type="radio" name="attr_depth" value="deep"' in text
    assert 'name="attr_width_cm"' in text and 'inputmode="decimal"' in text
    assert "<legend>How deep is it?</legend>" in text


def test_it_swaps_in_a_services_questions_for_htmx(client, cast):
    client.force_login(cast.erin)
    text = page_text(client.get(reverse("staff-intake-questions"), {"service": "pothole"}, headers=HTMX))
    assert text.lstrip().startswith('<div id="questions"') and 'name="attr_depth"' in text
    empty = page_text(client.get(reverse("staff-intake-questions"), {"service": "tree"}, headers=HTMX))
    assert "attr_" not in empty


def test_it_shows_questions_without_javascript_and_without_errors(client, cast):
    client.force_login(cast.erin)
    data = {"service": "pothole", "reporter_phone": "", "_questions": "1"}
    response = client.post(reverse("staff-intake"), data)
    text = page_text(response)
    assert response.status_code == 200 and 'name="attr_depth"' in text and "error-summary" not in text
    assert not Case.objects.exists()


@pytest.fixture
def earlier(report):
    return [
        report(reporter_phone="617-555-0199", description="Earlier hole"),
        report(reporter_phone="6175550199", description="Another by phone"),
        report(reporter_email="carl@example.org", description="One by e-mail"),
        report(reporter_phone="617-555-0000", description="Someone else"),
    ]


def test_it_looks_up_earlier_cases_by_phone_without_javascript(client, cast, earlier):
    client.force_login(cast.erin)
    data = {"reporter_phone": "(617) 555-0199", "service": "", "_lookup": "1"}
    response = client.post(reverse("staff-intake"), data)
    text = page_text(response)
    assert response.status_code == 200 and "error-summary" not in text
    assert earlier[0].number in text and earlier[1].number in text
    assert earlier[3].number not in text
    assert 'value="(617) 555-0199"' in text  # what the agent typed stays
    assert not Case.objects.filter(reporter_phone="(617) 555-0199").exists()


def test_it_looks_up_earlier_cases_as_the_agent_types(client, cast, earlier):
    client.force_login(cast.erin)
    url = reverse("staff-intake-lookup")
    text = page_text(client.post(url, {"reporter_phone": "+1 617 555 0199"}, headers=HTMX))
    assert text.lstrip().startswith('<section id="earlier-cases"')
    assert earlier[0].number in text and earlier[1].number in text and earlier[2].number not in text
    text = page_text(client.post(url, {"reporter_email": "CARL@example.org"}, headers=HTMX))
    assert earlier[2].number in text and earlier[0].number not in text


def test_it_needs_enough_digits_before_looking_up(client, cast, earlier):
    client.force_login(cast.erin)
    text = page_text(client.post(reverse("staff-intake-lookup"), {"reporter_phone": "617"}, headers=HTMX))
    assert "Type the caller" in text and earlier[0].number not in text


def test_it_spells_a_number_the_common_ways():
    variants = phone_variants("+1 (617) 555-0199")
    assert {"6175550199", "617-555-0199", "(617) 555-0199", "+16175550199", "+1 (617) 555-0199"} <= set(
        variants
    )
    assert phone_variants("12") == []
