"""Write notifications into the outbox inside the caller's transaction."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .models import OutboxMessage

# kind -> template stem under templates/notify/email/
CASE_EMAILS = {"acknowledgement", "resolved", "reply"}
STAFF_EMAILS = {"escalation"}
# People who said "me too" hear when the case is resolved. Not replies: what staff write to the
# reporter can name people, and free text is never shown to the public (see open311.serialize).
FOLLOWER_EMAILS = {"resolved"}


def queue_case_email(case, kind, **context):
    """Queue e-mail `kind` about `case` to its reporter (and, for updates, its confirmed followers),
    each in their language.

    Nobody without an e-mail address is written to. A follower's copy names nobody, carries no
    message, and links to the public case page, never to the reporter's private tracking link; it
    ends with a link to stop.
    Must run inside the transaction that made the change, so the messages exist exactly when the
    change does.
    """
    assert kind in CASE_EMAILS, kind
    messages = []
    if case.reporter_email:
        reporter = {"case_url": case.tracking_url, **context}
        messages.append(_queue(case, kind, case.reporter_email, case.language, reporter))
    if kind in FOLLOWER_EMAILS:
        followers = case.followers.filter(confirmed=True).exclude(email="").exclude(email=case.reporter_email)
        for follower in followers:
            follower.case = case  # the caller's case, as locked and changed, not a fresh copy
            messages.append(queue_follower_email(follower, kind, **context))
    return messages


def queue_follower_email(follower, kind, **context):
    """Queue e-mail `kind` about the followed case to one follower: an update, or the confirmation."""
    assert kind in FOLLOWER_EMAILS | {"follow_confirm"}, kind
    token = follower.token
    links = {
        "follower": True,
        "case_url": settings.SITE_URL + reverse("portal-case-public", args=[follower.case.number]),
        "confirm_url": settings.SITE_URL + reverse("portal-follow-confirm", args=[token]),
        "stop_url": settings.SITE_URL + reverse("portal-follow-stop", args=[token]),
        "confirm_days": follower.CONFIRM_DAYS,
    }
    return _queue(follower.case, kind, follower.email, follower.language, {**links, **context})


def queue_staff_email(case, kind, recipients, **context):
    """Queue e-mail `kind` about `case` to city staff (users or plain addresses), each in their language."""
    assert kind in STAFF_EMAILS, kind
    for recipient in recipients:
        address = getattr(recipient, "email", recipient)
        language = getattr(recipient, "preferred_language", settings.LANGUAGE_CODE)
        _queue(case, kind, address, language, {"recipient": recipient, **context})


def _queue(case, kind, address, language, context):
    with translation.override(language or "en"):
        context = {"case": case, "city_name": settings.CITY_NAME, "site_url": settings.SITE_URL, **context}
        subject = " ".join(render_to_string(f"notify/email/{kind}_subject.txt", context).split())
        body = render_to_string(f"notify/email/{kind}.txt", context)
    message = OutboxMessage.objects.create(
        kind=kind, case=case, recipient=address, language=language, subject=subject, body=body
    )
    # robust: the change is already committed; if queueing fails, `deliver_outbox` sends it later.
    transaction.on_commit(lambda: enqueue(message.pk), robust=True)
    return message


def enqueue(message_id):
    from .tasks import deliver_message

    deliver_message.enqueue(message_id)
