"""Address points (one per address, from a city's or OpenAddresses' file) and the imports that loaded them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AddressImport(models.Model):
    """One run of `import_addresses`. Its newest id is the stamp the in-process street index checks."""

    source = models.CharField(_("source"), max_length=120)
    file_name = models.CharField(_("file"), max_length=300, blank=True)
    imported = models.PositiveIntegerField(_("points imported"), default=0)
    skipped = models.PositiveIntegerField(_("rows skipped"), default=0)
    replaced = models.PositiveIntegerField(_("points replaced"), default=0)
    created_at = models.DateTimeField(_("imported at"), auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("address import")
        verbose_name_plural = _("address imports")

    def __str__(self):
        return f"{self.source} ({self.imported})"


class AddressPoint(models.Model):
    number = models.CharField(_("number"), max_length=20)  # "12", "12B", "12-14"
    house = models.IntegerField(_("house number value"), null=True)  # 12 for all three: nearest numbers
    unit = models.CharField(_("unit"), max_length=40, blank=True)
    street = models.CharField(_("street"), max_length=200)
    street_key = models.CharField(_("normalised street"), max_length=200)  # normalise.street_key
    city = models.CharField(_("city"), max_length=120, blank=True)
    postcode = models.CharField(_("postcode"), max_length=20, blank=True)
    latitude = models.FloatField(_("latitude"))
    longitude = models.FloatField(_("longitude"))
    source = models.CharField(_("source"), max_length=120)
    external_id = models.CharField(_("external id"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("address point")
        verbose_name_plural = _("address points")
        indexes = [
            # match(): the few streets a query names, then a house number on them.
            models.Index(fields=["street_key", "house"], name="places_street_house"),
            # nearest(): a bounding box, latitude range first, longitude checked inside the index.
            models.Index(fields=["latitude", "longitude"], name="places_lat_lon"),
            models.Index(fields=["source"], name="places_source"),
        ]

    def __str__(self):
        return label(self.number, self.unit, self.street, self.city)


def label(number, unit, street, city):
    """How a point is shown to the person who typed it: "12 Main St #4, Riverton"."""
    first = " ".join(part for part in (number, street) if part)
    if unit:
        first = f"{first} #{unit}"
    return ", ".join(part for part in (first, city) if part)
