"""Standard Webhooks signatures: the specification's test vector, and what `verify` refuses."""

import json

import pytest
import time_machine

from civicdesk.webhooks.models import new_secret
from civicdesk.webhooks.signing import VerificationError, headers, sign, verify

# The test vector published with the Standard Webhooks libraries: matching it means any of them
# verifies our deliveries.
VECTOR = ("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330)
VECTOR_BODY = '{"test": 2432232314}'


def test_it_reproduces_the_specifications_test_vector():
    secret, webhook_id, timestamp = VECTOR
    assert (
        sign(secret, webhook_id, timestamp, VECTOR_BODY) == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )
    with time_machine.travel(timestamp + 10, tick=False):
        assert verify(secret, headers(secret, webhook_id, VECTOR_BODY, timestamp), VECTOR_BODY) == {
            "test": 2432232314
        }


def signed(secret, body='{"type":"case.created"}'):
    return headers(secret, "msg_1", body), body


@pytest.mark.parametrize(
    "tamper, reason",
    [
        (lambda h, b: (h, b.replace("created", "resolved")), "No signature matches."),
        (lambda h, b: ({**h, "webhook-id": "msg_2"}, b), "No signature matches."),
        (lambda h, b: ({**h, "webhook-timestamp": str(int(h["webhook-timestamp"]) - 301)}, b), "too old"),
        (lambda h, b: ({**h, "webhook-timestamp": str(int(h["webhook-timestamp"]) + 301)}, b), "too old"),
        (lambda h, b: ({**h, "webhook-timestamp": "yesterday"}, b), "not a number"),
        (lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b), "Missing header"),
        (lambda h, b: ({**h, "webhook-signature": "v1,AAAA"}, b), "No signature matches."),
    ],
)
def test_it_refuses_a_tampered_or_stale_delivery(tamper, reason):
    secret = new_secret()
    good_headers, body = signed(secret)
    assert verify(secret, good_headers, body.encode()) == {"type": "case.created"}
    with pytest.raises(VerificationError, match=reason):
        verify(secret, *tamper(good_headers, body))


def test_it_refuses_another_secret_and_an_old_delivery_replayed_later():
    secret = new_secret()
    good_headers, body = signed(secret)
    with pytest.raises(VerificationError):
        verify(new_secret(), good_headers, body)
    replayed_at = int(good_headers["webhook-timestamp"]) + 301
    with time_machine.travel(replayed_at, tick=False), pytest.raises(VerificationError, match="too old"):
        verify(secret, good_headers, body)
    assert verify(secret, good_headers, body, tolerance=10**9) == json.loads(body)


def test_it_accepts_any_one_of_several_signatures_during_a_rotation():
    old, new = new_secret(), new_secret()
    good_headers, body = signed(new)
    old_signature = sign(old, "msg_1", int(good_headers["webhook-timestamp"]), body)
    both = f"{old_signature} {good_headers['webhook-signature']}"
    assert verify(new, {**good_headers, "webhook-signature": both}, body) == json.loads(body)
    assert verify(old, {**good_headers, "webhook-signature": both}, body) == json.loads(body)


def test_it_reads_header_names_in_any_case():
    secret = new_secret()
    good_headers, body = signed(secret)
    shouting = {name.upper(): value for name, value in good_headers.items()}
    assert verify(secret, shouting, body) == json.loads(body)


def test_it_checks_the_raw_bytes_so_invalid_utf8_cannot_be_swapped():
    """Decoding with replacement characters first would give both bodies one signature."""
    secret, body, swapped = new_secret(), b'{"note": "\xff"}', b'{"note": "\xfe"}'
    stamp = 1_700_000_000
    signed_headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(secret, "msg_1", stamp, body),
    }
    with time_machine.travel(stamp, tick=False):
        with pytest.raises(VerificationError, match="No signature matches"):
            verify(secret, signed_headers, swapped)
        with pytest.raises(ValueError):  # authentic, but not JSON: the caller's 400
            verify(secret, signed_headers, body)
