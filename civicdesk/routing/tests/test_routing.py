"""Routing end to end: a resident submits through the portal; department and timeline are checked."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from civicdesk.areas import locate
from civicdesk.areas.actions import import_file
from civicdesk.cases import actions
from civicdesk.cases.models import Case, EventKind, Service, Status
from civicdesk.routing.models import RoutingRule


def square(west, south, size):
    return [
        [west, south],
        [west + size, south],
        [west + size, south + size],
        [west, south + size],
        [west, south],
    ]


def layer(slug, *named_squares, **options):
    features = [
        {
            "type": "Feature",
            "properties": {"name": name},
            "geometry": {"type": "Polygon", "coordinates": [square(*box)]},
        }
        for name, box in named_squares
    ]
    import_file(json.dumps({"type": "FeatureCollection", "features": features}), slug, "name", **options)
    locate.invalidate()


@pytest.fixture
def wards(cast):
    layer("ward", ("3", (-71.2, 42.2, 0.1)), ("4", (-71.1, 42.2, 0.1)))
    return cast


def report(client, service, **data):
    fields = {"description": "Please look", "address": "", "name": "", "email": ""} | data
    response = client.post(reverse("portal-report", args=[service.code]), fields)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Case.objects.filter(parent__isnull=True).latest("id")


def routed(case):
    return case.events.get(kind=EventKind.ROUTED)


def test_it_routes_by_area(client, wards):
    rule = RoutingRule.objects.create(
        name="Trees in Ward 3", areas="ward:3", set_department=wards.public_works
    )
    rule.services.set([wards.tree])
    in_ward_3 = report(client, wards.tree, latitude="42.25", longitude="-71.15")
    in_ward_4 = report(client, wards.tree, latitude="42.25", longitude="-71.05")
    assert in_ward_3.areas == {"ward": "3"} and in_ward_3.department == wards.public_works
    assert "by rule “Trees in Ward 3”" in routed(in_ward_3).message
    assert in_ward_4.department == wards.parks and "default department" in routed(in_ward_4).message


def test_it_routes_by_keyword_and_sets_priority_and_tags(client, cast):
    RoutingRule.objects.create(
        name="Gas leaks", keywords="gas, fumes", set_department=cast.parks, set_priority=1, add_tags="hazard"
    )
    case = report(client, cast.pothole, description="Strong GAS smell near the hole", attr_depth="deep")
    other = report(client, cast.pothole, description="Gasoline-free pothole", attr_depth="deep")
    assert (case.department, case.priority, case.tags) == (cast.parks, 1, ["hazard"])
    assert routed(case).changes["rules"][1][0][1] == "Gas leaks"
    assert other.department == cast.public_works and other.tags == []


def test_it_splits_into_sub_cases_and_resolves_the_parent_when_all_are_done(
    client, cast, django_capture_on_commit_callbacks
):
    rule = RoutingRule.objects.create(name="Tree on the road", keywords="road")
    rule.services.set([cast.tree])
    rule.split_to.set([cast.public_works])
    parent = report(client, cast.tree, description="Tree fell across the road", email="r@example.org")
    child = parent.children.get()
    assert parent.department == cast.parks and child.department == cast.public_works
    assert parent.events.filter(kind=EventKind.SPLIT).exists()
    assert child.events.get(kind=EventKind.SUBMITTED).changes["parent"] == [None, parent.number]
    with pytest.raises(ValidationError, match="Sub-cases are still open"):
        actions.change_status(parent, cast.carol, Status.RESOLVED)
    actions.change_status(child, cast.bob, Status.RESOLVED)
    parent.refresh_from_db()
    assert parent.status == Status.RESOLVED
    assert parent.events.filter(kind=EventKind.STATUS, actor=None).exists()


def test_it_sends_cases_no_rule_takes_to_triage(client, cast):
    orphan = Service.objects.create(code="odd", name="Something odd", default_department=None)
    case = report(client, orphan, description="Strange noise")
    assert case.department is None and "triage" in routed(case).message
    assert case in Case.objects.visible_to(cast.erin) and case not in Case.objects.visible_to(cast.bob)


def test_it_reroutes_when_the_service_changes(cast):
    case = actions.submit_case(service=cast.tree, description="It is a pothole really")
    actions.assign(case, cast.carol, assignee=cast.carol)
    case = actions.recategorise(case, cast.carol, cast.pothole)
    assert case.department == cast.public_works and case.assignee is None
    assert case.events.filter(kind=EventKind.ROUTED).count() == 2


def test_it_refuses_a_location_outside_the_city(client, cast):
    layer("city", ("Riverton", (-71.2, 42.2, 0.2)), city_boundary=True)
    response = client.post(
        reverse("portal-report", args=["tree"]),
        {"description": "x", "latitude": "40.0", "longitude": "-74.0"},
    )
    assert "outside" in response.content.decode() and not Case.objects.exists()


def test_it_refuses_rules_pointing_at_missing_areas_or_bad_patterns(cast):
    rule = RoutingRule(name="bad", areas="ward:99", keywords="re:(unclosed")
    with pytest.raises(ValidationError) as error:
        rule.full_clean()
    assert {"areas", "keywords"} <= set(error.value.message_dict)


def test_it_protects_a_department_a_rule_uses(cast):
    from django.db.models import ProtectedError

    RoutingRule.objects.create(name="x", set_department=cast.parks)
    Service.objects.filter(default_department=cast.parks).update(default_department=cast.public_works)
    with pytest.raises(ProtectedError):
        cast.parks.delete()


def test_it_falls_back_when_a_rule_names_an_inactive_department(cast):
    RoutingRule.objects.create(name="to closed dept", set_department=cast.parks, assign_to=cast.carol)
    cast.parks.active = False
    cast.parks.save()
    case = actions.submit_case(service=cast.pothole, description="x", answers={"depth": "deep"})
    assert case.department == cast.public_works and case.assignee is None


def test_it_keeps_a_parent_open_while_any_sub_case_works(cast):
    rule = RoutingRule.objects.create(name="split", keywords="road")
    rule.split_to.set([cast.public_works])
    parent = actions.submit_case(service=cast.tree, description="Tree on the road")
    for status in (Status.REJECTED, Status.NOT_OUR_RESPONSIBILITY):
        with pytest.raises(ValidationError, match="Sub-cases are still open"):
            actions.change_status(parent, cast.carol, status, reason="no")
    other = actions.submit_case(service=cast.tree, description="Tree")
    with pytest.raises(ValidationError, match="Sub-cases are still open"):
        actions.merge(parent, cast.carol, other)
