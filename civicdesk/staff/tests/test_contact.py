"""Reporter contact details: shown only on request, to roles allowed to see them, and audited."""

import pytest

from civicdesk.cases.models import CaseEvent, EventKind

from .helpers import HTMX, case_url, page_text


@pytest.fixture
def case(report):
    return report(
        reporter_name="Rita Reporter", reporter_email="rita@example.org", reporter_phone="617-555-0100"
    )


def viewings(case):
    return CaseEvent.objects.filter(case=case, kind=EventKind.CONTACT_VIEWED)


@pytest.mark.parametrize("person", ["dave", "erin", "root"])
def test_it_shows_contact_details_and_records_the_viewing(client, cast, case, person):
    user = getattr(cast, person)
    client.force_login(user)
    response = client.post(case_url(case, "staff-contact"))
    assert response.status_code == 200
    text = page_text(response)
    assert "rita@example.org" in text and "617-555-0100" in text and "Rita Reporter" in text
    (event,) = viewings(case)
    assert event.actor == user and not event.public


def test_it_offers_the_button_only_to_roles_that_may_see_contacts(client, cast, case):
    client.force_login(cast.dave)
    assert 'id="show-contact"' in page_text(client.get(case_url(case)))
    client.force_login(cast.bob)
    text = page_text(client.get(case_url(case)))
    assert 'id="show-contact"' not in text and "rita@example.org" not in text


def test_it_refuses_department_staff_and_records_nothing(client, cast, case):
    client.force_login(cast.bob)
    response = client.post(case_url(case, "staff-contact"))
    assert response.status_code == 403
    text = page_text(response)
    assert "rita@example.org" not in text and "617-555-0100" not in text
    assert "Your role may not see residents&#x27; contact details." in text
    assert not viewings(case).exists()


def test_it_answers_htmx_with_only_the_contact_block(client, cast, case):
    client.force_login(cast.erin)
    text = page_text(client.post(case_url(case, "staff-contact"), headers=HTMX))
    assert text.lstrip().startswith('<div id="contact"') and "<html" not in text
    assert "rita@example.org" in text and "data-focus" in text


def test_it_shows_the_viewing_on_the_timeline_as_internal(client, cast, case):
    client.force_login(cast.dave)
    client.post(case_url(case, "staff-contact"))
    text = page_text(client.get(case_url(case)))
    entry = text[text.index("Reporter contact viewed") - 200 : text.index("Reporter contact viewed")]
    assert '<span class="tag internal">Internal</span>' in entry
