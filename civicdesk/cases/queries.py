"""Lists of cases as queries: the filter parameters' one reader, filters, sort orders, saved views,
cheap counts. The staff queue and its exports, the REST API and open data all read from here.

Each filter is a small function of (queryset, value, user, now); `read_filters` turns query-string
text into those values, so every page and API accepts the same words with the same messages.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from civicdesk.lib.dates import FIRST_YEAR, LAST_YEAR, in_range

from .models import Channel, Department, Priority
from .paging import Key
from .search import search_cases
from .workflow import ACTIVE, FINISHED, Status

COUNT_CAP = 1000
# A word search tests the words on each case it counts: fewer counted keeps it quick ("200+").
SEARCH_COUNT_CAP = 200
PAGE_SIZE = 50

SORTS = {
    "priority": (
        _("Priority, then due time"),
        [Key("priority"), Key("expected_at", nullable=True), Key("created_at"), Key("id")],
    ),
    "due": (_("Due time"), [Key("expected_at", nullable=True), Key("priority"), Key("id")]),
    "newest": (_("Newest first"), [Key("created_at", descending=True), Key("id", descending=True)]),
    "oldest": (_("Oldest first"), [Key("created_at"), Key("id")]),
    "updated": (_("Recently updated"), [Key("updated_at", descending=True), Key("id", descending=True)]),
}
DEFAULT_SORT = "priority"


def default_sort(status):
    """Open work by urgency; history (finished cases, or every case) newest first, which the
    created_at index serves at any size where sorting every case by priority would not."""
    return DEFAULT_SORT if status == "active" or status in ACTIVE else "newest"


# ---------------------------------------------------------------- the filters


def _status(queryset, value, user, now):
    if value == "active":
        return queryset.filter(status__in=ACTIVE)
    if value == "finished":
        return queryset.filter(status__in=FINISHED)
    return queryset.filter(status=value)


def _service(queryset, value, user, now):
    return queryset.filter(service__code=value)


def _department(queryset, value, user, now):
    # Ids as a list, not a join or sub-query: PostgreSQL then knows the department when it plans
    # and walks that department's open-case index (a join by code walked every open case: 0.6 s
    # at 2M cases).
    departments = user.departments.all() if value == "mine" else Department.objects.filter(code=value)
    return queryset.filter(department__in=list(departments.values_list("pk", flat=True)))


def _assignee(queryset, value, user, now):
    if value == "me":
        return queryset.filter(assignee=user)
    if value == "unassigned":
        return queryset.filter(assignee__isnull=True)
    return queryset.filter(assignee_id=value)


def _channel(queryset, value, user, now):
    return queryset.filter(channel=value)


def _overdue(queryset, value, user, now):
    return queryset.filter(overdue_q(now)) if value else queryset


def _start_of(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def _created_from(queryset, value, user, now):
    return queryset.filter(created_at__gte=_start_of(value))


def _created_to(queryset, value, user, now):
    return queryset.filter(created_at__lt=_start_of(value + timedelta(days=1)))


def _search(queryset, value, user, now):
    return search_cases(queryset, value)


# Filter name (a QueueFilterForm field) -> function. An `area` filter slots in here.
FILTERS = {
    "status": _status,
    "service": _service,
    "department": _department,
    "assignee": _assignee,
    "channel": _channel,
    "overdue": _overdue,
    "created_from": _created_from,
    "created_to": _created_to,
    "q": _search,
}


# ---------------------------------------------------------------- reading the parameters

MAX_SEARCH = 200
STATUS_FILTERS = ("active", "finished", *Status.values)
CODE = re.compile(r"[-a-zA-Z0-9_]{1,64}")  # a service's or department's code
ASSIGNEE = re.compile(r"me|unassigned|[1-9][0-9]{0,17}")  # a user id fits a 64-bit column
TRUE, FALSE = ("true", "t", "yes", "y", "on", "1"), ("false", "f", "no", "n", "off", "0")


class Invalid(ValueError):
    """A parameter's value that is not one its filter accepts; the message names the parameter."""


def _one_of(choices):
    def parse(text, name):
        if text not in choices:
            raise Invalid(
                gettext_now("“%(name)s” must be one of %(choices)s; got “%(value)s”.")
                % {"name": name, "choices": ", ".join(choices), "value": text[:40]}
            )
        return text

    return parse


def _matching(pattern, example):
    def parse(text, name):
        if not pattern.fullmatch(text):
            raise Invalid(
                gettext_now("“%(name)s” must look like “%(example)s”; got “%(value)s”.")
                % {"name": name, "example": example, "value": text[:40]}
            )
        return text

    return parse


def _flag(text, name):
    if text.lower() not in TRUE + FALSE:
        raise Invalid(
            gettext_now("“%(name)s” must be true or false; got “%(value)s”.")
            % {"name": name, "value": text[:40]}
        )
    return text.lower() in TRUE


def _day(text, name):
    """A date written YYYY-MM-DD (what a date input sends), within the accepted years."""
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise Invalid(
            gettext_now("“%(name)s” must be a date written YYYY-MM-DD, such as 2024-01-31; got “%(value)s”.")
            % {"name": name, "value": text[:40]}
        )
    if not in_range(day):
        raise Invalid(
            gettext_now("“%(name)s” must be a date in the years %(first)d to %(last)d; got “%(value)s”.")
            % {"name": name, "first": FIRST_YEAR, "last": LAST_YEAR, "value": text}
        )
    return day


def _words(text, name):
    if len(text) > MAX_SEARCH:
        raise Invalid(
            gettext_now("“%(name)s” must be at most %(limit)d characters long.")
            % {"name": name, "limit": MAX_SEARCH}
        )
    return text


# Parameter -> reader(text, name) -> value for FILTERS (or the sort order's name).
READERS = {
    "status": _one_of(STATUS_FILTERS),
    "service": _matching(CODE, "pothole"),
    "department": _matching(CODE, "public-works"),
    "assignee": _matching(ASSIGNEE, "me"),
    "channel": _one_of(tuple(Channel.values)),
    "overdue": _flag,
    "created_from": _day,
    "created_to": _day,
    "q": _words,
    "sort": _one_of(tuple(SORTS)),
}


@dataclass
class Parameters:
    values: dict = field(default_factory=dict)  # filter name -> value, for filter_cases
    errors: dict = field(default_factory=dict)  # parameter as written -> [message]


def read_filters(data, names=tuple(READERS), aliases=None):
    """The filters in query-string `data` (a QueryDict or a dict of text): each valid one as its value,
    each invalid one as an error. A blank value is a missing one.

    `names` limits the filters read; `aliases` maps a parameter's public name to a filter's
    (open data says `since` for `created_from`). Callers decide what an error means: the staff
    queue drops that filter, the API and open data refuse the request.
    """
    spelled = {filter_name: public for public, filter_name in (aliases or {}).items()}
    result = Parameters()
    for name in names:
        parameter = spelled.get(name, name)
        text = data.get(parameter, "")
        text = text.strip() if isinstance(text, str) else ""
        if not text:
            continue
        try:
            result.values[name] = READERS[name](text, parameter)
        except Invalid as error:
            result.errors[parameter] = [str(error)]
    return result


# ---------------------------------------------------------------- filtering, sorting, counting


def overdue_q(now):
    return Q(expected_at__lt=now, status__in=ACTIVE)


def filter_cases(queryset, filters, user, now=None):
    now = now or timezone.now()
    for name, value in filters.items():
        if name in FILTERS:
            queryset = FILTERS[name](queryset, value, user, now)
    return queryset


def sort_keys(name):
    return SORTS.get(name, SORTS[DEFAULT_SORT])[1]


@dataclass
class CappedCount:
    """A count that stops at `cap`: "1,000+" costs the same as "12" on a million rows."""

    value: int
    capped: bool


def capped_count(queryset, cap=COUNT_CAP):
    value = queryset.order_by()[: cap + 1].count()
    return CappedCount(min(value, cap), value > cap)


@dataclass
class SavedView:
    slug: str
    label: str
    params: dict


def saved_views(user):
    """Links to common filters. Each is just a query string, so it can be bookmarked or shared."""
    views = [SavedView("mine", _("My open cases"), {"assignee": "me", "status": "active"})]
    if user.departments.exists():
        views.append(
            SavedView(
                "unassigned",
                _("Unassigned in my department"),
                {"assignee": "unassigned", "status": "active", "department": "mine"},
            )
        )
    else:
        views.append(SavedView("unassigned", _("Unassigned"), {"assignee": "unassigned", "status": "active"}))
    views += [
        SavedView("overdue", _("Overdue"), {"status": "active", "overdue": "on"}),
        SavedView("all-open", _("All open"), {"status": "active"}),
    ]
    return views


def mark_rows(cases, now=None):
    """Flags the templates show as text: overdue (past due and still open), at risk (past the policy's
    at-risk point, not yet due) and urgent."""
    now = now or timezone.now()
    for case in cases:
        case.overdue = bool(case.expected_at and case.expected_at < now and case.is_active)
        case.at_risk = not case.overdue and case.is_active and _past_risk_point(case, now)
        case.urgent = case.priority == Priority.URGENT
    return cases


def _past_risk_point(case, now):
    try:
        at_risk_at = case.clock.at_risk_at
    except ObjectDoesNotExist:  # no service-level policy applies
        return False
    return bool(at_risk_at and at_risk_at <= now)
