"""Named polygons a city divides itself into: wards, council districts, service zones, the city limits.

Geometry is GeoJSON text plus an indexed bounding box, so SQLite and PostgreSQL behave alike without
GDAL; point-in-polygon runs in Python with shapely (see locate.py).
"""

import shapely
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _


class AreaLayer(models.Model):
    slug = models.SlugField(
        _("name"),
        max_length=64,
        unique=True,
        help_text=_("For example ward, council_district, service_zone."),
    )
    label = models.CharField(_("label"), max_length=120)
    is_city_boundary = models.BooleanField(
        _("city boundary"),
        default=False,
        help_text=_("Its areas are the city limits: a point outside all of them is outside the city."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("area layer")
        verbose_name_plural = _("area layers")
        constraints = [
            # A partial unique index: "inside the city?" needs exactly one answer.
            models.UniqueConstraint(
                fields=["is_city_boundary"],
                condition=Q(is_city_boundary=True),
                name="areas_one_city_boundary",
                violation_error_message=_("Another layer is already the city boundary; only one can be."),
            )
        ]

    def __str__(self):
        return self.slug


class AreaQuerySet(models.QuerySet):
    def around(self, latitude, longitude):
        """Areas whose bounding box holds the point: an indexed pre-filter, not the polygon test."""
        return self.filter(
            min_lat__lte=latitude, max_lat__gte=latitude, min_lon__lte=longitude, max_lon__gte=longitude
        )


class Area(models.Model):
    layer = models.ForeignKey(
        AreaLayer, on_delete=models.CASCADE, related_name="areas", verbose_name=_("layer")
    )
    name = models.CharField(_("name"), max_length=120)
    geometry = models.TextField(_("geometry (GeoJSON)"))
    properties = models.JSONField(
        _("properties"), default=dict, blank=True, help_text=_("The feature's other attributes, as imported.")
    )
    vertex_count = models.PositiveIntegerField(_("vertices"), default=0)
    min_lon = models.FloatField(db_index=True)
    min_lat = models.FloatField(db_index=True)
    max_lon = models.FloatField(db_index=True)
    max_lat = models.FloatField(db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["layer__slug", "name"]
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        constraints = [models.UniqueConstraint(fields=["layer", "name"], name="areas_unique_name_in_layer")]

    def __str__(self):
        return f"{self.layer.slug} {self.name}"

    @classmethod
    def from_shape(cls, layer, name, shape, properties=None):
        """An unsaved Area whose stored text, bounding box and vertex count all come from one geometry."""
        min_lon, min_lat, max_lon, max_lat = shape.bounds
        return cls(
            layer=layer,
            name=name,
            geometry=shapely.to_geojson(shape),
            properties=properties or {},
            vertex_count=shapely.get_num_coordinates(shape),
            min_lon=min_lon,
            min_lat=min_lat,
            max_lon=max_lon,
            max_lat=max_lat,
        )

    @cached_property
    def shape(self):
        return shapely.from_geojson(self.geometry)
