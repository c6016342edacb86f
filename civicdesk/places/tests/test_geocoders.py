"""Nominatim and Pelias over their real HTTP APIs, against a local server that records each request;
the local address points answer when the server fails, is too slow, or finds nothing."""

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.test import override_settings
from django.utils import translation

from civicdesk.places.lookup import ADDRESS, STREET, match, nearest

NOMINATIM_HOUSE = {
    "place_id": 1,
    "lat": "42.3601",
    "lon": "-71.0589",
    "category": "building",
    "type": "yes",
    "place_rank": 30,
    "importance": 0.2,
    "addresstype": "building",
    "display_name": "1, City Hall Plaza, Boston, Suffolk County, Massachusetts, 02201, United States",
    "address": {"house_number": "1", "road": "City Hall Plaza", "city": "Boston", "postcode": "02201"},
}
NOMINATIM_ROAD = {
    **NOMINATIM_HOUSE,
    "place_rank": 26,
    "lat": "42.37",
    "lon": "-71.05",
    "display_name": "Main Street",
}
NOMINATIM_CITY = {
    **NOMINATIM_HOUSE,
    "place_rank": 16,
    "lat": "42.36",
    "lon": "-71.06",
    "display_name": "Boston",
}
PELIAS = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-71.0589, 42.3601]},
            "properties": {
                "layer": "address",
                "label": "1 City Hall Plaza, Boston, MA, USA",
                "confidence": 0.95,
                "housenumber": "1",
                "street": "City Hall Plaza",
                "locality": "Boston",
                "postalcode": "02201",
            },
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-71.06, 42.36]},
            "properties": {"layer": "locality", "label": "Boston, MA, USA", "confidence": 0.6},
        },
    ],
}


class Geocoder:
    """A local HTTP server answering each path with a canned body; records (path, query, headers)."""

    def __init__(self):
        self.requests, self.answers, self.release = [], {}, threading.Event()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                url = urlsplit(self.path)
                recorder.requests.append((url.path, url.query, dict(self.headers)))
                status, body = recorder.answers.get(url.path, (404, {"error": "not found"}))
                if status == "hang":
                    recorder.release.wait(10)  # longer than GEOCODER_TIMEOUT: the client gives up first
                    return
                payload = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def queries(self):
        return [(path, parse_qsl(query)) for path, query, _headers in self.requests]

    def stop(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def geocoder():
    server = Geocoder()
    yield server
    server.stop()


def use(kind, server):
    return override_settings(GEOCODER=kind, GEOCODER_URL=server.url, GEOCODER_TIMEOUT=0.5)


def test_nominatim_search_speaks_its_api(db, geocoder):
    geocoder.answers["/search"] = (200, [NOMINATIM_HOUSE, NOMINATIM_ROAD, NOMINATIM_CITY])

    with use("nominatim", geocoder), translation.override("es"):
        found = match("1 City Hall Plaza,  Boston")

    path, query, headers = geocoder.requests[0]
    assert path == "/search"
    assert query == "q=1+City+Hall+Plaza%2C+Boston&format=jsonv2&addressdetails=1&limit=5"
    assert headers["User-Agent"] == "CivicDesk geocoder (http://127.0.0.1:8000)"
    assert headers["Accept-Language"] == "es"
    place = found.best
    assert (place.source, place.kind, place.confidence, place.number, place.street, place.city) == (
        "nominatim",
        ADDRESS,
        0.9,
        "1",
        "City Hall Plaza",
        "Boston",
    )
    assert (place.latitude, place.longitude) == (42.3601, -71.0589)
    # A road is kept with less confidence; a city is no answer to an address.
    assert [(p.kind, p.confidence) for p in found.places] == [(ADDRESS, 0.9), (STREET, 0.7)]


def test_nominatim_reverse_speaks_its_api(db, geocoder):
    geocoder.answers["/reverse"] = (200, NOMINATIM_HOUSE)

    with use("nominatim", geocoder):
        place = nearest(42.36012, -71.05892)

    assert geocoder.queries() == [
        (
            "/reverse",
            [
                ("lat", "42.36012"),
                ("lon", "-71.05892"),
                ("format", "jsonv2"),
                ("addressdetails", "1"),
                ("zoom", "18"),
            ],
        )
    ]
    assert (place.source, place.number, place.kind) == ("nominatim", "1", ADDRESS) and place.distance_m < 5


def test_a_reverse_answer_too_far_away_is_no_answer(db, geocoder):
    geocoder.answers["/reverse"] = (200, NOMINATIM_HOUSE)
    with use("nominatim", geocoder):
        assert nearest(42.37, -71.0589) is None  # 1.1 km away; no local points either


def test_pelias_search_and_reverse_speak_its_api(db, geocoder):
    geocoder.answers["/v1/search"] = (200, PELIAS)
    geocoder.answers["/v1/reverse"] = (200, {**PELIAS, "features": PELIAS["features"][:1]})

    with use("pelias", geocoder):
        found = match("1 City Hall Plaza #3")
        place = nearest(42.3601, -71.0589)

    assert geocoder.queries() == [
        ("/v1/search", [("text", "1 City Hall Plaza #3"), ("size", "5")]),
        (
            "/v1/reverse",
            [("point.lat", "42.3601"), ("point.lon", "-71.0589"), ("size", "1"), ("layers", "address")],
        ),
    ]
    assert [(p.label, p.confidence, p.source) for p in found.places] == [
        ("1 City Hall Plaza, Boston, MA, USA", 0.95, "pelias")
    ]
    assert (place.label, place.postcode, place.distance_m) == (
        "1 City Hall Plaza, Boston, MA, USA",
        "02201",
        0.0,
    )


def test_a_slow_geocoder_times_out_and_the_local_points_answer(town, geocoder, caplog):
    geocoder.answers["/search"] = ("hang", None)

    with use("nominatim", geocoder), caplog.at_level(logging.WARNING, logger="civicdesk.places.lookup"):
        found = match("12 Main St, Riverton")

    assert found.best.label == "12 Main St, Riverton" and found.best.source == "local"
    assert len(geocoder.requests) == 1
    [record] = caplog.records
    assert record.getMessage().startswith("Geocoder nominatim failed (no answer from /search: ")
    assert record.getMessage().endswith("): the local address points answer")


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ((503, {"error": "overloaded"}), "HTTP 503 from /v1/search"),
        ((200, b"<html>maintenance</html>"), "/v1/search did not answer JSON"),
        ((200, {"features": [{"properties": {"layer": "address"}}]}), "unexpected answer"),
        ((200, [1, 2]), "unexpected answer"),
    ],
)
def test_a_failing_geocoder_is_logged_and_the_local_points_answer(town, geocoder, caplog, answer, reason):
    geocoder.answers["/v1/search"] = answer
    geocoder.answers["/v1/reverse"] = answer

    with use("pelias", geocoder), caplog.at_level(logging.WARNING, logger="civicdesk.places.lookup"):
        assert match("Calle Mayor 12").best.label == "12 Calle Mayor, Riverton"
        assert nearest(42.2999, -71.10025).label == "12 Main St, Riverton"

    assert reason in caplog.records[0].getMessage()
    assert len(caplog.records) == 2


def test_an_unreachable_geocoder_falls_back_too(town, caplog):
    server = Geocoder()
    server.stop()  # nobody listens on its port any more

    with use("nominatim", server), caplog.at_level(logging.WARNING, logger="civicdesk.places.lookup"):
        assert match("12 Main St, Riverton").best.source == "local"

    assert "Geocoder nominatim failed (no answer from /search" in caplog.records[0].getMessage()


def test_what_the_external_geocoder_does_not_know_the_local_points_may(town, geocoder, caplog):
    geocoder.answers["/search"] = (200, [])

    with use("nominatim", geocoder), caplog.at_level(logging.WARNING, logger="civicdesk.places.lookup"):
        assert match("Calle Mayor 12").best.source == "local"

    assert caplog.records == []  # an empty answer is an answer, not a failure


def test_the_city_s_bounds_keep_answers_inside_it(db, geocoder):
    geocoder.answers["/search"] = (200, [])
    geocoder.answers["/v1/search"] = (200, {"type": "FeatureCollection", "features": []})
    bounds = (-71.2, 42.2, -71.0, 42.4)

    with override_settings(GEOCODER_BOUNDS=bounds), use("nominatim", geocoder):
        match("12 Main St")
    with override_settings(GEOCODER_BOUNDS=bounds), use("pelias", geocoder):
        match("12 Main St")

    assert [query for _path, query, _headers in geocoder.requests] == [
        "q=12+Main+St&format=jsonv2&addressdetails=1&limit=5&viewbox=-71.2%2C42.2%2C-71.0%2C42.4&bounded=1",
        "text=12+Main+St&size=5&boundary.rect.min_lon=-71.2&boundary.rect.min_lat=42.2"
        "&boundary.rect.max_lon=-71.0&boundary.rect.max_lat=42.4",
    ]
