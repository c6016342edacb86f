"""Forms of the staff workspace, and a generic builder for a service's questions.

The forms only shape input; every rule about cases is checked by civicdesk.cases.actions, whose
ValidationError messages `add_action_errors` puts back on the matching fields.
"""

from collections import defaultdict

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from civicdesk.accounts.models import STAFF_ROLES, User
from civicdesk.cases import permissions
from civicdesk.cases.actions import MAX_MESSAGE
from civicdesk.cases.attributes import MAX_TEXT
from civicdesk.cases.forms import answers_from, attribute_fields
from civicdesk.cases.models import Channel, Department, Priority, Service
from civicdesk.cases.queries import read_filters
from civicdesk.cases.workflow import NEEDS_REASON, Status, allowed_targets
from civicdesk.lib.dates import year_limits

# ---------------------------------------------------------------- helpers


def grouped_people(departments):
    """Active staff as choices grouped by department (`<optgroup>`), in one query."""
    departments = list(departments)
    memberships = (
        User.departments.through.objects.filter(
            department__in=departments, user__is_active=True, user__role__in=STAFF_ROLES
        )
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    people = defaultdict(list)
    for membership in memberships:
        people[membership.department_id].append((str(membership.user_id), str(membership.user)))
    return [(str(d), people[d.pk]) for d in departments if people[d.pk]]


def visible_departments(user):
    departments = Department.objects.filter(active=True)
    return departments if user.sees_all_departments else departments.filter(members=user)


def service_choices():
    """Active services grouped by their group, in the active language."""
    groups = {}
    for service in Service.objects.filter(active=True).order_by("group", "name"):
        groups.setdefault(service.localized("group") or _("Other"), []).append((service.code, str(service)))
    return list(groups.items())


# ---------------------------------------------------------------- case page forms


class VersionedForm(forms.Form):
    """Carries the version of the case the user saw, so a stale form is refused, not applied."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, case=None, **kwargs):
        kwargs.setdefault("initial", {})
        if case is not None:
            kwargs["initial"].setdefault("version", case.version)
        super().__init__(*args, **kwargs)
        self.case = case


class MessageForm(VersionedForm):
    message = forms.CharField(max_length=MAX_MESSAGE, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, label, help_text="", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["message"].label = label
        self.fields["message"].help_text = help_text


class AssignForm(VersionedForm):
    department = forms.ChoiceField(label=_("Department"), required=False)
    assignee = forms.ChoiceField(label=_("Person"), required=False)

    def __init__(self, *args, case, user, **kwargs):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("department", case.department.code if case.department else "")
        kwargs["initial"].setdefault("assignee", str(case.assignee_id or ""))
        super().__init__(*args, case=case, **kwargs)
        # A transfer may go to any department, including ones this user cannot see.
        can_transfer = permissions.can(user, "transfer", case)
        departments = list(Department.objects.filter(active=True)) if can_transfer else []
        if departments:
            self.fields["department"].choices = [(d.code, str(d)) for d in departments]
        else:
            del self.fields["department"]
        if permissions.can(user, "assign", case):
            # Without JavaScript every department's people are listed, grouped; htmx narrows the
            # list to the chosen department.
            in_reach = departments or ([case.department] if case.department else [])
            self.fields["assignee"].choices = [("", _("Nobody (unassigned)")), *grouped_people(in_reach)]
        else:
            del self.fields["assignee"]

    def clean_department(self):
        code = self.cleaned_data["department"]
        return Department.objects.get(code=code) if code else None  # none sent: stays where it is

    def clean_assignee(self):
        pk = self.cleaned_data.get("assignee")
        return User.objects.get(pk=pk) if pk else None

    @property
    def is_empty(self):
        return not ({"department", "assignee"} & set(self.fields))


class StatusForm(VersionedForm):
    status = forms.ChoiceField(label=_("New status"))
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Needed for “%(rejected)s” and “%(nor)s”. The resident sees it.")
        % {"rejected": Status.REJECTED.label, "nor": Status.NOT_OUR_RESPONSIBILITY.label},
    )
    message = forms.CharField(
        label=_("Message to the resident"),
        required=False,
        max_length=MAX_MESSAGE,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Added to the public timeline and e-mailed to the resident."),
    )

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, case=case, **kwargs)
        targets = [(s, Status(s).label) for s in allowed_targets(case.status)]
        self.fields["status"].choices = [("", _("Choose a status…")), *targets]


class PriorityForm(VersionedForm):
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int)

    def __init__(self, *args, case, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("priority", case.priority)
        super().__init__(*args, case=case, **kwargs)


class ServiceForm(VersionedForm):
    service = forms.ChoiceField(label=_("Service"))

    def __init__(self, *args, case, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("service", case.service.code)
        super().__init__(*args, case=case, **kwargs)
        self.fields["service"].choices = service_choices()

    def clean_service(self):
        return Service.objects.get(code=self.cleaned_data["service"])


class MergeForm(VersionedForm):
    target = forms.CharField(
        label=_("Duplicate of case"),
        max_length=80,
        help_text=_("The number of the case this one repeats, for example 26-000123."),
    )


class AttachForm(VersionedForm):
    file = forms.FileField(label=_("Photo"), widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    public = forms.BooleanField(label=_("The resident may see this photo"), required=False, initial=True)


class ContactForm(forms.Form):
    """Empty on purpose: showing contact details is a POST so that it can be audited."""


# ---------------------------------------------------------------- queue


class QueueFilterForm(forms.Form):
    """The queue's filters (GET). Every field is optional; unknown values are ignored, not errors."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
        help_text=_("Case number, words in the description, address or comments."),
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    service = forms.ChoiceField(label=_("Service"), required=False)
    department = forms.ChoiceField(label=_("Department"), required=False)
    assignee = forms.ChoiceField(label=_("Assigned to"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    overdue = forms.BooleanField(label=_("Only overdue cases"), required=False)
    created_from = forms.DateField(
        label=_("Created from"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=year_limits(),
    )
    created_to = forms.DateField(
        label=_("Created to"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=year_limits(),
    )
    # An `area` filter (ward, district) belongs here and in cases.queries (FILTERS, READERS) once areas exist.
    sort = forms.ChoiceField(label=_("Sort by"), required=False)

    def __init__(self, *args, user, sorts, **kwargs):
        super().__init__(*args, **kwargs)
        fields = self.fields
        fields["status"].choices = [
            ("", _("Any status")),
            ("active", _("Any open status")),
            ("finished", _("Any finished status")),
            *Status.choices,
        ]
        fields["service"].choices = [("", _("Any service")), *service_choices()]
        departments = visible_departments(user)
        fields["department"].choices = [("", _("Any department"))]
        if not user.sees_all_departments or user.departments.exists():
            fields["department"].choices.append(("mine", _("My departments")))
        fields["department"].choices += [(d.code, str(d)) for d in departments]
        fields["assignee"].choices = [
            ("", _("Anyone or nobody")),
            ("me", _("Me")),
            ("unassigned", _("Nobody (unassigned)")),
            *grouped_people(departments),
        ]
        fields["channel"].choices = [("", _("Any channel")), *Channel.choices]
        fields["sort"].choices = [(key, label) for key, (label, _keys) in sorts.items()]

    def filters(self):
        """The valid filters, by name, as the domain reads every list's parameters; a value that is
        not valid, or not one this form offers (a stale link's service), drops only that filter."""
        if not self.is_bound:
            return {}
        values = read_filters(self.data).values
        return {name: value for name, value in values.items() if self._offers(name, value)}

    def _offers(self, name, value):
        field = self.fields[name]
        return not isinstance(field, forms.ChoiceField) or field.valid_value(value)


class CaseRefsField(forms.Field):
    """Checked cases as `number:version` pairs; the version guards against stale bulk edits."""

    widget = forms.MultipleHiddenInput
    max_cases = 200

    def to_python(self, value):
        refs = []
        for item in value or []:
            number, _sep, version = str(item).partition(":")
            if "\x00" in number:  # PostgreSQL refuses NUL in text: a 500 otherwise
                raise forms.ValidationError(_("Null characters are not allowed."), code="null_characters")
            refs.append((number.strip(), int(version) if version.isascii() and version.isdigit() else None))
        return refs

    def validate(self, value):
        super().validate(value)
        if len(value) > self.max_cases:
            raise forms.ValidationError(
                _("Choose at most %(count)d cases at a time.") % {"count": self.max_cases}
            )


class BulkForm(forms.Form):
    ACTIONS = {"assign": "assignee", "department": "department", "status": "status", "priority": "priority"}

    cases = CaseRefsField(
        label=_("Cases"), error_messages={"required": _("Tick at least one case in the list.")}
    )
    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS], widget=forms.HiddenInput)
    assignee = forms.ChoiceField(label=_("Assign to"), required=False)
    department = forms.ChoiceField(label=_("Send to department"), required=False)
    status = forms.ChoiceField(label=_("Change status to"), required=False)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=MAX_MESSAGE)
    priority = forms.TypedChoiceField(
        label=_("Set priority to"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        departments = visible_departments(user)
        self.fields["assignee"].choices = [("", _("Choose a person…")), *grouped_people(departments)]
        self.fields["department"].choices = [("", _("Choose a department…"))] + [
            (d.code, str(d)) for d in departments
        ]
        self.fields["status"].choices = [("", _("Choose a status…"))] + [
            (s, s.label) for s in Status if s not in (Status.NEW, Status.DUPLICATE)
        ]
        self.fields["priority"].choices = [("", _("Choose a priority…")), *Priority.choices]

    def clean(self):
        data = super().clean()
        field = self.ACTIONS.get(data.get("action"))
        if field and data.get(field) in (None, ""):
            self.add_error(field, _("Choose a value for this action."))
        if data.get("action") == "status" and data.get("status") in NEEDS_REASON and not data.get("reason"):
            self.add_error("reason", _("Give a reason for this status."))
        return data

    def clean_assignee(self):
        pk = self.cleaned_data.get("assignee")
        return User.objects.get(pk=pk) if pk else None

    def clean_department(self):
        code = self.cleaned_data.get("department")
        return Department.objects.get(code=code) if code else None


# ---------------------------------------------------------------- intake


class IntakeForm(forms.Form):
    """A 311 agent takes a case from a caller (phone) or a visitor (walk-in)."""

    channel = forms.ChoiceField(
        label=_("How did they contact us?"),
        choices=[(Channel.PHONE, Channel.PHONE.label), (Channel.WALK_IN, Channel.WALK_IN.label)],
        initial=Channel.PHONE,
        widget=forms.RadioSelect,
    )
    reporter_name = forms.CharField(label=_("Caller's name"), max_length=150, required=False)
    reporter_phone = forms.CharField(
        label=_("Caller's phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off"}),
    )
    reporter_email = forms.EmailField(
        label=_("Caller's e-mail"),
        required=False,
        help_text=_("The caller gets the case number and updates here."),
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    language = forms.ChoiceField(
        label=_("Caller's language"), choices=settings.LANGUAGES, help_text=_("For e-mails about the case.")
    )
    service = forms.ChoiceField(label=_("Service"))
    description = forms.CharField(
        label=_("What is the problem?"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Published on the public case page and in open feeds, with e-mail addresses and phone "
            "numbers hidden: put the caller's details in the fields above, not here."
        ),
    )
    address = forms.CharField(label=_("Address or place"), max_length=300, required=False)
    latitude = forms.FloatField(label=_("Latitude"), required=False, min_value=-90, max_value=90)
    longitude = forms.FloatField(label=_("Longitude"), required=False, min_value=-180, max_value=180)

    def __init__(self, *args, service=None, language=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = service
        self.fields["service"].choices = [("", _("Choose a service…")), *service_choices()]
        self.attribute_names = list(attribute_fields(service, language))
        self.fields.update(attribute_fields(service, language))

    def clean_service(self):
        return Service.objects.get(code=self.cleaned_data["service"], active=True)

    def clean(self):
        data = super().clean()
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        return data

    def attribute_bound_fields(self):
        return [self[name] for name in self.attribute_names]

    def answers(self):
        return answers_from(self.cleaned_data, self.service)


class CallerLookupForm(forms.Form):
    reporter_phone = forms.CharField(required=False, max_length=32)
    reporter_email = forms.CharField(required=False, max_length=254)
