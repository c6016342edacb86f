from django import forms
from django.core.validators import validate_slug
from django.utils.translation import gettext_lazy as _

from .actions import ImportRefused, import_file
from .geojson import GeoJSONError


class AreaImportForm(forms.Form):
    """The admin's upload: the same checks and messages as `civicdesk import_areas`."""

    file = forms.FileField(
        label=_("GeoJSON file"), help_text=_("Longitude/latitude (WGS 84), polygons only.")
    )
    layer = forms.SlugField(
        label=_("Layer"), max_length=64, validators=[validate_slug], help_text=_("For example ward.")
    )
    name_property = forms.CharField(
        label=_("Name property"),
        max_length=120,
        help_text=_("The feature property holding each area's name."),
    )
    label = forms.CharField(label=_("Label"), max_length=120, required=False)
    city_boundary = forms.BooleanField(label=_("This layer is the city boundary"), required=False)
    replace = forms.BooleanField(label=_("Replace existing areas"), required=False)

    def import_areas(self):
        """The ImportResult, or None with the reasons added as form errors (nothing imported)."""
        data = self.cleaned_data
        try:
            return import_file(
                data["file"].read(),
                data["layer"],
                data["name_property"],
                label=data["label"],
                city_boundary=data["city_boundary"],
                replace=data["replace"],
            )
        except GeoJSONError as error:
            for line in error.lines:
                self.add_error("file", line)
        except ImportRefused as error:
            self.add_error(None, str(error))
        return None
