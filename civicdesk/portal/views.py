"""The resident portal: find a service, report, track. No login needed; an account is optional."""

from itertools import groupby

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from civicdesk.cases import actions, catalogue, disclosure, permissions
from civicdesk.cases.disclosure import Audience
from civicdesk.cases.forms import add_action_errors
from civicdesk.cases.models import Attachment, Case, CaseFollower, Service
from civicdesk.lib.geo import nearby_cells
from civicdesk.lib.ratelimit import client_ip, hit

from .forms import CommentForm, ProfileForm, ReportForm, TrackForm


def home(request):
    query = request.GET.get("q", "").strip()[:100]
    services = list(Service.objects.filter(active=True).select_related("default_department"))
    if query:
        services = [s for s in services if _matches(s, query)]
    services.sort(key=lambda s: (s.localized("group"), s.localized("name")))
    groups = [(group, list(items)) for group, items in groupby(services, key=lambda s: s.localized("group"))]
    return render(request, "portal/home.html", {"groups": groups, "query": query, "track_form": TrackForm()})


def _matches(service, query):
    haystack = " ".join(
        [
            service.name,
            service.localized("name"),
            service.keywords,
            service.description,
            service.localized("description"),
            service.group,
            service.localized("group"),
        ]
    )
    return all(word in haystack.lower() for word in query.lower().split())


def report(request, code):
    service = catalogue.service(code)  # from memory, questions included (cases.catalogue)
    if service is None:
        raise Http404
    language = translation.get_language()
    form = ReportForm(
        request.POST or None,
        request.FILES or None,
        service=service,
        language=language,
        initial=_contact_initial(request.user),
    )
    nearby, status = [], 200
    if request.method == "POST" and form.is_valid():
        nearby = [] if form.cleaned_data["confirm_new"] else _nearby_open_cases(service, form.cleaned_data)
        if not nearby:
            if wait := _report_wait(request):
                form.add_error(None, _busy_message(request, wait))
                status = 429
            else:
                case = _submit(request, form, service, language)
                if case is not None:
                    return redirect("portal-submitted", token=case.tracking_token)
    return render(
        request,
        "portal/report.html",
        {
            "service": service,
            "form": form,
            "nearby": nearby,
            # A re-shown form (errors, or "is it one of these?") cannot give the photos back.
            "photos_dropped": bool(request.FILES.getlist("photos")),
            "map_tile_url": settings.MAP_TILE_URL,
            "map_center": settings.MAP_CENTER,
        },
        status=status,
    )


def _report_wait(request):
    """Seconds before another report is taken: per account when signed in, else per address."""
    if request.user.is_authenticated:
        return hit("report-user", request.user.pk, settings.PORTAL_RESIDENT_SUBMIT_RATE)
    return hit("report", client_ip(request), settings.PORTAL_SUBMIT_RATE)


def _busy_message(request, wait):
    minutes = -(-wait // 60)  # whole minutes, rounded up
    if request.user.is_authenticated:
        message = ngettext(
            "You have sent many reports recently. Please try again in %(minutes)d minute, or call 311.",
            "You have sent many reports recently. Please try again in %(minutes)d minutes, or call 311.",
            minutes,
        )
    else:
        message = ngettext(
            "You have sent many reports from this connection. "
            "Please try again in %(minutes)d minute, or call 311.",
            "You have sent many reports from this connection. "
            "Please try again in %(minutes)d minutes, or call 311.",
            minutes,
        )
    return message % {"minutes": minutes}


def _contact_initial(user):
    if not user.is_authenticated:
        return {}
    return {"name": user.full_name, "email": user.email, "phone": user.phone}


def _nearby_open_cases(service, data):
    if data.get("latitude") is None or data.get("longitude") is None:
        return []
    cells = nearby_cells(data["latitude"], data["longitude"])
    nearby = Case.objects.open().filter(service=service, geo_cell__in=cells).order_by("-created_at")[:5]
    return [_disclosed(case, Audience.PUBLIC_PAGE) for case in nearby]


def _submit(request, form, service, language):
    data = form.cleaned_data
    anonymous = data["anonymous"]
    user = request.user if request.user.is_authenticated and not anonymous else None
    try:
        return actions.submit_case(
            service=service,
            description=data["description"],
            answers=form.answers(),
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            address=data["address"],
            reporter=user,
            reporter_name="" if anonymous else data["name"],
            reporter_email="" if anonymous else data["email"],
            reporter_phone="" if anonymous else data["phone"],
            language=language,
            photos=data["photos"],
        )
    except ValidationError as error:
        form.add_action_errors(error)
        return None


@require_POST
def follow(request, number):
    """'Is it one of these?' -> follow the existing case instead of filing a new one."""
    case = get_object_or_404(Case.objects.open(), number=number)
    if hit("follow", client_ip(request), settings.PORTAL_FOLLOW_RATE):
        busy = _("Too many attempts from this connection. Please wait a while and try again.")
        messages.error(request, busy)
        return redirect("portal-case-public", number=case.number)
    user = request.user if request.user.is_authenticated else None
    email = request.POST.get("email", "").strip() or getattr(user, "email", "")
    try:
        actions.follow(case, email=email, user=user, language=translation.get_language())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_safe_next(request) or "portal-home")
    thanks = _("Thank you. You now follow case %(number)s and we counted your report.")
    thanks %= {"number": case.number}
    if case.followers.filter(email=email.lower(), confirmed=False).exists():
        thanks = _(
            "Thank you: we counted your report. To hear when case %(number)s is resolved, open the "
            "link we sent to %(email)s."
        ) % {"number": case.number, "email": email}
    messages.success(request, thanks)
    return redirect("portal-case-public", number=case.number)


def follow_link(request, token, stop):
    """The links in followers' e-mails. GET asks, POST acts: a mail scanner that opens every link
    must neither confirm an address nor stop the e-mails."""
    follower = CaseFollower.from_token(token, max_age=None if stop else CaseFollower.CONFIRM_DAYS * 86400)
    if follower is None or not follower.email:
        return render(request, "portal/follow_link.html", {"invalid": True}, status=404)
    if request.method == "POST":
        if stop:
            actions.stop_following(follower)
            messages.success(request, _("You will get no more e-mails about this case."))
        else:
            actions.confirm_follower(follower)
            messages.success(request, _("Confirmed: we will e-mail you when this case is resolved."))
        return redirect("portal-case-public", number=follower.case.number)
    return render(request, "portal/follow_link.html", {"follower": follower, "stop": stop})


def submitted(request, token):
    case = get_object_or_404(Case.objects.select_related("service"), tracking_token=token)
    return render(request, "portal/submitted.html", {"case": case})


def track_lookup(request):
    """Find a case by number plus the e-mail given with it. A mismatch says nothing about the case."""
    form = TrackForm(request.POST or None)
    if request.method == "POST" and hit("track", client_ip(request), settings.PORTAL_TRACK_RATE):
        form.add_error(None, _("Too many attempts from this connection. Please wait a while and try again."))
    elif request.method == "POST" and form.is_valid():
        case = Case.objects.filter(
            number=form.cleaned_data["number"].strip(),
            reporter_email=form.cleaned_data["email"].strip().lower(),
        ).first()
        if case is not None:
            return redirect("portal-track", token=case.tracking_token)
        form.add_error(
            None,
            _(
                "We found no case with that number and e-mail address. Check both, or use the "
                "link in the e-mail we sent you."
            ),
        )
    return render(request, "portal/track_lookup.html", {"form": form})


def track(request, token):
    case = get_object_or_404(Case.objects.select_related("service", "duplicate_of"), tracking_token=token)
    form = CommentForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and form.is_valid() and (wait := _comment_wait(request, token)):
        form.add_error(None, _comment_busy_message(wait))
        status = 429
    elif request.method == "POST" and form.is_valid():
        try:
            actions.resident_comment(
                case,
                form.cleaned_data["message"],
                photos=form.cleaned_data["photos"],
                reporter=request.user if request.user.is_authenticated else None,
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Thank you. Your comment was added to the case."))
            return redirect("portal-track", token=token)
    context = _case_context(case, Audience.REPORTER, form=form, private=True)
    return render(request, "portal/track.html", context, status=status)


def _comment_wait(request, token):
    """Counted per address and per tracking link, before any photo is decoded: one client cannot
    flood a case, and a leaked link cannot be used from many addresses without limit."""
    rate = settings.PORTAL_COMMENT_RATE
    return max(hit("comment", client_ip(request), rate), hit("comment-link", token, rate))


def _comment_busy_message(wait):
    minutes = -(-wait // 60)  # whole minutes, rounded up
    message = ngettext(
        "Many comments were sent to this case or from this connection. "
        "Please try again in %(minutes)d minute, or call 311.",
        "Many comments were sent to this case or from this connection. "
        "Please try again in %(minutes)d minutes, or call 311.",
        minutes,
    )
    return message % {"minutes": minutes}


def case_public(request, number):
    """A case's public page: its progress, without messages, contact details or the tracking link."""
    case = get_object_or_404(Case.objects.select_related("service"), number=number)
    return render(request, "portal/track.html", _case_context(case, Audience.PUBLIC_PAGE, private=False))


def _safe_next(request):
    target = request.POST.get("next", "")
    allowed = url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure())
    return target if allowed and target.startswith("/") else None  # a path, never a view's name


def _disclosed(case, audience):
    """`case` with the description and place `audience` may read, for the templates."""
    case.shown_description = disclosure.description(case, audience)
    case.shown_address = disclosure.address(case, audience)
    return case


def _case_context(case, audience, **extra):
    events = list(disclosure.events(case, audience))
    for event in events:
        event.shown_message = disclosure.message(event, audience)
    return {
        "case": _disclosed(case, audience),
        "events": events,
        "photos": disclosure.photos(case, audience),
        **extra,
    }


@login_required
def my_cases(request):
    user = request.user
    verified = user.emailaddress_set.filter(verified=True).values_list("email", flat=True)
    cases = (
        Case.objects.filter(Q(reporter=user) | Q(reporter_email__in=[e.lower() for e in verified]))
        .select_related("service")
        .order_by("-created_at")[:200]
    )
    return render(request, "portal/my_cases.html", {"cases": cases})


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile was saved."))
        response = redirect("portal-profile")
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form.cleaned_data["preferred_language"])
        return response
    return render(request, "portal/profile.html", {"form": form})


@require_GET
def photo(request, pk, size):
    """A case photo. Internal photos only for staff who may see the case; the rest like the case page."""
    if size not in ("thumb", "full"):
        raise Http404
    attachment = get_object_or_404(Attachment.objects.select_related("case"), pk=pk)
    if not attachment.public and not permissions.can(request.user, "view", attachment.case):
        raise Http404
    image = attachment.thumbnail if size == "thumb" and attachment.thumbnail else attachment.file
    content_type = "image/jpeg" if image is attachment.thumbnail else attachment.content_type
    response = FileResponse(image.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600" if not attachment.public else "public, max-age=86400"
    response["X-Content-Type-Options"] = "nosniff"
    return response
