"""Case actions reach a real receiver as signed webhooks: the right types, the right subscriptions, no
personal data."""

import json

import pytest
from django.db import connection, transaction

from civicdesk.cases import actions
from civicdesk.cases.workflow import Status
from civicdesk.notify.models import OutboxMessage
from civicdesk.webhooks.models import Subscription, WebhookEvent


def submit(cast, service=None, **fields):
    return actions.submit_case(
        service=service or cast.pothole,
        answers={"depth": "deep"} if service is None else {},
        reporter_email="res@example.org",
        reporter_name="Res",
        latitude=42.35,
        longitude=-71.06,
        address="1 Main St",
        **fields,
    )


def sent_kinds(subscription=None):
    rows = OutboxMessage.objects.filter(channel="webhook").order_by("pk")
    if subscription is not None:
        rows = rows.filter(subscription=subscription)
    return list(rows.values_list("kind", flat=True))


def test_it_posts_signed_deliveries_when_a_case_is_created_replied_and_resolved(
    cast, receiver, subscribe, django_capture_on_commit_callbacks
):
    subscription = subscribe()
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(cast)
    with django_capture_on_commit_callbacks(execute=True):
        actions.reply(case, cast.bob, "A crew comes on Tuesday.")
    with django_capture_on_commit_callbacks(execute=True):
        actions.change_status(case, cast.bob, Status.RESOLVED, message="Filled and rolled.")

    payloads = receiver.verified(subscription.secret)
    assert [p["type"] for p in payloads] == [
        "case.created",
        "case.public_comment",
        "case.status_changed",
        "case.resolved",
        "case.public_comment",
    ]
    created, comment, changed, resolved, _last = payloads
    assert created["data"]["number"] == case.number and created["data"]["status"] == "new"
    assert created["data"]["service"] == {"code": "pothole", "name": "Pothole"}
    assert created["data"]["department"] == "public-works" and created["data"]["priority"] == "normal"
    assert (created["data"]["latitude"], created["data"]["address"]) == (42.35, "1 Main St")
    assert created["data"]["url"].endswith(f"/cases/{case.number}/")
    assert created["timestamp"].endswith("Z") and created["data"]["created_at"].endswith("Z")
    assert comment["data"]["event"]["message"] == "A crew comes on Tuesday."
    assert changed["data"]["event"]["changes"] == {"status": ["new", "resolved"]}
    assert resolved["data"]["status"] == "resolved" and resolved["data"]["resolved_at"]

    paths = {path for path, _headers, _body in receiver.requests}
    headers = [h for _path, h, _body in receiver.requests]
    assert paths == {"/hooks/civicdesk"}
    assert {h["Content-Type"] for h in headers} == {"application/json"}
    assert {h["User-Agent"] for h in headers} == {"CivicDesk-Webhooks/1"}
    ids = [h["webhook-id"] for h in headers]
    assert len(set(ids)) == 5 and all(i.startswith("msg_") for i in ids)
    stored = OutboxMessage.objects.filter(channel="webhook").order_by("pk")
    assert [m.webhook_id for m in stored] == ids
    assert {(m.status, m.attempts, m.subscription_id) for m in stored} == {("sent", 1, subscription.pk)}


def test_it_maps_each_staff_action_to_its_event_types(cast, subscribe):
    subscription = subscribe()
    case = submit(cast)
    case = actions.acknowledge(case, cast.bob)
    case = actions.change_priority(case, cast.bob, 1)
    case = actions.add_note(case, cast.bob, "Caller sounded upset.")
    actions.record_contact_view(case, cast.dave)
    case = actions.assign(case, cast.dave, assignee=cast.bob)
    case = actions.recategorise(case, cast.bob, cast.tree)  # and the rerouting to Parks
    case = actions.change_status(case, cast.root, Status.RESOLVED)
    case = actions.change_status(case, cast.root, Status.CLOSED)
    actions.reopen(case, cast.root, reason="It came back")

    assert sent_kinds(subscription) == [
        "case.created",
        "case.status_changed",  # acknowledged: new -> open
        "case.updated",  # priority
        "case.updated",  # assigned (the note and the contact view send nothing)
        "case.updated",  # service changed
        "case.updated",  # routed to Parks because of it
        "case.status_changed",
        "case.resolved",
        "case.status_changed",
        "case.closed",
        "case.status_changed",  # reopened
    ]


def test_it_tells_a_merge_once_on_each_case(cast, subscribe):
    subscription = subscribe()
    original, duplicate = submit(cast), submit(cast)
    OutboxMessage.objects.all().delete()
    actions.merge(duplicate, cast.bob, original)

    rows = OutboxMessage.objects.filter(subscription=subscription).order_by("pk")
    assert [(m.case, m.kind) for m in rows] == [
        (duplicate, "case.status_changed"),
        (original, "case.updated"),
    ]
    merged, added = (json.loads(m.body)["data"] for m in rows)
    assert (merged["status"], merged["duplicate_of"]) == ("duplicate", original.number)
    assert added["event"]["changes"] == {"duplicates": [None, duplicate.number]}


def test_it_sends_only_what_each_subscription_asks_for(cast, receiver, subscribe):
    everything = subscribe()
    resolutions = subscribe(events=[WebhookEvent.RESOLVED])
    parks = subscribe(departments=[cast.parks])
    trees = subscribe(services=[cast.tree], events=[WebhookEvent.CREATED, WebhookEvent.RESOLVED])
    paused = subscribe(active=False)

    pothole = submit(cast)
    actions.change_status(pothole, cast.bob, Status.RESOLVED)
    tree = submit(cast, service=cast.tree)
    actions.reply(tree, cast.carol, "On our list.")

    assert sent_kinds(everything) == [
        "case.created",
        "case.status_changed",
        "case.resolved",
        "case.created",
        "case.public_comment",
    ]
    assert sent_kinds(resolutions) == ["case.resolved"]
    assert sent_kinds(parks) == ["case.created", "case.public_comment"]
    assert sent_kinds(trees) == ["case.created"]
    assert sent_kinds(paused) == []
    assert set(OutboxMessage.objects.filter(subscription=trees).values_list("case", flat=True)) == {tree.pk}


def test_it_never_sends_personal_data_or_internal_notes(
    cast, receiver, subscribe, django_capture_on_commit_callbacks
):
    subscription = subscribe()
    with django_capture_on_commit_callbacks(execute=True):
        case = actions.submit_case(
            service=cast.pothole,
            answers={"depth": "deep"},
            reporter_name="Zebulon Quigley",
            reporter_email="zebulon.quigley@example.org",
            reporter_phone="+1 617 555 0199",
            description="Huge hole by the bakery",
        )
    with django_capture_on_commit_callbacks(execute=True):
        case = actions.assign(case, cast.dave, assignee=cast.bob)
        case = actions.add_note(case, cast.bob, "Secret internal remark about the caller")
        actions.record_contact_view(case, cast.dave)
        actions.change_status(case, cast.bob, Status.RESOLVED, message="Filled.")
        actions.resident_comment(case, "Zebulon again: call me on 617 555 0199")

    bodies = [body.decode() for _path, _headers, body in receiver.requests]
    # created; assigned (new -> open, so a status change too); resolved (two types); the public
    # reply; the resident's comment (that it came, not what it says)
    assert len(bodies) == 7
    everything = "\n".join(bodies)
    assert "Huge hole by the bakery" in everything  # the public description does go out
    for private in (
        "Zebulon",
        "Quigley",
        "zebulon.quigley@example.org",
        "555 0199",
        "Secret internal remark",
        "Bob Worker",  # staff names stay inside too
        "bob@demo.test",
        case.tracking_token,  # the private tracking link is the reporter's key
    ):
        assert private not in everything
    assigned = [p for p in receiver.verified(subscription.secret) if p["data"]["event"]["kind"] == "assigned"]
    assert [p["type"] for p in assigned] == ["case.status_changed", "case.updated"]
    assert assigned[1]["data"]["event"]["changes"] == {"status": ["new", "open"]}  # not who it went to


def test_it_sees_subscription_changes_at_once_despite_the_cache(cast, subscribe):
    submit(cast)  # caches "no subscriptions"
    assert sent_kinds() == []

    subscription = subscribe()
    first = submit(cast)
    assert sent_kinds(subscription) == ["case.created"]

    subscription.departments.set([cast.parks])  # m2m change
    submit(cast)
    subscription.departments.clear()
    subscription.events = [WebhookEvent.PUBLIC_COMMENT]  # save
    subscription.save()
    actions.reply(first, cast.bob, "Thanks.")
    Subscription.objects.get(pk=subscription.pk).delete()
    submit(cast)
    assert sent_kinds() == ["case.created", "case.public_comment"]


@pytest.mark.django_db
def test_it_writes_the_deliveries_in_the_actions_transaction(cast, subscribe):
    subscription = subscribe()
    with pytest.raises(RuntimeError):
        from django.db import transaction

        with transaction.atomic():
            submit(cast)
            assert sent_kinds(subscription) == ["case.created"]
            raise RuntimeError("the action's caller fails")
    assert sent_kinds() == []


def test_it_never_uses_a_subscription_another_process_or_a_rollback_took_away(cast, subscribe, settings):
    settings.POLICY_REFRESH_SECONDS = 0  # the refresh interval has passed at every call
    subscription = subscribe()
    submit(cast)
    # Another process deactivates it: its transaction gives the policy a new version, and nothing
    # tells this process's memory.
    Subscription.objects.filter(pk=subscription.pk).update(active=False)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_policyversion SET token = 'changed-elsewhere'")
    submit(cast)
    assert sent_kinds() == ["case.created"]
    # A subscription created in a transaction that rolled back, read (and cached) inside it.
    with pytest.raises(RuntimeError), transaction.atomic():
        subscribe()
        submit(cast)
        raise RuntimeError("rolled back")
    submit(cast)
    assert sent_kinds() == ["case.created"]
