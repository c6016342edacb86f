"""The administrator's webhook pages: subscriptions, secret rotation, the delivery log, redelivery."""

import pytest
from django.utils.html import escape

from civicdesk.cases import actions
from civicdesk.notify.models import OutboxMessage
from civicdesk.test import PASSWORD
from civicdesk.webhooks.models import DeliveryAttempt, Subscription

SUBSCRIPTIONS = "/admin/webhooks/subscription/"
DELIVERIES = "/admin/webhooks/webhookdelivery/"
LOG = "/admin/webhooks/deliveryattempt/"


@pytest.fixture
def root_client(cast, client):
    assert client.login(email="root@demo.test", password=PASSWORD)
    return client


def test_it_creates_a_subscription_with_event_checkboxes_and_filters(cast, root_client, receiver):
    form = root_client.get(SUBSCRIPTIONS + "add/").content.decode()
    assert 'type="checkbox" name="events" value="case.resolved"' in form
    assert "whsec_" not in form  # the secret is made on save and shown afterwards

    response = root_client.post(
        SUBSCRIPTIONS + "add/",
        {
            "name": "Work orders",
            "url": receiver.url,
            "active": "on",
            "events": ["case.created", "case.resolved"],
            "departments": [cast.public_works.pk],
            "services": [],
        },
    )
    assert response.status_code == 302
    subscription = Subscription.objects.get()
    assert subscription.events == ["case.created", "case.resolved"]
    assert list(subscription.departments.all()) == [cast.public_works]
    assert subscription.created_by == cast.root and subscription.secret.startswith("whsec_")

    page = root_client.get(f"{SUBSCRIPTIONS}{subscription.pk}/change/").content.decode()
    assert subscription.secret in page and 'name="secret"' not in page  # read-only
    assert f"{LOG}?subscription__id__exact={subscription.pk}" in page


def test_it_refuses_a_receiver_that_is_not_http(cast, root_client):
    response = root_client.post(
        SUBSCRIPTIONS + "add/", {"name": "Files", "url": "ftp://files.city.test/in", "events": []}
    )
    assert response.status_code == 200
    assert escape("Enter an address starting with https:// (or http://).") in response.content.decode()
    assert not Subscription.objects.exists()


def test_it_rotates_the_secret(cast, root_client, subscribe):
    subscription = subscribe()
    old = subscription.secret
    response = root_client.post(
        SUBSCRIPTIONS, {"action": "rotate_secret", "_selected_action": [subscription.pk]}, follow=True
    )
    assert "Secret rotated for 1 subscription." in response.content.decode()
    subscription.refresh_from_db()
    assert subscription.secret.startswith("whsec_") and subscription.secret != old


def test_it_lists_the_log_by_result_and_redelivers_with_the_same_webhook_id(
    cast, root_client, receiver, subscribe, django_capture_on_commit_callbacks
):
    subscription = subscribe(events=["case.created"])
    receiver.status = 503
    with django_capture_on_commit_callbacks(execute=True):
        case = actions.submit_case(service=cast.pothole, answers={"depth": "deep"})
    message = OutboxMessage.objects.get(case=case, channel="webhook")

    failures = root_client.get(LOG, {"success__exact": "0"}).content.decode()
    assert message.webhook_id in failures and "HTTP 503 Service Unavailable" in failures
    assert message.webhook_id not in root_client.get(LOG, {"success__exact": "1"}).content.decode()
    assert message.webhook_id in root_client.get(LOG, {"status_code": "503"}).content.decode()
    assert message.webhook_id in root_client.get(DELIVERIES, {"status__exact": "pending"}).content.decode()
    assert message.webhook_id not in root_client.get(DELIVERIES, {"status__exact": "sent"}).content.decode()
    detail = root_client.get(f"{DELIVERIES}{message.pk}/change/").content.decode()
    assert message.webhook_id in detail and "503" in detail  # the attempts inline

    receiver.status = 200
    with django_capture_on_commit_callbacks(execute=True):
        response = root_client.post(DELIVERIES, {"action": "redeliver", "_selected_action": [message.pk]})
    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)

    # A delivered message can be sent again too (the receiver lost it), from the log.
    sent_attempt = DeliveryAttempt.objects.filter(success=True).get()
    with django_capture_on_commit_callbacks(execute=True):
        root_client.post(LOG, {"action": "redeliver", "_selected_action": [sent_attempt.pk]})
    assert [h["webhook-id"] for _p, h, _b in receiver.requests] == [message.webhook_id] * 3
    assert list(DeliveryAttempt.objects.values_list("status_code", flat=True)) == [200, 200, 503]
    assert [p["type"] for p in receiver.verified(subscription.secret)[1:]] == ["case.created"] * 2


def test_it_does_not_redeliver_a_message_being_sent(cast, root_client, subscribe):
    subscription = subscribe()
    sending = OutboxMessage.objects.create(
        channel="webhook", kind="case.created", subscription=subscription, body="{}", status="sending"
    )
    root_client.post(DELIVERIES, {"action": "redeliver", "_selected_action": [sending.pk]})
    sending.refresh_from_db()
    assert sending.status == "sending"
