"""Read a GeoJSON file of areas (wards, districts, zones) into named shapely polygons.

Everything is checked before anything is imported: one bad feature refuses the whole file. Messages
name the feature by its 1-based position (the row number GIS users see in an attribute table) and
say what to do about it, because the person uploading is usually a city analyst, not a developer.

No database access here: `parse_areas` is pure, so the command, the admin and tests share it.
"""

import json
import re
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.errors import GEOSException
from shapely.geometry import shape
from shapely.validation import explain_validity

AREA_TYPES = ("Polygon", "MultiPolygon")
GEOMETRY_TYPES = {"Point", "MultiPoint", "LineString", "MultiLineString", *AREA_TYPES, "GeometryCollection"}
NAME_MAX_LENGTH = 120
PROBLEMS_SHOWN = 20

# GeoJSON (RFC 7946) is WGS 84 longitude/latitude; old files name it in a `crs` member in several
# spellings (OGC CRS84, EPSG:4326 as URN or URL). NAD83 (CRS83, EPSG:4269) is also longitude/latitude
# and within ~2 m of WGS 84, well under the precision of a ward line, so US city exports pass too.
LONLAT_CRS = re.compile(r"(^|[:/])(crs84|crs83|epsg([:/][\d.]*)?[:/](4326|4269))$", re.IGNORECASE)

# make_valid may only fix topology (a ring touching itself, a zero-width spike) and keep the area;
# when the repaired area differs, the polygon's meaning is ambiguous (a bow tie) and a person decides.
REPAIR_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ParsedArea:
    name: str
    geometry: shapely.Geometry
    properties: dict = field(default_factory=dict)
    repair: str = ""  # what make_valid fixed, for the importer to report; "" when the input was valid


class GeoJSONError(ValueError):
    """The file is refused: `problems` lists (feature number or None for the whole file, reason)."""

    def __init__(self, problems):
        self.problems = problems
        super().__init__("\n".join(self.lines))

    @property
    def lines(self):
        shown = [f"feature {n}: {reason}" if n else reason for n, reason in self.problems[:PROBLEMS_SHOWN]]
        if len(self.problems) > PROBLEMS_SHOWN:
            shown.append(f"... and {len(self.problems) - PROBLEMS_SHOWN} more problems")
        return shown


class _Refused(Exception):
    """One feature's reason, collected so one upload reports every bad feature, not just the first."""


def parse_areas(data, name_property, default_name=""):
    """A ParsedArea (name, polygon, other properties) per feature of a FeatureCollection, a Feature or a
    bare geometry (named `default_name`).

    Raises GeoJSONError listing every problem; returns only when the whole file is good.
    """
    document = _load_json(data)
    features = _features(document, default_name, name_property)
    _check_name_property_exists(features, name_property)
    problems = [(None, reason) for reason in _crs_problems(document)]
    areas, first_seen = [], {}
    for number, feature in enumerate(features, 1):
        try:
            area = _read_feature(feature, name_property)
        except _Refused as refused:
            problems.append((number, str(refused)))
            continue
        if area.name in first_seen:
            problems.append(
                (number, f"duplicate name “{area.name}” (feature {first_seen[area.name]} has it too)")
            )
        first_seen.setdefault(area.name, number)
        areas.append(area)
    if problems:
        raise GeoJSONError(problems)
    return areas


def _load_json(data):
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")  # Windows tools write a byte-order mark
        except UnicodeDecodeError as error:
            raise GeoJSONError(
                [(None, f"the file is not UTF-8 text, so not GeoJSON ({error.reason})")]
            ) from None
    try:
        return json.loads(data, parse_constant=_refuse_constant)
    except (json.JSONDecodeError, ValueError) as error:
        raise GeoJSONError([(None, f"the file is not JSON: {error}")]) from None


def _refuse_constant(name):
    raise ValueError(f"{name} is not a JSON number")


def _features(document, default_name, name_property):
    kind = document.get("type") if isinstance(document, dict) else None
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise GeoJSONError([(None, "not GeoJSON: the FeatureCollection has no “features” list")])
        if not features:
            raise GeoJSONError([(None, "the FeatureCollection has no features: nothing to import")])
        return features
    if kind == "Feature":
        return [document]
    if kind in GEOMETRY_TYPES:
        # A bare geometry has no properties to name it: a one-area layer such as the city limits.
        return [
            {"type": "Feature", "geometry": document, "properties": {name_property: default_name or None}}
        ]
    found = f"type “{kind}”" if isinstance(kind, str) else "no GeoJSON “type”"
    raise GeoJSONError(
        [(None, f"not GeoJSON: {found}; expected a FeatureCollection, a Feature or a geometry")]
    )


def _check_name_property_exists(features, name_property):
    """A wrong --name-property is one mistake: say so once rather than once per feature."""
    properties = [f.get("properties") if isinstance(f, dict) else None for f in features]
    properties = [p for p in properties if isinstance(p, dict)]
    if len(features) > 1 and properties and not any(name_property in p for p in properties):
        present = ", ".join(list(properties[0])[:12]) or "none"
        reason = f"no feature has a “{name_property}” property (the first has: {present})"
        raise GeoJSONError([(None, reason)])


def _crs_problems(obj):
    crs = obj.get("crs") if isinstance(obj, dict) else None
    if crs is None:
        return []
    members = crs.get("properties") if isinstance(crs, dict) else None
    name = members.get("name") if isinstance(members, dict) else None
    if isinstance(name, str) and LONLAT_CRS.search(name.strip()):
        return []
    return [
        f"the file's coordinate system is {json.dumps(name or crs)}, not longitude/latitude (WGS 84); "
        "reproject it to EPSG:4326 first (for example: ogr2ogr -t_srs EPSG:4326 out.geojson in.geojson)"
    ]


def _read_feature(feature, name_property):
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise _Refused("not a GeoJSON Feature")
    for reason in _crs_problems(feature):
        raise _Refused(reason)
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise _Refused("its “properties” is not an object")
    name = _name(properties, name_property)
    geometry = _polygon(feature.get("geometry"))
    geometry, repair = _valid(geometry)
    others = {key: value for key, value in properties.items() if key != name_property}
    return ParsedArea(name=name, geometry=geometry, properties=others, repair=repair)


def _name(properties, name_property):
    value = properties.get(name_property)
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # exporters turn integer ward numbers into 3.0
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        value = None
    name = str(value).strip() if value is not None else ""
    if not name:
        present = ", ".join(list(properties)[:12]) or "none"
        raise _Refused(f"no “{name_property}” property to name the area (its properties: {present})")
    if len(name) > NAME_MAX_LENGTH:
        raise _Refused(f"the name is longer than {NAME_MAX_LENGTH} characters")
    return name


def _polygon(geometry):
    if not isinstance(geometry, dict):
        raise _Refused("it has no geometry")
    kind = geometry.get("type")
    if kind not in AREA_TYPES:
        raise _Refused(f"its geometry is a {kind}; an area must be a Polygon or MultiPolygon")
    try:
        polygon = shapely.force_2d(shape(geometry))
    except (GEOSException, ValueError, TypeError, IndexError, AttributeError, KeyError) as error:
        raise _Refused(f"its coordinates are malformed ({error})") from None
    if polygon.is_empty:
        raise _Refused("its geometry is empty")
    _check_lonlat(shapely.get_coordinates(polygon))
    return polygon


def _check_lonlat(coordinates):
    if not np.isfinite(coordinates).all():
        raise _Refused("its coordinates include a value that is not a number")
    lon, lat = np.abs(coordinates[:, 0]), np.abs(coordinates[:, 1])
    outside = (lon > 180) | (lat > 90)
    if not outside.any():
        return
    x, y = coordinates[np.argmax(outside)]
    if (lon <= 90).all() and (lat <= 180).all():
        raise _Refused(
            f"its coordinates look swapped: ({x:g}, {y:g}) reads as latitude, longitude, "
            "but GeoJSON puts longitude first"
        )
    raise _Refused(
        f"its coordinates are not longitude/latitude degrees: ({x:g}, {y:g}) looks like a projected system "
        "(metres or feet, such as State Plane); reproject the file to EPSG:4326 (WGS 84)"
    )


def _valid(polygon):
    """The polygon, repaired when the repair keeps its area exactly; otherwise refused with GEOS's reason."""
    if polygon.is_valid:
        return polygon, ""
    reason = explain_validity(polygon)
    repaired = shapely.make_valid(polygon, method="structure", keep_collapsed=False)
    change = abs(repaired.area - polygon.area)
    if (
        repaired.geom_type in AREA_TYPES
        and not repaired.is_empty
        and change <= REPAIR_TOLERANCE * repaired.area
    ):
        return repaired, f"repaired {reason} (topology only: the area is unchanged)"
    raise _Refused(
        f"invalid geometry: {reason}; fix it in a GIS tool (QGIS: Vector > Geometry Tools > Fix Geometries)"
    )
