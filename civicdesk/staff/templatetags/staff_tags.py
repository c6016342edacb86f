"""Template helpers for the staff workspace: timeline changes in words, answers, capped counts."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicdesk.cases import permissions
from civicdesk.cases.models import Department, Priority, Service
from civicdesk.cases.workflow import Status

register = template.Library()

FIELD_LABELS = {
    "status": gettext_lazy("Status"),
    "priority": gettext_lazy("Priority"),
    "department": gettext_lazy("Department"),
    "assignee": gettext_lazy("Assigned to"),
    "service": gettext_lazy("Service"),
    "duplicate_of": gettext_lazy("Duplicate of"),
    "duplicates": gettext_lazy("Duplicate"),
    "attributes": gettext_lazy("Answers"),
    "followers": gettext_lazy("People following"),
}
# Keys whose values mean nothing to a reader (the event's kind already says what happened).
HIDDEN_KEYS = {"attachment"}


@register.filter
def may(user, action):
    """`{% if user|may:"create_for_caller" %}`: the role may do this (to some case)."""
    return permissions.can(user, action)


@register.filter
def capped(count):
    """A CappedCount as text: "12", "1,000+"."""
    text = intcomma(count.value)
    return _("%(count)s+") % {"count": text} if count.capped else text


@register.filter
def as_query(params):
    return urlencode(params)


def _names(model, context):
    cache = context.render_context.setdefault(f"staff-names-{model.__name__}", {})
    if not cache:
        cache.update({obj.code: str(obj) for obj in model.objects.all()})
    return cache


def _display(key, value, context):
    if value in (None, "", {}, []):
        return _("none")
    try:
        if key == "status":
            return Status(value).label
        if key == "priority":
            return Priority(int(value)).label
    except ValueError:
        return str(value)
    if key == "department":
        return _names(Department, context).get(value, value)
    if key == "service":
        return _names(Service, context).get(value, value)
    if key == "attributes":
        return _("answers given") if value else _("none")
    return str(value)


@register.simple_tag(takes_context=True)
def describe_changes(context, event):
    """An event's `changes` as sentences: "Status: from “New” to “Open”"."""
    lines = []
    for key, pair in (event.changes or {}).items():
        if key in HIDDEN_KEYS or not isinstance(pair, list) or len(pair) != 2:
            continue
        old, new = (_display(key, value, context) for value in pair)
        label = FIELD_LABELS.get(key, key)
        if pair[0] in (None, "", {}, []):
            lines.append(_("%(field)s: “%(new)s”") % {"field": label, "new": new})
        else:
            lines.append(
                _("%(field)s: from “%(old)s” to “%(new)s”") % {"field": label, "old": old, "new": new}
            )
    return lines


@register.simple_tag
def answer_list(case):
    """The case's answers as (question, answer) in the active language; unknown codes as they are."""
    attributes = {a.code: a for a in case.service.attributes.all()}
    rows = []
    for code, value in (case.attributes or {}).items():
        attribute = attributes.get(code)
        if attribute is None:
            rows.append((code, value if not isinstance(value, list) else ", ".join(map(str, value))))
            continue
        choices = dict(attribute.value_choices()) if attribute.is_list else {}
        values = value if isinstance(value, list) else [value]
        rows.append((str(attribute), ", ".join(str(choices.get(v, v)) for v in values)))
    return rows
