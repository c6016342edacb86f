from django import template

from civicdesk.cases.models import localized as _localized
from civicdesk.cases.workflow import Status
from civicdesk.lib.phones import readable

register = template.Library()


@register.filter
def localized(obj, field):
    """`{{ service|localized:"description" }}`: a translatable field in the active language."""
    return _localized(obj, field)


@register.filter
def status_label(value):
    try:
        return Status(value).label
    except ValueError:
        return value


@register.filter
def phone(value):
    """`{{ case.reporter_phone|phone }}`: a stored E.164 number as people write it."""
    return readable(value)
