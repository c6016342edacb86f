"""The resident directory pages: who may open each, what they show, that looking is recorded,
and merge/undo through the forms."""

import pytest
from django.urls import reverse

from civicdesk.cases.models import Channel
from civicdesk.residents import actions, directory
from civicdesk.residents.models import Resident, ResidentEvent

from .helpers import HTMX, case_url, page_text

ALLOWED = ["dave", "erin", "root"]  # the roles that may see contact details
REFUSED = ["alice", "bob", "carol"]


@pytest.fixture
def rita(cast, report):
    report(channel=Channel.EMAIL, reporter_email="rita@example.org", reporter_name="Rita Reporter")
    report(service=cast.tree, channel=Channel.SMS, reporter_phone="617-555-0100")
    mail = directory.resident_for(email="rita@example.org", name="Rita Reporter")
    sms = directory.resident_for(phone="617-555-0100")
    return mail, sms


def viewings(resident):
    return ResidentEvent.objects.filter(resident=resident, kind="contact_viewed")


def pages(rita, cast, report):
    mail, sms = rita
    merge = actions.merge(cast.root, sms, mail)
    case = report(reporter_email="rita@example.org")
    return {
        "search": ("get", reverse("staff-residents") + "?q=rita", {}),
        "resident": ("get", reverse("staff-resident", args=[mail.pk]), {}),
        "merge": ("post", reverse("staff-resident-merge", args=[mail.pk]), {"other": sms.pk}),
        "undo": ("post", reverse("staff-resident-undo", args=[mail.pk, merge.pk]), {}),
        "open": ("post", case_url(case, "staff-case-resident"), {}),
    }


@pytest.mark.parametrize("page", ["search", "resident", "merge", "undo", "open"])
@pytest.mark.parametrize("person", REFUSED)
def test_it_refuses_roles_that_may_not_see_contact_details(client, cast, report, rita, person, page):
    method, url, data = pages(rita, cast, report)[page]
    client.force_login(getattr(cast, person))
    assert getattr(client, method)(url, data).status_code == 403
    assert not ResidentEvent.objects.filter(kind__in=["contact_viewed", "unmerged"]).exists()


@pytest.mark.parametrize("page", ["search", "resident", "merge", "undo", "open"])
@pytest.mark.parametrize("person", ALLOWED)
def test_it_lets_the_roles_that_see_contact_details_in(client, cast, report, rita, person, page):
    method, url, data = pages(rita, cast, report)[page]
    client.force_login(getattr(cast, person))
    # Dave supervises Public Works: the duplicate's only case is Parks', so he may not merge it.
    expected = (400,) if (person, page) == ("dave", "merge") else (200, 302)
    assert getattr(client, method)(url, data).status_code in expected


@pytest.mark.parametrize("page", ["search", "resident"])
def test_it_sends_anonymous_visitors_to_sign_in(client, cast, report, rita, page):
    method, url, data = pages(rita, cast, report)[page]
    response = getattr(client, method)(url, data)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_the_resident_page_shows_every_channels_cases_and_records_the_viewing(client, cast, rita):
    mail, sms = rita
    actions.merge(cast.erin, sms, mail)
    client.force_login(cast.erin)
    text = page_text(client.get(reverse("staff-resident", args=[mail.pk])))
    assert "rita@example.org" in text and "+1 617-555-0100" in text
    assert "Pothole" in text and "Fallen tree" in text and "SMS" in text
    (viewing,) = viewings(mail)
    assert viewing.actor == cast.erin


def test_a_supervisor_sees_only_the_cases_of_their_departments(client, cast, rita):
    mail, sms = rita
    actions.merge(cast.erin, sms, mail)
    client.force_login(cast.dave)  # Public Works
    text = page_text(client.get(reverse("staff-resident", args=[mail.pk])))
    assert "Pothole" in text and "Fallen tree" not in text


def test_search_finds_by_phone_and_records_each_resident_listed(client, cast, rita):
    mail, sms = rita
    client.force_login(cast.erin)
    text = page_text(client.get(reverse("staff-residents"), {"q": "(617) 555-0100"}))
    assert reverse("staff-resident", args=[sms.pk]) in text
    assert reverse("staff-resident", args=[mail.pk]) not in text
    assert viewings(sms).count() == 1 and not viewings(mail).exists()


def test_merging_asks_for_confirmation_then_merges_and_can_be_undone(client, cast, rita):
    mail, sms = rita
    client.force_login(cast.erin)
    url = reverse("staff-resident-merge", args=[mail.pk])
    confirm = client.post(url, {"other": sms.pk})
    assert confirm.status_code == 200 and 'name="confirm"' in page_text(confirm)
    assert Resident.objects.get(pk=sms.pk).merged_into is None

    response = client.post(url, {"other": sms.pk, "confirm": "yes"}, follow=True)
    assert Resident.objects.get(pk=sms.pk).merged_into == mail
    merge = ResidentEvent.objects.get(kind="merged")
    undo_url = reverse("staff-resident-undo", args=[mail.pk, merge.pk])
    assert undo_url in page_text(response)

    client.post(undo_url)
    assert Resident.objects.get(pk=sms.pk).merged_into is None
    assert set(directory.cases_of(sms).values_list("channel", flat=True)) == {"sms"}


def test_merging_an_unknown_resident_says_so(client, cast, rita):
    mail, _sms = rita
    client.force_login(cast.erin)
    response = client.post(reverse("staff-resident-merge", args=[mail.pk]), {"other": 999999})
    assert response.status_code == 400 and "There is no resident with this number." in page_text(response)


def test_the_case_page_opens_the_reporters_resident(client, cast, report):
    case = report(reporter_email="sam@example.org", reporter_phone="617-555-0111")
    client.force_login(cast.erin)
    response = client.post(case_url(case, "staff-case-resident"))
    resident = directory.find(phone="+16175550111")
    assert response.status_code == 302 and response["Location"] == reverse(
        "staff-resident", args=[resident.pk]
    )
    assert directory.find(email="sam@example.org") == resident


def test_intake_finds_the_callers_resident_by_phone(client, cast, rita):
    _mail, sms = rita
    client.force_login(cast.erin)
    response = client.post(reverse("staff-intake-lookup"), {"reporter_phone": "6175550100"}, headers=HTMX)
    text = page_text(response)
    assert reverse("staff-resident", args=[sms.pk]) in text
    assert "Fallen tree" in text  # the open SMS case, found by its E.164 number


def test_merging_a_resident_into_itself_is_refused_before_the_confirmation(client, cast, rita):
    mail, _sms = rita
    client.force_login(cast.erin)
    response = client.post(reverse("staff-resident-merge", args=[mail.pk]), {"other": mail.pk})
    assert response.status_code == 400 and 'name="confirm"' not in page_text(response)
    assert "A resident cannot be merged into itself." in page_text(response)


def test_a_merged_residents_page_points_to_the_resident_it_was_merged_into(client, cast, rita):
    mail, sms = rita
    actions.merge(cast.erin, sms, mail)
    client.force_login(cast.erin)
    client.cookies.load({"django_language": "es"})
    text = page_text(client.get(reverse("staff-resident", args=[sms.pk])))
    assert "Esta ficha se combinó con el" in text
    assert f'href="{reverse("staff-resident", args=[mail.pk])}"' in text
    assert "Combinar un duplicado" not in text  # a merged record takes no merges


def test_a_supervisor_cannot_open_search_or_merge_a_resident_with_no_case_of_their_departments(
    client, cast, report
):
    report(service=cast.tree, channel=Channel.SMS, reporter_phone="617-555-0199")  # Parks only
    parks_only = directory.resident_for(phone="617-555-0199", name="Pat Parks")
    ours = directory.resident_for(email="rita@example.org")
    report(reporter_email="rita@example.org")  # a Public Works case
    client.force_login(cast.dave)  # Public Works
    assert client.get(reverse("staff-resident", args=[parks_only.pk])).status_code == 404
    text = page_text(client.get(reverse("staff-residents"), {"q": "Pat Parks"}))
    assert reverse("staff-resident", args=[parks_only.pk]) not in text
    merge = client.post(reverse("staff-resident-merge", args=[ours.pk]), {"other": parks_only.pk})
    assert merge.status_code == 400
    assert not viewings(parks_only).exists()
    client.force_login(cast.erin)  # a 311 agent sees every department
    assert client.get(reverse("staff-resident", args=[parks_only.pk])).status_code == 200
