"""Bad input never gives a 5xx: wrong types, sizes and encodings get the spec's error body."""

import pytest

from civicdesk.cases.models import Case

from .helpers import error_lines

URL = "/open311/v2/requests.json"


def test_it_refuses_bodies_that_are_not_forms(client, cast, api_key):
    for content_type, body in (("application/json", '{"service_code": "pothole"}'), ("text/plain", "hello")):
        response = client.post(URL, body, content_type=content_type)
        assert response.status_code == 400
        assert error_lines(response) == [
            "400 Send the request as application/x-www-form-urlencoded or multipart/form-data."
        ]


def test_it_refuses_huge_bodies_with_413(client, cast, api_key):
    body = f"api_key={api_key[1]}&service_code=pothole&description=" + "x" * 300_000
    response = client.post(URL, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert error_lines(response)[0].startswith("413 The request is too large")
    assert not Case.objects.exists()


def test_it_refuses_unknown_charsets_and_broken_multipart(client, cast, api_key):
    response = client.generic(
        "POST", URL, b"a=b", content_type="application/x-www-form-urlencoded; charset=klingon"
    )
    assert response.status_code == 400 and "klingon" in error_lines(response)[0]
    broken = client.post(URL, b"--nope\r\ngarbage", content_type="multipart/form-data; boundary=")
    assert broken.status_code == 400
    assert error_lines(broken) == ["400 The request body could not be read as form data."]


def test_it_survives_bytes_that_are_not_utf8(client, cast, api_key):
    body = f"api_key={api_key[1]}&service_code=pothole&lat=42.3&long=-71&attribute%5Bdepth%5D=deep"
    body += "&description=caf%E9"
    response = client.post(URL, body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert Case.objects.get().description == "caf\ufffd"


def test_it_refuses_too_many_fields(client, cast, api_key):
    body = "&".join(f"f{n}=1" for n in range(1500))
    assert client.post(URL, body, content_type="application/x-www-form-urlencoded").status_code == 400
    response = client.get(f"{URL}?{body}")
    assert response.status_code == 400
    assert error_lines(response) == ["400 The request has too many fields."]


@pytest.mark.parametrize(
    "query",
    [
        "start_date=%00",
        "start_date=2026-02-30T00:00:00Z",
        "page_size=1e3",
        "page=%F0%9F%92%A9",
        "service_request_id=" + ",".join(str(n) for n in range(600)),
        "extensions=maybe",
        "updated_after=2026-01-01",
        "status=%FF",
    ],
)
def test_it_answers_nonsense_queries_with_400(client, cast, query):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert error_lines(response)[0].startswith("400 ")


@pytest.mark.parametrize(
    "fields",
    [
        {"lat": "1e309", "long": "0"},
        {"lat": "", "long": "", "address_string": "x" * 400},
        {"attribute[depth][]": ["deep", "shallow"]},
        {"attribute[]": "x"},
        {"attribute[width_cm][]": ["1", "2"]},
        {"service_code": "x" * 5000},
        {"email": "a" * 300 + "@example.org"},
    ],
)
def test_it_answers_bad_fields_with_400(client, cast, api_key, fields):
    data = {
        "api_key": api_key[1],
        "service_code": "pothole",
        "lat": "42.3",
        "long": "-71",
        "attribute[depth]": "deep",
    }
    response = client.post(URL, data | fields)
    assert response.status_code == 400, response.content
    assert error_lines(response)
    assert not Case.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        f"{URL}?end_date=0001-01-01T00:00:00Z",
        f"{URL}?start_date=9999-12-31T23:59:59-05:00",
        "/open311/v2/servicerequestupdates.json?end_date=0001-01-01T00:00:00Z",
    ],
)
def test_it_refuses_years_it_cannot_compute_with(client, cast, url):
    response = client.get(url)
    assert response.status_code == 400
    assert error_lines(response)[0].endswith(": use a year from 1900 to 9000.")


def test_it_accepts_the_first_year_it_allows(client, cast):
    response = client.get(f"{URL}?end_date=1900-01-01T00:00:00Z")
    assert response.status_code == 200 and response.json() == []
