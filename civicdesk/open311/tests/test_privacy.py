"""Personal data sent with a POST never appears in any GET response."""

from civicdesk.cases import actions
from civicdesk.cases.models import Case, Status

from .helpers import post

SECRETS = {
    "first_name": "Zebulon",
    "last_name": "Quackenbush",
    "email": "zebulon.q@private.example",
    "phone": "+1-617-555-0199",
    "device_id": "device-8f3a9c",
    "account_id": "account-77x1",
}


def test_it_never_shows_personal_data_in_any_get(client, cast, api_key):
    reply = post(client, api_key[1], **SECRETS).json()[0]
    case = Case.objects.get(number=reply["service_request_id"])
    actions.add_note(case, cast.bob, "Internal: called Zebulon back")
    actions.change_status(case, cast.bob, Status.RESOLVED, reason="Patched")
    number, token = case.number, reply["token"]
    urls = (
        [f"/open311/v2/requests.{fmt}?extensions=true" for fmt in ("json", "xml")]
        + [f"/open311/v2/requests/{number}.{fmt}?extensions=true" for fmt in ("json", "xml")]
        + [
            f"/open311/v2/requests.json?service_request_id={number}&extensions=true",
            "/open311/v2/servicerequestupdates.json",
            "/open311/v2/servicerequestupdates.xml",
            f"/open311/v2/tokens/{token}.json",
            "/open311/v2/services.json",
            "/open311/v2/services/pothole.xml",
            "/open311/v2/discovery.json",
        ]
    )
    seen = ""
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        seen += response.content.decode()
    assert number in seen and "Patched" in seen
    for value in [*SECRETS.values(), "zebulon", "Internal", case.tracking_token]:
        assert value.lower() not in seen.lower(), value
