"""The queue: scoping per role, filters, search, saved views, marks, escaping."""

import base64
import json
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from civicdesk.cases import actions
from civicdesk.cases.models import Case, Channel, Priority
from civicdesk.cases.queries import capped_count

from .helpers import HTMX, page_text


def numbers(response):
    return {case.number for case in response.context["cases"]}


@pytest.fixture
def city(cast, report):
    return {
        "hole": report(description="Deep hole on Elm Street", address="12 Elm Street"),
        "crack": report(description="Cracked road", address="4 Oak Avenue", channel=Channel.PHONE),
        "tree": report(service=cast.tree, description="Fallen oak across the path", address="Riverside Park"),
    }


def queue(client, user, **params):
    client.force_login(user)
    response = client.get(reverse("staff-queue"), params)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize(
    ("person", "sees"),
    [
        ("bob", {"hole", "crack"}),
        ("dave", {"hole", "crack"}),
        ("carol", {"tree"}),
        ("erin", {"hole", "crack", "tree"}),
        ("root", {"hole", "crack", "tree"}),
    ],
)
def test_it_shows_each_role_only_the_cases_it_may_see(client, cast, city, person, sees):
    response = queue(client, getattr(cast, person))
    assert numbers(response) == {city[name].number for name in sees}


def test_it_never_lists_another_departments_case_even_when_searched_for(client, cast, city):
    response = queue(client, cast.carol, q=city["hole"].number, status="")
    assert numbers(response) == set()
    assert f"/staff/cases/{city['hole'].number}/" not in page_text(response)


def test_it_opens_on_active_cases_and_can_show_every_status(client, cast, city):
    actions.change_status(city["crack"], cast.bob, "resolved")
    assert numbers(queue(client, cast.bob)) == {city["hole"].number}
    assert numbers(queue(client, cast.bob, status="")) == {city["hole"].number, city["crack"].number}
    assert numbers(queue(client, cast.bob, status="finished")) == {city["crack"].number}
    assert numbers(queue(client, cast.bob, status="resolved")) == {city["crack"].number}


def test_it_filters_by_service_department_and_channel(client, cast, city):
    assert numbers(queue(client, cast.root, service="tree")) == {city["tree"].number}
    assert numbers(queue(client, cast.root, department="public-works")) == {
        city["hole"].number,
        city["crack"].number,
    }
    assert numbers(queue(client, cast.root, channel="phone")) == {city["crack"].number}


def test_it_filters_by_assignee_me_and_unassigned(client, cast, city):
    actions.assign(city["hole"], cast.bob, assignee=cast.bob)
    assert numbers(queue(client, cast.bob, assignee="me")) == {city["hole"].number}
    assert numbers(queue(client, cast.bob, assignee="unassigned")) == {city["crack"].number}
    assert numbers(queue(client, cast.dave, assignee=str(cast.bob.pk))) == {city["hole"].number}


def test_it_filters_overdue_cases_and_marks_them_in_words(client, cast, city):
    Case.objects.filter(pk=city["hole"].pk).update(expected_at=timezone.now() - timedelta(hours=2))
    Case.objects.filter(pk=city["crack"].pk).update(expected_at=timezone.now() + timedelta(days=2))
    response = queue(client, cast.bob, overdue="on")
    assert numbers(response) == {city["hole"].number}
    assert 'class="badge overdue">Overdue<' in page_text(response)


def test_it_does_not_call_a_finished_case_overdue(client, cast, city):
    Case.objects.filter(pk=city["hole"].pk).update(expected_at=timezone.now() - timedelta(hours=2))
    actions.change_status(city["hole"], cast.bob, "resolved")
    assert numbers(queue(client, cast.bob, overdue="on", status="")) == set()


def test_it_marks_urgent_cases_in_words(client, cast, city):
    actions.change_priority(city["crack"], cast.bob, Priority.URGENT)
    text = page_text(queue(client, cast.bob))
    assert 'class="badge urgent">Urgent<' in text


def test_it_filters_by_creation_date(client, cast, report):
    with time_machine.travel(timezone.now() - timedelta(days=10)):
        old = report(description="Old one")
    new = report(description="New one")
    today = timezone.localdate()
    assert numbers(queue(client, cast.bob, created_from=str(today))) == {new.number}
    earlier = str(today - timedelta(days=5))
    assert numbers(queue(client, cast.bob, created_to=earlier)) == {old.number}


def test_it_sorts_by_priority_then_due_time_with_no_due_time_last(client, cast, report):
    low = report(priority=Priority.LOW)
    normal_no_due = report()
    normal_due_later = report()
    normal_due_soon = report()
    urgent = report(priority=Priority.URGENT)
    now = timezone.now()
    Case.objects.filter(pk=normal_due_later.pk).update(expected_at=now + timedelta(days=3))
    Case.objects.filter(pk=normal_due_soon.pk).update(expected_at=now + timedelta(days=1))
    listed = [c.number for c in queue(client, cast.bob).context["cases"]]
    expected = [urgent, normal_due_soon, normal_due_later, normal_no_due, low]
    assert listed == [c.number for c in expected]


def test_history_lists_newest_first_unless_another_order_is_chosen(client, cast, report):
    urgent_old = report(priority=Priority.URGENT)
    low_new = report(priority=Priority.LOW)
    actions.change_status(low_new, cast.bob, "resolved", message="Done.")
    Case.objects.filter(pk=urgent_old.pk).update(created_at=timezone.now() - timedelta(days=2))
    for status in ("", "finished"):
        response = queue(client, cast.bob, status=status)
        assert response.context["form"]["sort"].value() == "newest"
    listed = [c.number for c in queue(client, cast.bob, status="").context["cases"]]
    assert listed == [low_new.number, urgent_old.number]
    by_priority = queue(client, cast.bob, status="", sort="priority").context["cases"]
    assert [c.number for c in by_priority] == [urgent_old.number, low_new.number]
    assert queue(client, cast.bob).context["form"]["sort"].value() == "priority"


def test_a_word_search_counts_fewer_cases_than_a_filter(client, cast, city, monkeypatch):
    monkeypatch.setattr("civicdesk.staff.views.queue.SEARCH_COUNT_CAP", 1)
    searched = queue(client, cast.root, q="oak").context["count"]
    assert (searched.value, searched.capped) == (1, True)
    listed = queue(client, cast.root).context["count"]
    assert (listed.value, listed.capped) == (3, False)


def test_it_searches_description_address_number_and_comments(client, cast, city):
    actions.add_note(city["crack"], cast.bob, "Contractor ticket QX42")
    assert numbers(queue(client, cast.root, q="elm")) == {city["hole"].number}
    assert numbers(queue(client, cast.root, q="oak")) == {city["crack"].number, city["tree"].number}
    assert numbers(queue(client, cast.root, q="qx42")) == {city["crack"].number}
    assert numbers(queue(client, cast.root, q=city["tree"].number)) == {city["tree"].number}


def test_it_ignores_invalid_filter_values(client, cast, city):
    response = queue(client, cast.bob, service="no-such", created_from="yesterday", after="garbage")
    assert numbers(response) == {city["hole"].number, city["crack"].number}


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_it_ignores_dates_outside_the_accepted_years(client, cast, city, day):
    for name in ("created_from", "created_to"):
        assert numbers(queue(client, cast.bob, **{name: day})) == {city["hole"].number, city["crack"].number}
    client.force_login(cast.bob)
    assert client.get(reverse("staff-export", args=["csv"]), {"created_to": day}).status_code == 200


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"])
def test_it_starts_from_the_top_for_a_cursor_with_an_impossible_date(client, cast, city, moment):
    cursor = base64.urlsafe_b64encode(json.dumps([moment, 1]).encode()).decode().rstrip("=")
    response = queue(client, cast.bob, sort="newest", after=cursor)
    assert numbers(response) == {city["hole"].number, city["crack"].number}


def test_it_pages_with_a_cursor(client, cast, report, monkeypatch):
    monkeypatch.setattr("civicdesk.staff.views.queue.PAGE_SIZE", 2)
    made = [report(description=f"Hole {i}") for i in range(5)]
    seen, params = [], {}
    for _page in range(3):
        response = queue(client, cast.bob, **params)
        seen += [c.number for c in response.context["cases"]]
        page = response.context["page"]
        if not page.next_cursor:
            break
        params = {"after": page.next_cursor}
    assert seen == [c.number for c in made]
    back = queue(client, cast.bob, before=response.context["page"].previous_cursor)
    assert [c.number for c in back.context["cases"]] == [c.number for c in made[2:4]]


def test_it_offers_saved_views_with_counts(client, cast, city):
    actions.assign(city["hole"], cast.bob, assignee=cast.bob)
    response = queue(client, cast.bob, assignee="me", status="active")
    views = {item["view"].slug: item for item in response.context["views"]}
    assert views["mine"]["count"].value == 1 and views["mine"]["current"]
    assert views["unassigned"]["count"].value == 1
    assert views["all-open"]["count"].value == 2
    assert 'aria-current="page">My open cases' in page_text(response)


def test_it_caps_counts_instead_of_counting_everything(cast, report):
    for _ in range(4):
        report()
    count = capped_count(Case.objects.all(), cap=3)
    assert (count.value, count.capped) == (3, True)
    count = capped_count(Case.objects.all(), cap=10)
    assert (count.value, count.capped) == (4, False)


def test_it_shows_html_in_descriptions_as_text(client, cast, report):
    report(description="<script>alert('x')</script><b>bold</b>", address="<i>1 Main</i>")
    text = page_text(queue(client, cast.bob))
    assert "<script>alert" not in text and "<b>bold</b>" not in text and "<i>1 Main</i>" not in text
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in text


def test_it_returns_only_the_results_to_htmx(client, cast, city):
    client.force_login(cast.bob)
    response = client.get(reverse("staff-queue"), {"q": "elm"}, headers=HTMX)
    text = page_text(response)
    assert text.lstrip().startswith('<div id="queue-results">')
    assert city["hole"].number in text and "<html" not in text
    assert 'id="queue-summary-text" hx-swap-oob="true"' in text
    assert "HX-Request" in response["Vary"]
