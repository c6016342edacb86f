"""Public reference data: services (with their questions), departments, areas. No sign-in needed."""

import json

from django.db.models import Prefetch
from ninja import Field, Query, Router, Schema

from civicdesk.areas.models import Area, AreaLayer
from civicdesk.cases.models import Department, Service

from .auth import PUBLIC
from .errors import responses
from .schemas import AreaLayerOut, Code, DepartmentOut, ServiceOut
from .serialize import service_dict

router = Router(tags=["reference"], auth=PUBLIC)


class AreaOptions(Schema):
    layer: Code | None = Field(None, description="Only this layer (its slug).")
    geometry: bool = Field(False, description="`true`: include each area's GeoJSON geometry (large).")


@router.get("/services", response=responses({200: list[ServiceOut]}), summary="Services")
def list_services(request):
    """Active services and the questions each asks, in the request's language."""
    services = Service.objects.filter(active=True).select_related("default_department")
    return [service_dict(s) for s in services.prefetch_related("attributes")]


@router.get("/departments", response=responses({200: list[DepartmentOut]}), summary="Departments")
def list_departments(request):
    return [
        {"code": d.code, "name": str(d), "email": d.email} for d in Department.objects.filter(active=True)
    ]


@router.get("/areas", response=responses({200: list[AreaLayerOut]}), summary="Areas")
def list_areas(request, options: Query[AreaOptions]):
    """Area layers (wards, districts...) and their areas' names and bounding boxes."""
    fields = ["name", "layer_id", "min_lon", "min_lat", "max_lon", "max_lat"]
    areas = Area.objects.order_by("name").only(*fields, *(["geometry"] if options.geometry else []))
    layers = AreaLayer.objects.prefetch_related(Prefetch("areas", queryset=areas))
    if options.layer:
        layers = layers.filter(slug=options.layer)
    return [
        {
            "slug": lyr.slug,
            "label": lyr.label,
            "is_city_boundary": lyr.is_city_boundary,
            "areas": [
                {
                    "name": a.name,
                    "bbox": [a.min_lon, a.min_lat, a.max_lon, a.max_lat],
                    "geometry": json.loads(a.geometry) if options.geometry else None,
                }
                for a in lyr.areas.all()
            ],
        }
        for lyr in layers
    ]
