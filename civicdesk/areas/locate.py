"""Which ward, district or zone a point lies in, answered from memory in microseconds.

One locator per process holds, for every layer, an STRtree over its prepared polygons. It is built
on first use and rebuilt when areas change:
- imports and admin edits call `invalidate()` (at once and again on commit), so this process sees
  its own changes immediately;
- other processes (web workers, task workers) compare a cheap stamp (row counts and the latest
  `updated_at` of both tables, one query) at most every POLICY_REFRESH_SECONDS (default 2 s; 0
  checks on every call) and rebuild when it moved (lib.policycache).

When a point lies in two areas of one layer (overlapping zones, or exactly on a shared edge), the
smallest area wins, then the lowest name: the most specific zone is the useful answer, and the same
point always gets the same answer.
"""

import math
from dataclasses import dataclass

import h3
import numpy as np
import shapely
from django.db import connection

from civicdesk.lib.policycache import PolicyCache

from .models import Area, AreaLayer


@dataclass(frozen=True)
class _Layer:
    names: list[str]
    polygons: np.ndarray  # prepared shapely geometries
    sizes: np.ndarray  # areas in square degrees: only compared with each other
    tree: shapely.STRtree

    @classmethod
    def build(cls, names, polygons):
        polygons = np.asarray(polygons, dtype=object)
        shapely.prepare(polygons)
        return cls(list(names), polygons, shapely.area(polygons), shapely.STRtree(polygons))

    def name_at(self, point):
        candidates = self.tree.query(point)  # bounding boxes only
        if candidates.size:
            candidates = candidates[shapely.intersects(self.polygons[candidates], point)]
        if candidates.size == 0:
            return None
        if candidates.size == 1:
            return self.names[candidates[0]]
        return min((self.sizes[i], self.names[i]) for i in candidates)[1]


class Locator:
    """An immutable snapshot of all areas; build a new one rather than changing it."""

    def __init__(self, layers, boundary=None):
        self.layers = layers  # slug -> _Layer
        self.boundary = boundary  # slug of the city-boundary layer, when it has areas

    @classmethod
    def from_database(cls):
        grouped = {}
        rows = Area.objects.order_by().values_list("layer__slug", "name", "geometry")
        for slug, name, text in rows.iterator(chunk_size=500):
            grouped.setdefault(slug, ([], []))
            grouped[slug][0].append(name)
            grouped[slug][1].append(text)
        layers = {
            slug: _Layer.build(names, shapely.from_geojson(texts)) for slug, (names, texts) in grouped.items()
        }
        boundary = AreaLayer.objects.filter(is_city_boundary=True).values_list("slug", flat=True).first()
        return cls(layers, boundary if boundary in layers else None)

    def areas_for(self, latitude, longitude):
        point = _point(latitude, longitude)
        if point is None:
            return {}
        found = {slug: layer.name_at(point) for slug, layer in self.layers.items()}
        return {slug: name for slug, name in found.items() if name is not None}

    def areas_in_cell(self, cell):
        """{layer slug: area name} shared by every point of an H3 cell, or None when an area's edge
        crosses the cell (or two areas of a layer touch it): then only the point can say.

        Points of one cell then cost one look-up: a bulk import asks per cell, not per address. The
        hexagon is widened by about 10 cm so a point on its edge (H3's edges are great-circle arcs,
        the polygon's are straight in degrees) is still inside what was tested.
        """
        if not self.layers:
            return {}
        boundary = [(longitude, latitude) for latitude, longitude in h3.cell_to_boundary(cell)]
        hexagon = shapely.Polygon(boundary).buffer(1e-6)
        found = {}
        for slug, layer in self.layers.items():
            candidates = layer.tree.query(hexagon)
            if candidates.size:
                candidates = candidates[shapely.intersects(layer.polygons[candidates], hexagon)]
            if candidates.size == 0:
                continue
            if candidates.size > 1 or not shapely.covers(layer.polygons[candidates[0]], hexagon):
                return None
            found[slug] = layer.names[candidates[0]]
        return found

    def inside_city(self, latitude, longitude):
        point = _point(latitude, longitude)
        if self.boundary is None or point is None:
            return None
        return self.layers[self.boundary].name_at(point) is not None


def _point(latitude, longitude):
    if latitude is None or longitude is None:
        return None
    latitude, longitude = float(latitude), float(longitude)
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        return None
    return shapely.Point(longitude, latitude)  # x is longitude, as in GeoJSON


# The process-wide locator and the stamp of the data it was built from (lib.policycache).
_cache = PolicyCache("areas", Locator.from_database, lambda: _stamp())


def _stamp():
    """Counts and latest updates of both tables in one round trip; deletions change the counts."""
    quote = connection.ops.quote_name
    area, layer = quote(Area._meta.db_table), quote(AreaLayer._meta.db_table)
    # Table names come from the models, not from input.
    sql = f"SELECT (SELECT COUNT(*) FROM {area}), (SELECT MAX(updated_at) FROM {area}), "  # noqa: S608
    sql += f"(SELECT COUNT(*) FROM {layer}), (SELECT MAX(updated_at) FROM {layer})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(cursor.fetchone())


def locator():
    """The current Locator (rebuilt first if areas changed)."""
    return _cache.get()


def invalidate():
    """Forget the areas in memory; the next lookup rebuilds. Call after changing Areas or AreaLayers."""
    _cache.clear()


def areas_for(latitude, longitude):
    """{layer slug: area name} for every layer with an area at the point; {} without coordinates."""
    return _cache.get().areas_for(latitude, longitude)


def inside_city(latitude, longitude):
    """Whether the point is within the city-boundary layer; None without a boundary or coordinates."""
    return _cache.get().inside_city(latitude, longitude)
