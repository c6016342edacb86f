"""An e-mail address and a phone number typed into a description, through every way in, never reach a
public output (the public page, Open311 JSON and XML, webhook bodies, open data); staff still see them."""

import json

import pytest
from django.urls import reverse

from civicdesk.api.models import ApiToken
from civicdesk.cases.models import Case
from civicdesk.notify.models import OutboxMessage
from civicdesk.open311.models import ApiKey
from civicdesk.test import PASSWORD
from civicdesk.webhooks.models import Subscription

PHONE, EMAIL = "617-555-0199", "pat.reporter@example.org"
DESCRIPTION = f"Hole by the school. Call me at {PHONE} or write to {EMAIL}"


def through_portal(client, cast):
    data = {
        "description": DESCRIPTION,
        "attr_depth": "deep",
        "address": "12 Elm St",
        "email": "r@example.org",
    }
    assert client.post(reverse("portal-report", args=["pothole"]), data).status_code == 302


def through_agent_intake(client, cast):
    client.login(email=cast.erin.email, password=PASSWORD)
    data = {
        "channel": "phone",
        "reporter_name": "Carl Caller",
        "reporter_phone": "(617) 555-0100",
        "reporter_email": "",
        "language": "en",
        "service": "pothole",
        "description": DESCRIPTION,
        "address": "1 School Lane",
        "latitude": "",
        "longitude": "",
        "attr_depth": "deep",
        "attr_width_cm": "",
    }
    assert client.post(reverse("staff-intake"), data).status_code == 302
    client.logout()


def through_the_api(client, cast):
    token = ApiToken(user=cast.erin, name="intake", scope="write")
    raw = token.issue()
    token.save()
    body = {"service": "pothole", "description": DESCRIPTION, "attributes": {"depth": "deep"}}
    response = client.post(
        "/api/v1/cases",
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 201, response.content


def through_open311(client, cast):
    key = ApiKey(name="Street app", rate="1000/m")
    secret = key.new_secret()
    key.save()
    data = {
        "api_key": secret,
        "service_code": "pothole",
        "attribute[depth]": "deep",
        "description": DESCRIPTION,
    }
    data |= {"lat": "42.36", "long": "-71.06"}
    assert client.post("/open311/v2/requests.json", data).status_code == 200


def through_email(client, cast):
    """The signed raw-MIME webhook, processed as the worker does."""
    import time

    from django.test import override_settings

    from civicdesk.inbound import actions as inbound
    from civicdesk.inbound.signing import sign

    raw = (
        f"From: Mail Reporter <{MAIL_SENDER}>\r\nTo: 311@city.test\r\nSubject: Pothole\r\n"
        f"Message-ID: <personal-data@example.org>\r\n\r\n{DESCRIPTION}\r\n"
    ).encode()
    stamp = str(int(time.time()))
    headers = {"X-CivicDesk-Timestamp": stamp, "X-CivicDesk-Signature": sign("s3cret", stamp, raw)}
    with override_settings(INBOUND_EMAIL_DOMAINS=["city.test"], INBOUND_WEBHOOK_SECRET="s3cret"):
        response = client.post(
            reverse("inbound-email-raw"), raw, content_type="message/rfc822", headers=headers
        )
        assert response.status_code == 200
        assert inbound.process(response.json()["id"]).status == "processed"


MAIL_SENDER = "mail.reporter@example.org"


@pytest.mark.parametrize(
    "file_it", [through_portal, through_agent_intake, through_the_api, through_open311, through_email]
)
def test_it_keeps_identifiers_in_a_description_out_of_every_public_output(client, cast, file_it):
    Subscription.objects.create(name="Work orders", url="http://127.0.0.1:9/hooks")
    file_it(client, cast)
    case = Case.objects.get()
    assert DESCRIPTION in case.description  # kept as written, for staff (e-mail: after its subject)
    number = case.number
    public = {
        "public page": client.get(reverse("portal-case-public", args=[number])),
        "open311 list json": client.get("/open311/v2/requests.json", {"extensions": "true"}),
        "open311 list xml": client.get("/open311/v2/requests.xml", {"extensions": "true"}),
        "open311 case json": client.get(f"/open311/v2/requests/{number}.json"),
        "open311 case xml": client.get(f"/open311/v2/requests/{number}.xml"),
        **{
            f"open data {kind}": client.get(f"/open-data/cases.{kind}") for kind in ("csv", "json", "geojson")
        },
    }
    for name, response in public.items():
        assert response.status_code == 200, name
        text = b"".join(response.streaming_content if response.streaming else [response.content]).decode()
        assert number in text, name
        assert PHONE not in text and EMAIL not in text and MAIL_SENDER not in text, name
    webhooks = list(OutboxMessage.objects.filter(channel=OutboxMessage.Channel.WEBHOOK, case=case))
    assert webhooks and all(PHONE not in m.body and EMAIL not in m.body for m in webhooks)
    assert all(MAIL_SENDER not in m.body for m in webhooks)
    assert "Hole by the school" in public["public page"].content.decode()

    client.login(email=cast.erin.email, password=PASSWORD)  # a 311 agent: triage cases too (e-mail's)
    staff_page = client.get(reverse("staff-case", args=[number])).content.decode()
    assert PHONE in staff_page and EMAIL in staff_page
