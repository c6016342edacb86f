"""SMS consent per number: the carrier keywords STOP and START (decision 48). One truth, on the
phone's contact point; the outbox reads it before every SMS (registered in apps.py)."""

from django.db import transaction
from django.utils import timezone

from .directory import normalise, resident_for
from .models import ContactKind, ContactPoint


def _point(phone):
    number = normalise(ContactKind.PHONE, phone)
    resident_for(phone=number, source="sms")
    return ContactPoint.objects.get(kind=ContactKind.PHONE, value=number)


def stop_sms(phone):
    """The number said STOP (or a synonym): nothing more is sent to it by SMS until it says START."""
    with transaction.atomic():
        point = _point(phone)
        if point.sms_opted_out_at is None:
            point.sms_opted_out_at = timezone.now()
            point.save(update_fields=["sms_opted_out_at"])
    return point


def start_sms(phone):
    with transaction.atomic():
        point = _point(phone)
        if point.sms_opted_out_at is not None:
            point.sms_opted_out_at = None
            point.save(update_fields=["sms_opted_out_at"])
    return point


def sms_allowed(phone):
    number = normalise(ContactKind.PHONE, phone)
    return not ContactPoint.objects.filter(
        kind=ContactKind.PHONE, value=number, sms_opted_out_at__isnull=False
    ).exists()
