"""The one write path for areas: importing a layer, used by `civicdesk import_areas` and the admin."""

from dataclasses import dataclass, field

import shapely
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db import transaction

from . import locate
from .geojson import parse_areas
from .models import Area, AreaLayer


class ImportRefused(Exception):
    """The file is fine but importing it here is not (the layer is taken, a second boundary...)."""


@dataclass
class ImportResult:
    layer: AreaLayer
    count: int
    replaced: int = 0
    repairs: list[str] = field(default_factory=list)  # "feature 5 (“5”): repaired ..." lines to show

    @property
    def summary(self):
        return f"imported {self.count} areas into layer {self.layer.slug}"


def import_file(data, layer, name_property, **options):
    """Parse GeoJSON bytes or text and import them (raises GeoJSONError or ImportRefused; all or nothing)."""
    check_layer_name(layer)
    areas = parse_areas(data, name_property, default_name=options.get("label") or layer)
    return import_layer(layer, areas, **options)


def check_layer_name(layer):
    try:
        validate_slug(layer)
    except ValidationError:
        raise ImportRefused(
            f"“{layer}” is not a layer name: use letters, digits, hyphens and underscores "
            "(ward, council_district)"
        ) from None


def import_layer(slug, areas, label="", city_boundary=False, replace=False):
    """Create or refill layer `slug` with parsed areas in one transaction."""
    with transaction.atomic():
        layer = _layer_for_import(slug, label, city_boundary)
        existing = layer.areas.count()
        if existing and not replace:
            raise ImportRefused(
                f"layer “{slug}” already has {existing} areas; nothing was imported. "
                "Import with replace (--replace, or tick “Replace existing areas”) "
                "to swap them for this file's."
            )
        _check_overlaps_city(layer, areas)
        layer.areas.all().delete()
        Area.objects.bulk_create(Area.from_shape(layer, a.name, a.geometry, a.properties) for a in areas)
        # This thread sees the change now; other threads of this process once it is committed.
        locate.invalidate()
        transaction.on_commit(locate.invalidate)
    repairs = [f"feature {n} (“{a.name}”): {a.repair}" for n, a in enumerate(areas, 1) if a.repair]
    return ImportResult(layer, len(areas), existing, repairs)


def _layer_for_import(slug, label, city_boundary):
    layer, _created = AreaLayer.objects.select_for_update().get_or_create(
        slug=slug, defaults={"label": label or slug.replace("_", " ").replace("-", " ").capitalize()}
    )
    if city_boundary and not layer.is_city_boundary:
        other = AreaLayer.objects.filter(is_city_boundary=True).first()
        if other:
            raise ImportRefused(
                f"layer “{other.slug}” is already the city boundary and only one layer can be; "
                "clear its “city boundary” flag in the admin first"
            )
        layer.is_city_boundary = True
    layer.label = label or layer.label
    layer.save()  # also moves updated_at, which other processes' locators watch
    return layer


def _check_overlaps_city(layer, areas):
    """Refuse a layer lying wholly outside the city limits: latitude and longitude swapped, or another city.

    Coordinates swapped within range (Boston's 42.36, -71.06 read as longitude 42.36) pass every
    per-feature check; only a known city extent can tell.
    """
    boundary = AreaLayer.objects.filter(is_city_boundary=True).exclude(pk=layer.pk).first()
    extent = _extent(boundary.areas.all()) if boundary else None
    if extent is None or not areas:
        return
    if not any(shapely.intersects(extent, a.geometry.envelope) for a in areas):
        raise ImportRefused(
            f"none of the {len(areas)} areas lies within the city boundary (layer “{boundary.slug}”); "
            "are latitude and longitude swapped, or is this another city's file? Nothing was imported."
        )


def _extent(areas):
    boxes = [shapely.box(a.min_lon, a.min_lat, a.max_lon, a.max_lat) for a in areas]
    return shapely.union_all(boxes) if boxes else None
