"""/webhooks: subscription CRUD for administrators only; the secret is shown once."""

import pytest

from civicdesk.webhooks.models import Subscription

from .conftest import error_of

HOOK = {
    "name": "Work orders",
    "url": "https://wo.example.org/hooks/civicdesk",
    "events": ["case.created", "case.status_changed"],
    "departments": ["public-works"],
    "services": ["pothole"],
}


def test_it_lets_an_administrator_create_read_change_and_delete_a_subscription(api, cast):
    root = api("root")
    created = root.post("/webhooks", HOOK)
    assert created.status_code == 201, created.content
    body = created.json()
    subscription = Subscription.objects.get()
    assert body["secret"] == subscription.secret and body["secret"].startswith("whsec_")
    assert subscription.created_by == cast.root and body["departments"] == ["public-works"]
    read = root.get(f"/webhooks/{subscription.pk}").json()
    assert "secret" not in read and read["events"] == ["case.created", "case.status_changed"]
    assert [h["id"] for h in root.get("/webhooks").json()] == [subscription.pk]
    changed = root.send("PATCH", f"/webhooks/{subscription.pk}", {"active": False, "services": []})
    assert (
        changed.status_code == 200 and changed.json()["active"] is False and changed.json()["services"] == []
    )
    assert changed.json()["name"] == "Work orders"  # untouched
    assert root.send("DELETE", f"/webhooks/{subscription.pk}").status_code == 204
    assert not Subscription.objects.exists()
    assert root.get(f"/webhooks/{subscription.pk}").status_code == 404


@pytest.mark.parametrize("person", ["alice", "bob", "carol", "dave", "erin"])
def test_it_refuses_everyone_but_administrators(api, person):
    Subscription.objects.create(name="x", url="https://x.example.org")
    caller = api(person)
    assert caller.get("/webhooks").status_code == 403
    response = caller.post("/webhooks", HOOK)
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
    assert Subscription.objects.count() == 1


def test_it_refuses_a_read_token_and_a_department_restricted_token(api, cast):
    assert api("root", "read").post("/webhooks", HOOK).status_code == 403
    assert api("root", departments=[cast.parks]).get("/webhooks").status_code == 403
    assert not Subscription.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"url": "ftp://files.example.org"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"events": ["case.exploded"]}, "events.0"),
        ({"departments": ["nowhere"]}, "departments"),
        ({"services": ["unicorns"]}, "services"),
        ({"name": ""}, "name"),
    ],
)
def test_it_checks_every_field(api, change, field):
    response = api("root").post("/webhooks", {**HOOK, **change})
    assert response.status_code == 422
    assert field in error_of(response)["fields"], error_of(response)
    assert not Subscription.objects.exists()


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080/", "http://169.254.169.254/latest/", "http://[::1]/"])
def test_it_refuses_internal_receiver_addresses(api, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = api("root").post("/webhooks", {**HOOK, "url": url})
    assert response.status_code == 422
    assert "internal address" in error_of(response)["fields"]["url"][0]
    assert not Subscription.objects.exists()
