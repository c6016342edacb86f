"""External geocoders behind `lookup`'s interface: Nominatim and Pelias, over their own HTTP APIs.

Each call has GEOCODER_TIMEOUT seconds; any failure (no answer, an HTTP error, a body that is not
what the API documents) is a `GeocoderError`, and `lookup` then asks the local address points.
Results below street level (a town, a county) are dropped: for a typed address they are guesses.
"""

import dataclasses
import http.client
import json
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.utils import translation

from civicdesk.lib.geo import metres_between

from .lookup import ADDRESS, INTERSECTION, STREET, Place, ranked

# Nominatim's place_rank: 30 a house or point of interest, 26-27 a street.
NOMINATIM_KINDS = ((30, ADDRESS, 0.9), (26, STREET, 0.7))
PELIAS_KINDS = {"address": ADDRESS, "venue": ADDRESS, "street": STREET, "intersection": INTERSECTION}


class GeocoderError(Exception):
    pass


def _get(path, params):
    url = f"{settings.GEOCODER_URL}{path}?{urllib.parse.urlencode(params)}"
    request = urllib.request.Request(  # noqa: S310 - the URL is the administrator's GEOCODER_URL
        url,
        headers={
            # Nominatim's usage policy asks every client to name itself.
            "User-Agent": f"CivicDesk geocoder ({settings.SITE_URL})",
            "Accept": "application/json",
            "Accept-Language": translation.get_language() or settings.LANGUAGE_CODE,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.GEOCODER_TIMEOUT) as response:  # noqa: S310
            return json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise GeocoderError(f"HTTP {error.code} from {path}") from None
    except (OSError, http.client.HTTPException) as error:  # URLError and timeouts are OSErrors
        raise GeocoderError(f"no answer from {path}: {getattr(error, 'reason', error)}") from None
    except ValueError:
        raise GeocoderError(f"{path} did not answer JSON") from None


def _shape_checked(read):
    """Turn a body that is not the documented shape into a GeocoderError."""

    def checked(*args):
        try:
            return read(*args)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as error:
            raise GeocoderError(f"unexpected answer ({error!r})") from None

    return checked


def match(text, limit):
    bounds = settings.GEOCODER_BOUNDS
    if settings.GEOCODER == "nominatim":
        params = {"q": text, "format": "jsonv2", "addressdetails": 1, "limit": limit}
        if bounds:
            params |= {"viewbox": ",".join(map(str, bounds)), "bounded": 1}
        return ranked(text, _nominatim_places(_get("/search", params)), limit)
    params = {"text": text, "size": limit}
    if bounds:
        names = (
            "boundary.rect.min_lon",
            "boundary.rect.min_lat",
            "boundary.rect.max_lon",
            "boundary.rect.max_lat",
        )
        params |= dict(zip(names, bounds, strict=True))
    return ranked(text, _pelias_places(_get("/v1/search", params)), limit)


def nearest(latitude, longitude, max_metres):
    if settings.GEOCODER == "nominatim":
        found = _get(
            "/reverse",
            {"lat": latitude, "lon": longitude, "format": "jsonv2", "addressdetails": 1, "zoom": 18},
        )
        places = [] if "error" in found else _nominatim_places([found])
    else:
        params = {"point.lat": latitude, "point.lon": longitude, "size": 1, "layers": "address"}
        places = _pelias_places(_get("/v1/reverse", params))
    if not places:
        return None
    place = places[0]
    metres = metres_between(latitude, longitude, place.latitude, place.longitude)
    if metres > max_metres:
        return None
    return dataclasses.replace(place, distance_m=round(metres, 1))


@_shape_checked
def _nominatim_places(results):
    places = []
    for result in results:
        kind, confidence = next(
            ((k, c) for rank, k, c in NOMINATIM_KINDS if result["place_rank"] >= rank), (0, 0)
        )
        if not kind:
            continue
        address = result.get("address") or {}
        places.append(
            Place(
                latitude=float(result["lat"]),
                longitude=float(result["lon"]),
                label=result["display_name"],
                confidence=confidence,
                kind=kind,
                number=address.get("house_number", ""),
                street=address.get("road", ""),
                city=address.get("city") or address.get("town") or address.get("village", ""),
                postcode=address.get("postcode", ""),
                source="nominatim",
            )
        )
    return places


@_shape_checked
def _pelias_places(collection):
    places = []
    for feature in collection["features"]:
        properties = feature["properties"]
        kind = PELIAS_KINDS.get(properties.get("layer"))
        if kind is None:
            continue
        longitude, latitude = feature["geometry"]["coordinates"][:2]
        places.append(
            Place(
                latitude=float(latitude),
                longitude=float(longitude),
                label=properties["label"],
                confidence=round(float(properties.get("confidence", 0.5)), 3),
                kind=kind,
                number=properties.get("housenumber", ""),
                street=properties.get("street", ""),
                city=properties.get("locality", ""),
                postcode=properties.get("postalcode", ""),
                source="pelias",
            )
        )
    return places
