from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import locate
from .forms import AreaImportForm
from .models import Area, AreaLayer

GEOMETRY_SHOWN = 20_000  # characters: a city boundary can be megabytes, which no one reads in a page


class InvalidatingAdmin(admin.ModelAdmin):
    """Admin edits reach this process's locator at once (others follow their refresh stamp)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        locate.invalidate()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        locate.invalidate()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        locate.invalidate()


@admin.register(AreaLayer)
class AreaLayerAdmin(InvalidatingAdmin):
    list_display = ["slug", "label", "is_city_boundary", "area_count", "updated_at"]
    search_fields = ["slug", "label"]
    list_filter = ["is_city_boundary"]
    readonly_fields = ["created_at", "updated_at"]
    change_list_template = "admin/areas/arealayer/change_list.html"
    change_form_template = "admin/areas/arealayer/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(area_total=Count("areas"))

    @admin.display(description=_("areas"), ordering="area_total")
    def area_count(self, layer):
        return layer.area_total

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="areas_arealayer_import"), *super().get_urls()]

    def import_view(self, request):
        if not (request.user.has_perm("areas.add_area") and request.user.has_perm("areas.delete_area")):
            raise PermissionDenied
        form = AreaImportForm(request.POST or None, request.FILES or None, initial=request.GET.dict())
        if request.method == "POST" and form.is_valid():
            result = form.import_areas()
            if result is not None:
                for line in result.repairs:
                    self.message_user(request, line, messages.WARNING)
                self.message_user(request, result.summary, messages.SUCCESS)
                return redirect("admin:areas_arealayer_change", result.layer.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import areas from GeoJSON"),
            "form": form,
        }
        return TemplateResponse(request, "admin/areas/arealayer/import.html", context)


@admin.register(Area)
class AreaAdmin(InvalidatingAdmin):
    """Geometry changes only through an import, where it is validated; here it is read-only."""

    list_display = ["name", "layer", "vertex_count", "bounding_box", "updated_at"]
    list_filter = ["layer"]
    search_fields = ["name", "layer__slug", "layer__label"]
    list_select_related = ["layer"]
    fields = ["layer", "name", "vertex_count", "bounding_box", "properties", "geometry_text", "updated_at"]
    readonly_fields = ["layer", "vertex_count", "bounding_box", "properties", "geometry_text", "updated_at"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("bounding box (W, S, E, N)"))
    def bounding_box(self, area):
        return f"{area.min_lon:.5f}, {area.min_lat:.5f}, {area.max_lon:.5f}, {area.max_lat:.5f}"

    @admin.display(description=_("geometry (GeoJSON)"))
    def geometry_text(self, area):
        text = area.geometry
        note = (
            ngettext("%(vertices)d vertex", "%(vertices)d vertices", area.vertex_count)
            + ", "
            + ngettext("%(chars)d character", "%(chars)d characters", len(text))
        ) % {
            "vertices": area.vertex_count,
            "chars": len(text),
        }
        if len(text) > GEOMETRY_SHOWN:
            text = text[:GEOMETRY_SHOWN] + " …"
        return format_html(
            '<p>{}</p><pre style="max-height:24em;overflow:auto;white-space:pre-wrap">{}</pre>', note, text
        )
