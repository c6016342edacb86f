"""Our deliveries checked by the reference Standard Webhooks library, as a receiver using any of the
official SDKs would: a real POST by our sender to a local receiver, verified with the subscription's
secret; a replayed or tampered copy of it is refused."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from civicdesk.cases import actions
from civicdesk.notify.delivery import deliver, requeue
from civicdesk.notify.models import OutboxMessage
from civicdesk.webhooks.models import new_secret


@pytest.fixture
def delivered(cast, receiver, subscribe, django_capture_on_commit_callbacks):
    """One case.created delivery received over HTTP: (subscription, message, headers, raw body)."""
    subscription = subscribe(events=["case.created"])
    with django_capture_on_commit_callbacks(execute=True):
        case = actions.submit_case(service=cast.pothole, answers={"depth": "deep"})
    message = OutboxMessage.objects.get(case=case, channel="webhook")
    [(_path, headers, body)] = receiver.requests
    # Names as a receiver's framework hands them over (urllib sends "Webhook-id"): lower case.
    return subscription, message, {name.lower(): value for name, value in headers.items()}, body


def test_it_is_verified_by_the_reference_library_with_the_subscriptions_secret(delivered):
    subscription, message, headers, body = delivered
    assert subscription.secret.startswith("whsec_")
    payload = Webhook(subscription.secret).verify(body, headers)
    assert payload["type"] == "case.created"
    assert headers["webhook-id"] == message.webhook_id
    assert headers["webhook-signature"].startswith("v1,")
    # The timestamp is this attempt's, in whole seconds since the epoch, as the specification says.
    assert abs(int(headers["webhook-timestamp"]) - timezone.now().timestamp()) < 300


def tampered(headers, body):
    other_signature = Webhook(new_secret()).sign(
        headers["webhook-id"], timezone.now(), body
    )  # a valid signature, by someone without the secret
    return {
        "body changed": (headers, body.replace(b"case.created", b"case.resolved")),
        "id changed": ({**headers, "webhook-id": "msg_forged"}, body),
        "fresh timestamp on an old signature": (
            {**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) + 60)},
            body,
        ),
        "signed with another secret": ({**headers, "webhook-signature": other_signature}, body),
        "signature missing": ({k: v for k, v in headers.items() if k != "webhook-signature"}, body),
    }


@pytest.mark.parametrize(
    "change",
    [
        "body changed",
        "id changed",
        "fresh timestamp on an old signature",
        "signed with another secret",
        "signature missing",
    ],
)
def test_it_refuses_a_tampered_delivery(delivered, change):
    subscription, _message, headers, body = delivered
    forged_headers, forged_body = tampered(headers, body)[change]
    with pytest.raises(WebhookVerificationError):
        Webhook(subscription.secret).verify(forged_body, forged_headers)


def test_it_refuses_the_same_delivery_replayed_after_the_tolerance(delivered):
    subscription, _message, headers, body = delivered
    sent_at = int(headers["webhook-timestamp"])
    with time_machine.travel(sent_at + 4 * 60, tick=False):
        assert Webhook(subscription.secret).verify(body, headers)["type"] == "case.created"
    with time_machine.travel(sent_at + 6 * 60, tick=False), pytest.raises(WebhookVerificationError):
        Webhook(subscription.secret).verify(body, headers)


def test_it_refuses_a_delivery_from_before_a_rotated_secret(delivered):
    subscription, _message, headers, body = delivered
    old_secret = subscription.secret
    subscription.secret = new_secret()
    subscription.save(update_fields=["secret"])
    with pytest.raises(WebhookVerificationError):
        Webhook(subscription.secret).verify(body, headers)
    assert Webhook(old_secret).verify(body, headers)["type"] == "case.created"


def test_it_signs_a_redelivery_afresh_and_the_library_verifies_it(delivered, receiver):
    subscription, message, first_headers, _body = delivered
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=True):
        requeue(OutboxMessage.objects.filter(pk=message.pk), [OutboxMessage.Status.SENT])
        assert deliver(message.pk) == OutboxMessage.Status.SENT
        _path, headers, body = receiver.requests[-1]
        assert Webhook(subscription.secret).verify(body, dict(headers.items()))["type"] == "case.created"
    assert headers["webhook-id"] == first_headers["webhook-id"]
    assert int(headers["webhook-timestamp"]) >= int(first_headers["webhook-timestamp"]) + 600
