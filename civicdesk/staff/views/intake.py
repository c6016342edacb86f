"""Agent intake: a 311 agent creates a case for a caller, seeing the caller's earlier cases."""

import re

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicdesk.cases import actions, cleaning, permissions
from civicdesk.cases.forms import add_action_errors
from civicdesk.cases.models import Service
from civicdesk.residents import directory

from ..forms import CallerLookupForm, IntakeForm
from .base import _visible_cases, render_page, staff_required

TEMPLATE = "staff/intake.html"
EARLIER_CASES = 10
MIN_PHONE_DIGITS = 7


def _require_intake(user):
    if not permissions.can(user, "create_for_caller"):
        raise PermissionDenied


def _service(code):
    if not code or "\x00" in code:  # PostgreSQL cannot look up NUL; the form then says "choose one"
        return None
    return Service.objects.filter(code=code, active=True).first()


def _refill(form, data):
    """An unbound copy of `form` showing `data`: for "look up" and "show questions", no errors yet."""
    initial = {}
    for name, field in form.fields.items():
        key = form.add_prefix(name)
        if key in data:
            many = isinstance(field, forms.MultipleChoiceField)
            initial[name] = data.getlist(key) if many else data.get(key)
    return IntakeForm(initial=initial, service=form.service, language=get_language())


@require_http_methods(["GET", "POST"])
@staff_required
def take_call(request):
    _require_intake(request.user)
    data = request.POST if request.method == "POST" else None
    service = _service((data or request.GET).get("service"))
    form = IntakeForm(data, service=service, language=get_language(), initial={"language": get_language()})
    if data is None or "_lookup" in data or "_questions" in data:
        shown = form if data is None else _refill(form, data)
        return _render(request, shown, data or {})
    if not form.is_valid():
        return _render(request, form, data, status=400)
    try:
        case = _submit(request, form)
    except ValidationError as error:
        add_action_errors(form, error)
        return _render(request, form, data, status=400)
    messages.success(request, _("Case %(number)s created for the caller.") % {"number": case.number})
    if _visible_cases(request).filter(pk=case.pk).exists():
        return redirect("staff-case", case.number)
    return redirect("staff-intake")  # routed to a department this agent cannot see


def _submit(request, form):
    data = form.cleaned_data
    return actions.submit_case(
        service=data["service"],
        description=data["description"],
        answers=form.answers(),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        address=data.get("address", ""),
        channel=data["channel"],
        reporter_name=data.get("reporter_name", ""),
        reporter_email=data.get("reporter_email", ""),
        reporter_phone=data.get("reporter_phone", ""),
        language=data["language"],
        actor=request.user,
    )


def _render(request, form, data, status=200):
    phone, email = data.get("reporter_phone"), data.get("reporter_email")
    earlier = earlier_cases(request, phone, email)
    context = {
        "form": form,
        "earlier": earlier,
        "resident": _resident(request, phone, email),
        "section": "intake",
    }
    return render_page(request, TEMPLATE, context, status=status)


def _resident(request, phone, email):
    """The directory's record of the caller (found, never created here), for roles that may open it."""
    if not permissions.can(request.user, "view_residents"):
        return None
    phone = phone if len(re.sub(r"\D", "", phone or "")) >= MIN_PHONE_DIGITS else None
    email = email if "@" in (email or "") else None
    return directory.find(email=email, phone=phone) if phone or email else None


@require_GET
@staff_required
def show_questions(request):
    """The chosen service's questions (htmx swaps them in when the service changes)."""
    _require_intake(request.user)
    form = IntakeForm(service=_service(request.GET.get("service")), language=get_language())
    return render_page(request, TEMPLATE, {"form": form, "earlier": None}, partial="questions")


@require_POST
@staff_required
def look_up_caller(request):
    """Earlier cases by the phone number or e-mail being typed (POST: they are personal data)."""
    _require_intake(request.user)
    lookup = CallerLookupForm(request.POST)
    lookup.is_valid()
    data = lookup.cleaned_data
    phone, email = data.get("reporter_phone"), data.get("reporter_email")
    earlier = earlier_cases(request, phone, email)
    form = IntakeForm(service=None, language=get_language())
    context = {"form": form, "earlier": earlier, "resident": _resident(request, phone, email)}
    return render_page(request, TEMPLATE, context, partial="earlier-cases")


# ---------------------------------------------------------------- earlier cases


def phone_variants(raw):
    """Ways the same phone number may have been stored: E.164 (every case since the resident
    directory), and the common spellings of cases stored as typed before it (until
    `civicdesk build_directory` has rewritten them)."""
    raw = (raw or "").strip()
    digits = re.sub(r"\D", "", raw)
    if len(digits) < MIN_PHONE_DIGITS:
        return []
    variants = {raw, digits, f"+{digits}", cleaning.phone(raw)}
    national = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    if len(national) == 10:
        a, b, c = national[:3], national[3:6], national[6:]
        variants |= {
            national,
            f"1{national}",
            f"+1{national}",
            f"{a}-{b}-{c}",
            f"({a}) {b}-{c}",
            f"{a}.{b}.{c}",
            f"{a} {b} {c}",
            f"+1 {a} {b} {c}",
            f"+1 {a}-{b}-{c}",
            f"+1 ({a}) {b}-{c}",
            f"1-{a}-{b}-{c}",
        }
    return sorted(variants)


def earlier_cases(request, phone, email):
    """The caller's earlier cases this user may see, newest first; None when nothing was typed."""
    phones = phone_variants(phone)
    email = (email or "").strip().lower()
    if not phones and "@" not in email:
        return None
    match = Q(reporter_phone__in=phones) if phones else Q(pk__in=[])
    if "@" in email:
        match |= Q(reporter_email=email)
    cases = _visible_cases(request).filter(match).select_related("service")
    return list(cases.order_by("-created_at")[:EARLIER_CASES])
