"""Reads and resolution of the resident directory: normalising contact values, finding (or creating)
the resident behind them, a resident's cases, and the staff search.

`submit_case` never calls into here (it is benchmarked: issue 9). Residents appear when someone
asks for one: `resident_for` from the staff pages and agent intake, and the `build_directory`
command for history and for contact points that arrived since it last ran (decision 47).
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicdesk.cases import cleaning
from civicdesk.cases.models import Case

from .models import PHONE_KINDS, ContactKind, ContactPoint, Resident, ResidentEvent, ResidentEventKind

SEARCH_RESULTS = 20


def normalise(kind, value):
    """The stored spelling of a contact value: e-mails lowercased and stripped, phone numbers in
    E.164 (as typed when they do not parse), handles stripped and lowercased without a leading @."""
    text = (value or "").strip()
    if kind == ContactKind.EMAIL:
        return text.lower()
    if kind in PHONE_KINDS:
        return cleaning.phone(text)
    return text.lstrip("@").lower()


def _wanted_points(email, phone, account):
    """The contact points to look for. Of an account, only its verified e-mail address counts: a
    phone typed on a profile proves nothing, and must not reach somebody else's record."""
    points = []
    if account is not None and not email:
        email = next(iter(verified_emails(account)), None)
    if email and (value := normalise(ContactKind.EMAIL, email)):
        points.append((ContactKind.EMAIL, value))
    if phone and (value := normalise(ContactKind.PHONE, phone)):
        points.append((ContactKind.PHONE, value))
    return points


def _points_filter(points):
    match = Q(pk__in=[])
    for kind, value in points:
        match |= Q(kind=kind, value=value)
    return match


def find(*, email=None, phone=None, account=None):
    """The (unmerged) resident holding the account or any of these contact points, or None.
    When several do, the account's holder wins, then the oldest: staff can merge the others."""
    if account is not None and (resident := Resident.objects.filter(account=account).first()):
        return resident
    points = _wanted_points(email, phone, account)
    if not points:
        return None
    holder = ContactPoint.objects.filter(_points_filter(points)).order_by("resident_id")
    resident_id = holder.values_list("resident_id", flat=True).first()
    return Resident.objects.filter(pk=resident_id).first() if resident_id else None


def resident_for(*, email=None, phone=None, account=None, name="", language="", source=""):
    """The resident behind these contact points, created when nobody holds any of them. Contact
    points nobody holds yet are added to that resident; one held by another resident stays there
    (two records of one person are for staff to merge, not for a lookup to guess).

    Safe against a concurrent call for the same person: the unique (kind, value) and account
    constraints refuse the second insert, and the lookup then finds the first one's resident. Safe
    against a concurrent merge: see `_locked_current`.
    """
    points = _wanted_points(email, phone, account)
    if not points and account is None:
        raise ValidationError(_("Give an e-mail address, a phone number or an account to find a resident."))
    for attempt in (1, 2):
        found = find(email=email, phone=phone, account=account)
        try:
            with transaction.atomic():
                return _complete(found, points, account, name, language, source)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _complete(resident, points, account, name, language, source):
    if resident is None:
        resident = Resident.objects.create(
            display_name=(name or (account.full_name if account else ""))[:150],
            language=(language or (account.preferred_language if account else ""))[:8],
            account=account,
        )
        ResidentEvent.objects.create(
            resident=resident, kind=ResidentEventKind.CREATED, changes={"source": source}
        )
        new = points  # all of them: one already taken means another request won, and we retry
    else:
        resident = _locked_current(resident)
        if account is not None and resident.account_id is None and _proves(account, resident):
            resident.account = account
            resident.updated_at = timezone.now()
            resident.save(update_fields=["account", "updated_at"])
        taken = set(ContactPoint.objects.filter(_points_filter(points)).values_list("kind", "value"))
        new = [(kind, value) for kind, value in points if (kind, value) not in taken]
    ContactPoint.objects.bulk_create(
        ContactPoint(resident=resident, kind=kind, value=value, source=source[:64]) for kind, value in new
    )
    return resident


def _locked_current(resident):
    """The resident found, locked until the transaction ends, or the one it was merged into since
    the lookup (the merge moved its contact points there): what we add follows the merge. A merge
    starting now waits for our lock (it locks both residents), then moves what we added too."""
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    while resident.merged_into_id:
        resident = Resident.objects.select_for_update().get(pk=resident.merged_into_id)
    return resident


def opted_out(address):
    """Did the resident holding this e-mail address or phone number ask not to be contacted (their
    record, or the account linked to it)? Read by the outbox when it sends (notify.outbox.may_contact)."""
    kind = ContactKind.EMAIL if "@" in address else ContactKind.PHONE
    point = ContactPoint.objects.filter(kind=kind, value=normalise(kind, address))
    resident = Resident.objects.filter(pk__in=point.values("resident_id")).select_related("account").first()
    return resident is not None and not resident.may_be_contacted


def verified_emails(account):
    """The account's addresses its owner proved, lowercased; the primary one first."""
    from allauth.account.models import EmailAddress

    rows = EmailAddress.objects.filter(user=account, verified=True).order_by("-primary", "pk")
    return [address.lower() for address in rows.values_list("email", flat=True)]


def _proves(account, resident):
    """May `account` be linked to `resident`? Only when it holds no record yet and the resident
    holds one of the account's verified addresses: never through an unverified one or a phone."""
    if Resident.objects.filter(account=account).exists():
        return False
    held = resident.contact_points.filter(kind=ContactKind.EMAIL, value__in=verified_emails(account))
    return held.exists()


def cases_of(resident):
    """Every case the resident reported, on any channel: one query, OR over indexed columns
    (reporter account, lowercased reporter e-mail, E.164 reporter phone)."""
    points = list(resident.contact_points.values_list("kind", "value"))
    emails = [value for kind, value in points if kind == ContactKind.EMAIL]
    phones = [value for kind, value in points if kind in PHONE_KINDS]
    match = Q(pk__in=[])
    if resident.account_id:
        match |= Q(reporter_id=resident.account_id)
    if emails:
        match |= Q(reporter_email__in=emails)
    if phones:
        match |= Q(reporter_phone__in=phones)
    return Case.objects.filter(match)


def search(text):
    """Unmerged residents by any contact point (exact after normalising, or a prefix) or by name."""
    text = (text or "").strip()
    if not text:
        return Resident.objects.none()
    exact = [(ContactKind.EMAIL, normalise(ContactKind.EMAIL, text))]
    if any(c.isdigit() for c in text):
        exact += [(kind, normalise(kind, text)) for kind in PHONE_KINDS]
    exact += [(kind, normalise(kind, text)) for kind in (ContactKind.TELEGRAM, ContactKind.SOCIAL)]
    holders = ContactPoint.objects.filter(_points_filter(exact) | Q(value__startswith=text.lower())).values(
        "resident_id"
    )
    match = Q(pk__in=holders) | Q(display_name__icontains=text)
    residents = Resident.objects.filter(match, merged_into__isnull=True)
    return residents.annotate(contacts=Count("contact_points")).order_by("display_name", "pk")
