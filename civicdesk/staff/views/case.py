"""The case page and its actions.

Every action is a plain POST form that works without JavaScript: on success it redirects back to
the case with a message; on a problem it shows the page again with the form's errors. htmx posts
the same forms and swaps only the `case-main` partial.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from civicdesk.cases import actions, permissions
from civicdesk.cases.actions import StaleCase
from civicdesk.cases.forms import add_action_errors
from civicdesk.cases.models import Department
from civicdesk.cases.queries import mark_rows
from civicdesk.cases.search import search_cases
from civicdesk.cases.workflow import ACTIVE, TRANSITIONS, Status, allowed_targets
from civicdesk.lib.geo import nearby_cells

from ..forms import (
    AssignForm,
    AttachForm,
    MergeForm,
    MessageForm,
    PriorityForm,
    ServiceForm,
    StatusForm,
    grouped_people,
)
from .base import _get_case_for_staff, _visible_cases, is_htmx, render_page, staff_required

TEMPLATE = "staff/case.html"
DEFAULT_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
DEFAULT_ATTRIBUTION = "© OpenStreetMap contributors"
MERGE_RESULTS = 8


# ---------------------------------------------------------------- forms on the page


def _reply_form(user, case, **kwargs):
    help_text = _("The resident sees this on the case page and gets it by e-mail.")
    return MessageForm(label=_("Message to the resident"), help_text=help_text, case=case, **kwargs)


def _note_form(user, case, **kwargs):
    help_text = _("Only city staff see internal notes.")
    return MessageForm(label=_("Note for staff"), help_text=help_text, case=case, **kwargs)


def _assign_form(user, case, **kwargs):
    form = AssignForm(case=case, user=user, **kwargs)
    return None if form.is_empty else form


def _status_form(user, case, **kwargs):
    return StatusForm(case=case, **kwargs) if allowed_targets(case.status) else None


def _merge_form(user, case, **kwargs):
    return MergeForm(case=case, **kwargs) if Status.DUPLICATE in TRANSITIONS[case.status] else None


# name -> (permission needed, factory). A factory may return None when the form has nothing to offer.
FORMS = {
    "reply": ("reply", _reply_form),
    "note": ("note", _note_form),
    "assign": ("view", _assign_form),  # the form keeps only the parts (department, person) allowed
    "status": ("change_status", _status_form),
    "priority": ("change_priority", lambda user, case, **kw: PriorityForm(case=case, **kw)),
    "service": ("recategorise", lambda user, case, **kw: ServiceForm(case=case, **kw)),
    "merge": ("merge", _merge_form),
    "attach": ("attach", lambda user, case, **kw: AttachForm(case=case, **kw)),
}


def _make_form(name, user, case, data=None, files=None):
    action, factory = FORMS[name]
    if not permissions.can(user, action, case):
        return None
    return factory(user, case, data=data, files=files, prefix=name)


def _case_context(request, case, bound=None, contact=False):
    user = request.user
    forms = {name: _make_form(name, user, case) for name in FORMS}
    forms.update(bound or {})
    events = case.events.select_related("actor").order_by("created_at", "id")
    duplicates = _visible_cases(request).filter(duplicate_of=case).only("number")
    mark_rows([case])
    thread = _conversation_thread(case)
    return {
        "case": case,
        "forms": {name: form for name, form in forms.items() if form is not None},
        "errored": next((f for f in (bound or {}).values() if f.errors), None),
        "events": events,
        "photos": case.attachments.all(),
        "duplicates": duplicates,
        "nearby": _nearby_candidates(request, case) if forms.get("merge") else [],
        "can_view_contact": permissions.can(user, "view_contact", case),
        "contact": contact,
        "thread": thread,
        "thread_by_sms": _by_sms(case),
        # A thread of e-mail only is "the e-mail conversation"; one with messaging or social posts is not.
        "thread_is_email": all(entry.get("channel", "email") == "email" for entry in thread),
        "reply_channel": _reply_channel(case),
        "tile_url": getattr(settings, "MAP_TILE_URL", DEFAULT_TILES),
        "tile_attribution": getattr(settings, "MAP_TILE_ATTRIBUTION", DEFAULT_ATTRIBUTION),
    }


# What each case e-mail is, for one not rendered yet (rendered when sent, in the worker).
OUTBOUND_KINDS = {
    "acknowledgement": _lazy("Acknowledgement"),
    "reply": _lazy("Reply"),
    "resolved": _lazy("Resolved notice"),
    "sms_reply": _lazy("SMS answer"),
}

# Cases reported by text or by phone are answered by SMS (decision 48).
SMS_CHANNELS = ("sms", "voice")


def _by_sms(case):
    return case.channel in SMS_CHANNELS and bool(case.reporter_phone)


def _conversation_thread(case):
    """The conversation with the reporter, inbound and outbound in time order (decision 46): by
    e-mail, or by SMS for a case reported by text or phone (decision 48).

    Read through the case's reverse relations: the staff adapter does not import the inbound app.
    Addresses are not shown (the disclosure policy: contact details only on request, with
    `view_contact`); follower copies are not part of the conversation.
    """
    inbound = [
        {
            "inbound": True,
            "at": m.received_at,
            "subject": m.subject,
            "text": m.text,
            "status": m.status,
            "status_label": m.get_status_display(),
            "files": m.attachments,
            "kind_label": "",
            "channel": m.channel,
        }
        for m in case.inbound_messages.defer("raw").order_by("received_at")
    ]
    if not inbound:
        return []
    outbound = [
        {
            "inbound": False,
            "at": m.created_at,
            "subject": m.subject,
            "kind": m.kind,
            "kind_label": OUTBOUND_KINDS.get(m.kind, m.kind),
            "status_label": m.get_status_display(),
            "text": m.body if m.channel == "sms" else "",
            "note": _whatsapp_note(m),
        }
        for m in _outbound(case).order_by("created_at")
    ]
    return sorted(inbound + outbound, key=lambda entry: entry["at"])


def _whatsapp_note(message):
    """What the resident got on WhatsApp when it was not the words staff wrote (decision 49)."""
    if message.as_template:
        return _(
            "Sent as WhatsApp's approved template: the case number and a request to write back. "
            "The words are on the resident's case page."
        )
    if message.channel == "whatsapp" and message.provider_status == "failed":
        error = message.last_error.removeprefix("WhatsApp: ")
        return _("WhatsApp refused it (%(error)s).") % {"error": error}
    return ""


def _outbound(case):
    if _by_sms(case):
        return case.outbox.filter(channel="sms", recipient=case.reporter_phone)
    by_email = Q(channel="email", recipient__iexact=case.reporter_email)
    return case.outbox.filter(by_email | Q(channel__in=MESSAGING_OUTBOUND))


# Messaging channels a case's conversation can be on (decision 49), read through the case's reverse
# relation like the thread above. Of these only WhatsApp and Telegram can be written back to.
MESSAGING_CHANNELS = ("whatsapp", "telegram", "social")
MESSAGING_OUTBOUND = ("whatsapp", "telegram")


def _reply_channel(case):
    """Where a public reply goes when the case came by WhatsApp, Telegram or a social tool, and for
    WhatsApp whether its 24-hour window is open (outside it only the approved template goes)."""
    conversation = (
        case.conversations.filter(channel__in=MESSAGING_CHANNELS).order_by("-last_inbound_at", "-pk").first()
    )
    if conversation is None:
        return None
    info = {"channel": conversation.channel, "hours": settings.WHATSAPP_WINDOW_HOURS}
    if conversation.channel == "whatsapp" and conversation.last_inbound_at:
        closes = conversation.last_inbound_at + timedelta(hours=settings.WHATSAPP_WINDOW_HOURS)
        info.update(window_closes_at=closes, window_open=timezone.now() < closes)
    return info


def _nearby_candidates(request, case, limit=5):
    """Open cases of the same service around this one: likely duplicates, from the H3 index."""
    if not case.has_location:
        return []
    cells = nearby_cells(case.latitude, case.longitude)
    candidates = _visible_cases(request).filter(geo_cell__in=cells, service=case.service, status__in=ACTIVE)
    return list(candidates.exclude(pk=case.pk).order_by("-created_at")[:limit])


def _render_case(request, case, *, bound=None, contact=False, status=200, extra=None):
    context = _case_context(request, case, bound=bound, contact=contact) | (extra or {})
    return render_page(request, TEMPLATE, context, partial="case-main", status=status)


# ---------------------------------------------------------------- page


@require_GET
@staff_required
def show_case(request, number):
    return _render_case(request, _get_case_for_staff(request, number))


# ---------------------------------------------------------------- actions


def _act(request, number, name, perform, done, refused, aliases=None, data=None):
    """Validate form `name`, run `perform(case, cleaned_data)` (an action), answer the user."""
    case = _get_case_for_staff(request, number)
    form = _make_form(name, request.user, case, data=data or request.POST, files=request.FILES)
    if form is None:
        return _refuse(request, case, refused)
    if not form.is_valid():
        return _render_case(request, case, bound={name: form}, status=400)
    try:
        result = perform(case, form.cleaned_data)
    except StaleCase as error:
        return _stale(request, error.case, name, data or request.POST)
    except PermissionDenied:
        return _refuse(request, case, refused)
    except ValidationError as error:
        add_action_errors(form, error, aliases)
        return _render_case(request, case, bound={name: form}, status=400)
    version = getattr(result, "version", None)
    if version == form.cleaned_data["version"]:
        messages.info(request, _("Nothing changed."))
    else:
        messages.success(request, done)
    if not _visible_cases(request).filter(pk=case.pk).exists():
        # Sent to a department this user cannot see: the case page would now be a 404.
        messages.info(request, _("Case %(number)s is no longer in your queue.") % {"number": case.number})
        return redirect("staff-queue")
    return redirect("staff-case", case.number)


def _refuse(request, case, message):
    messages.error(request, message)
    return _render_case(request, case, status=403)


def _stale(request, fresh, name, data):
    """Someone changed the case meanwhile: show their change, keep what this user typed."""
    messages.warning(
        request,
        _(
            "Case %(number)s was changed by someone else while you were working on it. "
            "Check the changes below, then send your form again."
        )
        % {"number": fresh.number},
    )
    data = data.copy()
    data[f"{name}-version"] = str(fresh.version)
    form = _make_form(name, request.user, fresh, data=data)
    return _render_case(request, fresh, bound={name: form} if form else None, status=409)


@require_POST
@staff_required
def reply(request, number):
    def perform(case, data):
        return actions.reply(case, request.user, data["message"], expected_version=data["version"])

    refused = _("You may not reply on this case.")
    return _act(request, number, "reply", perform, _("Reply sent to the resident."), refused)


@require_POST
@staff_required
def add_note(request, number):
    def perform(case, data):
        return actions.add_note(case, request.user, data["message"], expected_version=data["version"])

    refused = _("You may not add notes to this case.")
    return _act(request, number, "note", perform, _("Internal note added."), refused)


@require_POST
@staff_required
def assign_case(request, number):
    def perform(case, data):
        # The form leaves out the parts this user may not change; an empty department means "stays".
        return actions.assign(
            case,
            request.user,
            department=data.get("department") or actions.UNCHANGED,
            assignee=data.get("assignee", actions.UNCHANGED),
            expected_version=data["version"],
        )

    refused = _(
        "You may not make this assignment. Only supervisors may take a case from someone else, "
        "and only supervisors and 311 agents may send it to another department."
    )
    return _act(request, number, "assign", perform, _("Assignment saved."), refused)


@require_POST
@staff_required
def change_status(request, number):
    def perform(case, data):
        return actions.change_status(
            case,
            request.user,
            data["status"],
            reason=data["reason"],
            message=data["message"],
            expected_version=data["version"],
        )

    refused = _("You may not change the status of this case.")
    return _act(request, number, "status", perform, _("Status changed."), refused)


@require_POST
@staff_required
def change_priority(request, number):
    def perform(case, data):
        return actions.change_priority(case, request.user, data["priority"], expected_version=data["version"])

    refused = _("You may not change the priority of this case.")
    return _act(request, number, "priority", perform, _("Priority changed."), refused)


@require_POST
@staff_required
def recategorise(request, number):
    def perform(case, data):
        return actions.recategorise(case, request.user, data["service"], expected_version=data["version"])

    refused = _("You may not change the service of this case.")
    return _act(request, number, "service", perform, _("Service changed."), refused)


@require_POST
@staff_required
def merge(request, number):
    def perform(case, data):
        target = _visible_cases(request).filter(number=data["target"].strip()).first()
        if target is None:
            raise ValidationError({"target": _("There is no case %(number)s.") % {"number": data["target"]}})
        return actions.merge(case, request.user, target, expected_version=data["version"])

    data = request.POST.copy()
    if data.get("merge-pick"):
        data["merge-target"] = data["merge-pick"]  # a button from the search results
    refused = _("You may not merge this case.")
    done = _("Case closed as a duplicate.")
    return _act(request, number, "merge", perform, done, refused, data=data)


@require_POST
@staff_required
def attach_photo(request, number):
    def perform(case, data):
        actions.attach_file(
            case, request.user, data["file"], public=data["public"], expected_version=data["version"]
        )
        return None

    refused = _("You may not add photos to this case.")
    return _act(request, number, "attach", perform, _("Photo added."), refused, aliases={"photos": "file"})


@require_POST
@staff_required
def show_contact(request, number):
    """Reveal the reporter's contact details, recording that this person looked."""
    case = _get_case_for_staff(request, number)
    try:
        actions.record_contact_view(case, request.user)
    except PermissionDenied:
        return _refuse(request, case, _("Your role may not see residents' contact details."))
    context = _case_context(request, case, contact=True)
    return render_page(request, TEMPLATE, context, partial="contact")


# ---------------------------------------------------------------- htmx helpers (each also works as a page)


@require_GET
@staff_required
def find_merge_target(request, number):
    """Cases matching the merge box's text, each with a button that merges into it."""
    case = _get_case_for_staff(request, number)
    text = request.GET.get("merge-target", "").strip()
    results = []
    if text:
        candidates = search_cases(_visible_cases(request), text).exclude(pk=case.pk)
        candidates = candidates.exclude(status=Status.DUPLICATE).select_related("service")
        results = list(candidates.order_by("-created_at")[:MERGE_RESULTS])
    context = {"results": results, "searched": text}
    if is_htmx(request):
        return render_page(request, TEMPLATE, {"case": case, **context}, partial="merge-results")
    return _render_case(request, case, extra=context)


@require_GET
@staff_required
def list_people(request):
    """The people of one department, as <option>s for the assignment form."""
    departments = Department.objects.filter(active=True, code=request.GET.get("assign-department", ""))
    context = {"people": grouped_people(departments)}
    return render_page(request, "staff/people_options.html", context)
