"""Write notifications into the outbox inside the caller's transaction."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from .models import OutboxMessage

# kind -> template stem under templates/notify/email/
CASE_EMAILS = {"acknowledgement", "resolved", "reply"}


def queue_case_email(case, kind, **context):
    """Queue e-mail `kind` about `case` to its reporter, in the reporter's language.

    Does nothing when the reporter left no e-mail address. Must run inside the transaction that
    made the change, so the message exists exactly when the change does.
    """
    assert kind in CASE_EMAILS, kind
    if not case.reporter_email:
        return None
    with translation.override(case.language or "en"):
        context = {"case": case, "city_name": settings.CITY_NAME, **context}
        subject = " ".join(render_to_string(f"notify/email/{kind}_subject.txt", context).split())
        body = render_to_string(f"notify/email/{kind}.txt", context)
    message = OutboxMessage.objects.create(
        kind=kind,
        case=case,
        recipient=case.reporter_email,
        language=case.language,
        subject=subject,
        body=body,
    )
    transaction.on_commit(lambda: enqueue(message.pk))
    return message


def enqueue(message_id):
    from .tasks import deliver_message

    deliver_message.enqueue(message_id)
