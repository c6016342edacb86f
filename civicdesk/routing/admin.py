from dataclasses import replace

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from civicdesk.cases.models import Case

from . import rules as rule_loader
from .models import RoutingRule

DRY_RUN_CASES = 500


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["order", "name", "active", "keep_going", "set_department", "assign_to", "set_priority"]
    list_display_links = ["name"]
    list_editable = ["order", "active"]
    list_filter = ["active", "set_department"]
    search_fields = ["name", "keywords", "areas"]
    filter_horizontal = ["services", "split_to"]
    fieldsets = [
        (None, {"fields": ["name", "order", "active", "keep_going"]}),
        (
            _("When a case matches all of these (empty means any)"),
            {
                "fields": [
                    "services",
                    "service_groups",
                    "areas",
                    "keywords",
                    "answers",
                    "channels",
                    "priorities",
                    "weekdays",
                    ("from_time", "to_time"),
                ]
            },
        ),
        (_("Then"), {"fields": ["set_department", "assign_to", "set_priority", "add_tags", "split_to"]}),
    ]
    change_form_template = "admin/routing/routingrule/change_form.html"

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "POST" and "_dryrun" in request.POST:
            return self._dry_run(request, object_id)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _dry_run(self, request, object_id):
        """Route the latest cases with the edited (unsaved) rule and list what would change."""
        obj = self.get_object(request, object_id) if object_id else None
        form = self.get_form(request, obj, change=obj is not None)(request.POST, request.FILES, instance=obj)
        if not form.is_valid():
            messages.error(request, _("Fix the rule's errors before a dry run."))
            return super().changeform_view(request, object_id)
        edited = form.save(commit=False)
        edited_id = edited.pk or 0
        current = rule_loader.active_rules()
        orders = dict(RoutingRule.objects.values_list("id", "order")) | {edited_id: edited.order}
        proposed = [r for r in current if r.id != edited_id]
        if edited.active:
            data = form.cleaned_data
            proposed.append(replace(edited.snapshot(data["services"], data["split_to"]), id=edited_id))
        proposed.sort(key=lambda r: (orders.get(r.id, 0), r.id))
        cases = list(Case.objects.select_related("service").order_by("-created_at")[:DRY_RUN_CASES])
        changes = [c for c in (_compare(case, current, proposed) for case in cases) if c]
        return TemplateResponse(
            request,
            "admin/routing/routingrule/dry_run.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "rule": edited,
                "changes": changes,
                "examined": len(cases),
                "title": _("Dry run of “%(name)s”") % {"name": edited.name},
            },
        )


def _compare(case, current, proposed):
    before, after = rule_loader.decide(case, current), rule_loader.decide(case, proposed)
    key = lambda d: (d.department, d.assignee, d.priority, d.tags, d.split_to)  # noqa: E731
    return {"case": case, "before": before, "after": after} if key(before) != key(after) else None
