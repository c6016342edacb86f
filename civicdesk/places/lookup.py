"""Where is it? The one interface the portal, agent intake, the channels and Open311 call.

    match("12 Main St apt 4")      -> Match(places=(Place(...), ...), ambiguous=False)
    match("Main St")               -> Match(... ambiguous=True) when Main St runs through two towns
    match("nowhere at all")        -> Match(places=())
    nearest(42.30, -71.10)         -> Place(..., distance_m=8.2) or None

`match` never guesses: no street close enough gives no places, and two places that match equally
well (within TIE) are both returned with `ambiguous=True`, so the caller asks the person to choose;
`Match.best` is the place to use without asking, or None. Confidence is 0-1: 1 for a typed address
that is exactly a stored point, less for typos, a missing or different street type, a house number
that is not on the street (the nearest one on it is offered instead) and so on.

GEOCODER (settings) picks who answers: "local" (the address points loaded with
`import_addresses`, the default), "nominatim" or "pelias" at GEOCODER_URL. An external geocoder
that fails or times out (GEOCODER_TIMEOUT) is logged and the local points answer instead; one that
finds nothing is also followed by the local points (a city's own file may know a new street).
"""

import logging
import math
from dataclasses import dataclass

from django.conf import settings

from civicdesk.lib.geo import metres_between, valid_coordinates

logger = logging.getLogger(__name__)

ADDRESS, STREET, INTERSECTION = "address", "street", "intersection"
TIE = 0.02  # confidences this close are "equally good"
SAME_PLACE_M = 40  # candidates this close together are one place (units of a building, 12A and 12B)
MAX_QUERY = 300
FALLBACK = "Geocoder %s failed (%s): the local address points answer"
DEFAULT_NEAREST_M = 100


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float
    label: str  # "12 Main St #4, Riverton", "Main St & 3rd Ave, Riverton"
    confidence: float  # 0-1
    kind: str = ADDRESS  # ADDRESS: a stored point; STREET: somewhere on the street; INTERSECTION
    number: str = ""
    unit: str = ""
    street: str = ""
    city: str = ""
    postcode: str = ""
    source: str = "local"  # the geocoder that answered
    distance_m: float | None = None  # nearest(): how far the stored point is from the asked one


@dataclass(frozen=True)
class Match:
    query: str
    places: tuple[Place, ...] = ()  # best first
    ambiguous: bool = False  # two or more places match equally: ask which one

    @property
    def best(self):
        """The place to use without asking, or None (nothing matched, or the person must choose)."""
        return self.places[0] if self.places and not self.ambiguous else None


def ranked(query, places, limit):
    """A `Match` from candidates in any order: one per place, best first, ties flagged."""
    kept = []
    for place in sorted(places, key=lambda p: (-p.confidence, p.label)):
        if all(_apart(place, other) > SAME_PLACE_M or place.label != other.label for other in kept):
            kept.append(place)
    kept = kept[:limit]
    ambiguous = len(kept) > 1 and any(
        kept[0].confidence - other.confidence <= TIE and _apart(kept[0], other) > SAME_PLACE_M
        for other in kept[1:]
    )
    return Match(query, tuple(kept), ambiguous)


def _apart(one, other):
    return metres_between(one.latitude, one.longitude, other.latitude, other.longitude)


def match(text, *, limit=5):
    """Candidates for a typed or transcribed address or intersection (see the module's docstring)."""
    from . import local, remote

    text = " ".join((text or "").split())[:MAX_QUERY]
    if not text:
        return Match(text)
    if settings.GEOCODER != "local":
        try:
            found = remote.match(text, limit)
        except remote.GeocoderError as error:
            logger.warning(
                "Geocoder %s failed (%s): the local address points answer", settings.GEOCODER, error
            )
        else:
            if found.places:
                return found
    return local.match(text, limit)


def nearest(latitude, longitude, *, max_metres=DEFAULT_NEAREST_M):
    """The address nearest a point (a map pin) within `max_metres`, or None."""
    from . import local, remote

    try:
        latitude, longitude = float(latitude), float(longitude)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(latitude) and math.isfinite(longitude) and valid_coordinates(latitude, longitude)):
        return None
    if settings.GEOCODER != "local":
        try:
            place = remote.nearest(latitude, longitude, max_metres)
        except remote.GeocoderError as error:
            logger.warning(
                "Geocoder %s failed (%s): the local address points answer", settings.GEOCODER, error
            )
        else:
            if place is not None:
                return place
    return local.nearest(latitude, longitude, max_metres)
