"""Write notifications into the outbox inside the caller's transaction."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from .models import OutboxMessage

# kind -> template stem under templates/notify/email/
CASE_EMAILS = {"acknowledgement", "resolved", "reply"}
STAFF_EMAILS = {"escalation"}
# People who said "me too" hear about replies and the resolution, not the acknowledgement.
FOLLOWER_EMAILS = {"resolved", "reply"}


def queue_case_email(case, kind, **context):
    """Queue e-mail `kind` about `case` to its reporter (and, for updates, its followers), each in
    their language.

    Nobody without an e-mail address is written to. Must run inside the transaction that made the
    change, so the messages exist exactly when the change does.
    """
    assert kind in CASE_EMAILS, kind
    recipients = {case.reporter_email: case.language} if case.reporter_email else {}
    if kind in FOLLOWER_EMAILS:
        for email, language in case.followers.exclude(email="").values_list("email", "language"):
            recipients.setdefault(email, language)
    return [_queue(case, kind, email, language, context) for email, language in recipients.items()]


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
