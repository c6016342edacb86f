"""Building the directory from cases already filed (history, imports, and every case since the last
run: submit_case does not touch the directory). Idempotent: a second run adds nothing."""

from django.contrib.auth import get_user_model

from civicdesk.cases import cleaning
from civicdesk.cases.models import Case

from .directory import resident_for

BATCH = 1000


def normalise_case_phones(batch=BATCH):
    """Rewrite reporter phones stored before E.164 normalisation (one UPDATE per distinct spelling;
    unparseable ones stay as typed). Returns the number of cases changed."""
    changed = 0
    raw = Case.objects.exclude(reporter_phone="").exclude(reporter_phone__startswith="+")
    spellings = raw.values_list("reporter_phone", flat=True).distinct().order_by("reporter_phone")
    for spelling in spellings.iterator(chunk_size=batch):
        e164 = cleaning.phone(spelling)
        if e164 != spelling:
            changed += Case.objects.filter(reporter_phone=spelling).update(reporter_phone=e164)
    return changed


def build(batch=BATCH):
    """Residents for every reporter account and every distinct reporter e-mail/phone pair.
    Returns how many (account or contact) combinations were resolved."""
    seen = 0
    users = get_user_model().objects.filter(
        pk__in=Case.objects.filter(reporter__isnull=False).values("reporter_id")
    )
    for user in users.order_by("pk").iterator(chunk_size=batch):
        resident_for(account=user, source="build_directory")
        seen += 1
    anonymous = Case.objects.filter(reporter__isnull=True).exclude(reporter_email="", reporter_phone="")
    pairs = anonymous.values_list("reporter_email", "reporter_phone", "reporter_name", "language")
    pairs = pairs.distinct().order_by("reporter_email", "reporter_phone")
    for email, phone, name, language in pairs.iterator(chunk_size=batch):
        resident_for(email=email, phone=phone, name=name, language=language, source="build_directory")
        seen += 1
    return seen
