"""Address points and their imports, read-only: points come from files (`import_addresses`), so an
edit here could not keep `street_key` and the in-process street index in step."""

from django.contrib import admin

from .models import AddressImport, AddressPoint


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AddressImport)
class AddressImportAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "source", "file_name", "imported", "skipped", "replaced"]


@admin.register(AddressPoint)
class AddressPointAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "postcode", "latitude", "longitude", "source", "external_id"]
    list_filter = ["source"]
    search_fields = ["street", "=number", "city", "=external_id"]
    show_full_result_count = False  # no COUNT(*) over half a million rows on each page
