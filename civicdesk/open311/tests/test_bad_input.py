"""Bad input never gives a 5xx: wrong types, sizes and encodings get the spec's error body."""

import pytest

from civicdesk.cases.models import Case

from .helpers import error_lines, png, post, xml

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


def _form(api_key, **fields):
    data = {"api_key": api_key[1], "service_code": "pothole", "lat": "42.3", "long": "-71"}
    return "&".join(f"{k}={v}" for k, v in (data | {"attribute%5Bdepth%5D": "deep"} | fields).items())


@pytest.mark.parametrize(
    "body",
    [
        b"&description=caf%E9",
        b"&description=caf\xe9",
        b"&first_name=%FF%FE",
        b"&attribute%5Bwidth_%E9%5D=1",
        b"&=%E9",
    ],
)
def test_it_refuses_bytes_that_are_not_utf8_naming_the_field(client, cast, api_key, body):
    response = client.generic(
        "POST", URL, _form(api_key).encode() + body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    (line,) = error_lines(response)
    assert line.startswith("400 ") and line.endswith(": the value is not UTF-8 text.")
    assert line[4:].split(":")[0] in ("description", "first_name", "attribute[width_\ufffd]", "")
    assert not Case.objects.exists()


@pytest.mark.parametrize("charset", ["latin-1", "iso-8859-1", "utf-16", "utf-32", "cp1252"])
def test_it_refuses_character_sets_other_than_utf8(client, cast, api_key, charset):
    text = _form(api_key, description="caf\xe9")
    encoding = charset
    for fmt in ("json", "xml"):
        response = client.generic(
            "POST",
            f"/open311/v2/requests.{fmt}",
            text.encode(encoding),
            content_type=f"application/x-www-form-urlencoded; charset={charset}",
        )
        assert response.status_code == 400
        if fmt == "json":
            assert error_lines(response) == [f"400 charset: send the form in UTF-8, not “{charset}”."]
        else:
            assert xml(response).tag == "errors"
            assert xml(response).find("error/code").text == "400"
    assert not Case.objects.exists()


def test_it_accepts_utf8_under_any_of_its_names(client, cast, api_key):
    body = _form(api_key, description="caf%C3%A9").encode()
    for charset in ("utf-8", "UTF-8", "utf8", "us-ascii"):  # ASCII is UTF-8's first half
        response = client.generic(
            "POST", URL, body, content_type=f"application/x-www-form-urlencoded; charset={charset}"
        )
        assert response.status_code == 200, (charset, response.content)
    assert set(Case.objects.values_list("description", flat=True)) == {"café"}


@pytest.mark.parametrize(
    "field",
    [
        "description",
        "address_string",
        "first_name",
        "last_name",
        "email",
        "phone",
        "device_id",
        "account_id",
        "media_url",
        "attribute[depth]",
        "attribute[width_cm]",
        "service_code",
        "lat",
        "locale",
    ],
)
def test_it_refuses_a_nul_in_any_field_naming_it(client, cast, api_key, field):
    response = post(client, api_key[1], **{field: "a\x00b"})
    assert response.status_code == 400
    assert error_lines(response) == [f"400 {field}: remove the NUL character."]
    assert not Case.objects.exists()


def test_it_refuses_a_nul_in_a_multipart_field(client, cast, api_key):
    response = post(client, api_key[1], description="a\x00b", media=png())
    assert response.status_code == 400
    assert error_lines(response) == ["400 description: remove the NUL character."]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        (f"{URL}?service_code=%00", "service_code"),
        (f"{URL}?service_request_id=1,%00", "service_request_id"),
        (f"{URL}?x%00=1", "x\\0"),
        ("/open311/v2/requests/26-000001%00.json", "service_request_id"),
        ("/open311/v2/services/pot%00hole.json", "service_code"),
        ("/open311/v2/tokens/%00.json", "token"),
        ("/open311/v2/servicerequestupdates.json?start_date=%00", "start_date"),
    ],
)
def test_it_refuses_a_nul_in_the_query_or_address_naming_it(client, cast, url, field):
    response = client.get(url)
    assert response.status_code == 400
    assert error_lines(response) == [f"400 {field}: remove the NUL character."]


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
