from django.urls import reverse

from civicdesk.cases import actions
from civicdesk.routing.models import RoutingRule


def rule_form(cast, **overrides):
    data = {
        "name": "Holes to Parks",
        "order": "10",
        "active": "on",
        "services": [cast.pothole.pk],
        "service_groups": "",
        "areas": "",
        "keywords": "",
        "answers": "{}",
        "channels": "[]",
        "priorities": "[]",
        "weekdays": "[]",
        "from_time": "",
        "to_time": "",
        "set_department": cast.parks.pk,
        "assign_to": "",
        "set_priority": "",
        "add_tags": "",
    }
    return data | overrides


def test_it_dry_runs_an_edited_rule_on_recent_cases_without_saving(client, cast):
    for _ in range(3):
        actions.submit_case(service=cast.pothole, description="Hole", answers={"depth": "deep"})
    actions.submit_case(service=cast.tree, description="Tree")
    client.force_login(cast.root)
    response = client.post(reverse("admin:routing_routingrule_add"), rule_form(cast, _dryrun="1"))
    page = response.content.decode()
    assert response.status_code == 200 and "3 would be routed differently" in page
    assert page.count("Parks") >= 3 and not RoutingRule.objects.exists()


def test_it_saves_a_rule_and_refuses_a_missing_area(client, cast):
    client.force_login(cast.root)
    response = client.post(reverse("admin:routing_routingrule_add"), rule_form(cast, areas="ward:42"))
    assert response.status_code == 200 and "No such area: ward:42" in response.content.decode()
    response = client.post(reverse("admin:routing_routingrule_add"), rule_form(cast))
    assert response.status_code == 302 and RoutingRule.objects.get().set_department == cast.parks


def test_it_keeps_the_admin_for_administrators(client, cast):
    client.force_login(cast.dave)
    assert client.get(reverse("admin:routing_routingrule_changelist")).status_code == 302


def test_it_routes_with_a_rule_saved_in_the_admin_at_once_in_this_process(client, cast, settings):
    """No other process's interval to wait for: the save bumps the policy version in its own
    transaction and clears this process's cached rules (cases.policy)."""
    settings.POLICY_REFRESH_SECONDS = 3600  # a cached copy would be kept for an hour

    def submit():
        return actions.submit_case(service=cast.pothole, description="Hole", answers={"depth": "deep"})

    assert submit().department == cast.public_works  # the rules are now cached
    client.force_login(cast.root)
    response = client.post(reverse("admin:routing_routingrule_add"), rule_form(cast))
    assert response.status_code == 302
    assert submit().department == cast.parks
    rule = RoutingRule.objects.get()
    change = reverse("admin:routing_routingrule_change", args=[rule.pk])
    response = client.post(change, rule_form(cast, services=[cast.tree.pk]))  # a many-to-many change
    assert response.status_code == 302
    assert submit().department == cast.public_works
