"""Write notifications into the outbox inside the caller's transaction; the residents' consent is
checked when each one is sent (`may_send`)."""

from functools import partial

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from civicdesk.lib import tasks

from .models import OutboxMessage

# kind -> template stem under templates/notify/email/
CASE_EMAILS = {"acknowledgement", "resolved", "reply"}
STAFF_EMAILS = {"escalation"}
# People who said "me too" hear when the case is resolved. Not replies: what staff write to the
# reporter can name people, and followers read nobody's words (the disclosure policy, decision 14).
FOLLOWER_EMAILS = {"resolved"}
# Sign-up confirmation, address verification, password reset, address change: rendered by allauth.
ACCOUNT_KIND = "account"
# To administrators when a message runs out of fast retries; never about another alert.
ALERT_KIND = "outbox_alert"

# ---------------------------------------------------------------- consent

# What a resident asked for themselves, sent whatever their contact preference says.
REQUESTED_KINDS = {ACCOUNT_KIND, "follow_confirm"}
# Channels the outbox can deliver to a person today. A preference for one not built yet (SMS)
# falls back to e-mail, and the profile page says so.
PERSONAL_CHANNELS = {"email"}
DO_NOT_CONTACT = "none"


def contact_channel(user):
    """The channel to reach a person with an account on, or None when they asked not to be contacted."""
    preferred = getattr(user, "preferred_channel", "email")
    if preferred == DO_NOT_CONTACT:
        return None
    return preferred if preferred in PERSONAL_CHANNELS else "email"


# SMS and messaging channels (decisions 48, 49): channel -> function(message) -> bool, may anything
# at all go to this number or handle? A carrier opt-out (SMS STOP) is per number and stops every
# message, even one the resident asked for; the resident directory answers for the others. The app
# that owns the truth registers it in AppConfig.ready(), so the outbox never imports it.
CHANNEL_CONSENT = {}


def register_channel_consent(channel, check):
    CHANNEL_CONSENT[channel] = check


def may_send(message):
    """Consent at the moment of sending, the only place it is checked: may the case e-mail `message`
    still go to its recipient, the case's reporter or one of its followers? What they chose then
    counts, not what they had chosen when the change was made. Messages to nobody in particular
    (staff, webhooks, administrators) always go. A message on a messaging channel goes only when
    both the case's reporter and the holder of that number or handle may be contacted."""
    case = message.case
    if message.channel in CHANNEL_CONSENT and not CHANNEL_CONSENT[message.channel](message):
        return False  # the number or handle said STOP, or its resident asked not to be contacted
    if message.kind not in CASE_EMAILS or case is None:
        return True
    if message.channel != "email":  # the reporter's number or handle: their wish, by account or record
        return may_contact(case, message.kind, address=message.recipient)
    if message.recipient == case.reporter_email:
        return may_contact(case, message.kind)
    # Someone who stopped following since is no longer a recipient.
    follower = case.followers.filter(email=message.recipient, confirmed=True).select_related("user").first()
    return follower is not None and may_contact(follower, message.kind)


def may_contact(whom, kind, address=None):
    """May we send `kind` to this case's reporter, this follower or this user? The one consent rule.

    A person's contact preference lives on their account. A case or follower not linked to one (an
    agent's intake, Open311, the API, the portal without sign-in) still reaches that person when the
    address is one they verified on their account, so "Do not contact me" holds there too. Only an
    address no account has verified goes by what its typist asked for: to hear back. What a person
    asked for themselves (a password reset, a follow confirmation) always goes.
    """
    if kind in REQUESTED_KINDS:
        return True
    account = _account(whom)
    if account is not None and contact_channel(account) is None:
        return False
    address = address or getattr(whom, "reporter_email", None) or getattr(whom, "email", "")
    return not (address and any(opted_out(address) for opted_out in OPT_OUTS))


# Functions(e-mail address or E.164 phone) -> True when its owner asked not to be contacted, from
# records other than the account (the resident directory registers one in its AppConfig.ready()).
OPT_OUTS = []


def register_opt_out(opted_out):
    if opted_out not in OPT_OUTS:
        OPT_OUTS.append(opted_out)


def _account(whom):
    if whom is None or isinstance(whom, get_user_model()):
        return whom
    if hasattr(whom, "reporter_email"):  # a case: its reporter
        linked, address = whom.reporter, whom.reporter_email
    else:  # a follower
        linked, address = whom.user, whom.email
    if linked is not None or not address:
        return linked
    # One query. Only a verified address: anyone can add an unverified one to their account, and
    # that must not silence somebody else.
    owner = EmailAddress.objects.filter(email__iexact=address, verified=True).select_related("user").first()
    return owner.user if owner else None


# ---------------------------------------------------------------- rendered by the sender

# kind -> function(message) returning the template context of a case e-mail rendered when it is sent,
# not in the request that caused it. The app that owns the subject fills it in its AppConfig.ready()
# (cases does for the acknowledgement), so the outbox never imports the apps built on it. Only what
# to send is stored at first (case, kind, language, recipient); the subject and body are rendered and
# kept by the first delivery attempt.
RENDERED_WHEN_SENT = {}


def render_when_sent(kind, context):
    RENDERED_WHEN_SENT[kind] = context


def waits_for_rendering(message):
    return not message.body and message.kind in RENDERED_WHEN_SENT


def render_now(message):
    """Render a message queued unrendered, in its language, and keep the result on its row.
    Returns False when its subject is gone (the case was deleted): nothing to send."""
    context = RENDERED_WHEN_SENT[message.kind](message)
    if context is None:
        return False
    message.subject, message.body = _render(message.kind, message.language, context)
    OutboxMessage.objects.filter(pk=message.pk).update(subject=message.subject, body=message.body)
    return True


# ---------------------------------------------------------------- queueing


def queue_case_email(case, kind, **context):
    """Queue e-mail `kind` about `case` to its reporter (and, for updates, its confirmed followers),
    each in their language.

    Nobody without an e-mail address is written to. Whether each message may go is decided when it
    is sent (`may_send`): a resident who asked not to be contacted gets nothing. A follower's copy
    names nobody, carries no message, and links to the public case page, never to the reporter's
    private tracking link; it ends with a link to stop.
    Must run inside the transaction that made the change, so the messages exist exactly when the
    change does.
    """
    assert kind in CASE_EMAILS, kind
    messages = []
    if case.reporter_email:
        if kind in RENDERED_WHEN_SENT and not context:
            # What to send, not the text: the worker renders it (no templates in the request).
            messages.append(_store(kind, case, case.reporter_email, case.language, "", ""))
        else:
            reporter = {"case_url": case.tracking_url, **context}
            messages.append(_queue(case, kind, case.reporter_email, case.language, reporter))
    for route in CASE_ROUTES:  # the reporter's own channel: SMS, WhatsApp, Telegram (decisions 48, 49)
        messages.extend(route(case, kind, context))
    if kind in FOLLOWER_EMAILS:
        # The disclosure policy's follower view (cases.disclosure.Audience.FOLLOWER): nobody's words.
        for_followers = {name: value for name, value in context.items() if name != "message"}
        followers = case.followers.filter(confirmed=True).exclude(email="").exclude(email=case.reporter_email)
        for follower in followers.select_related("user"):
            follower.case = case  # the caller's case, as locked and changed, not a fresh copy
            if message := queue_follower_email(follower, kind, **for_followers):
                messages.append(message)
    return messages


# Functions(case, kind, context) -> messages queued on another channel for the reporter, for a case
# that came in on it (a staff reply back by SMS, WhatsApp or Telegram). Registered in the channel
# app's AppConfig.ready(), so the outbox imports none of them; called in the caller's transaction.
CASE_ROUTES = []


def register_case_route(route):
    if route not in CASE_ROUTES:
        CASE_ROUTES.append(route)


def queue_text(channel, case, address, language, body, kind):
    """Queue a short text message (an SMS) as written: texts are rendered by the caller."""
    message = OutboxMessage.objects.create(
        channel=channel, kind=kind, case=case, recipient=address, language=language or "en", body=body
    )
    start_delivery(message.pk)
    return message


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
    """Queue e-mail `kind` about `case` to city staff (users or plain addresses), each in their language.

    Work mail, not a resident's: the contact preference does not apply.
    """
    assert kind in STAFF_EMAILS, kind
    for recipient in recipients:
        address = getattr(recipient, "email", recipient)
        language = getattr(recipient, "preferred_language", settings.LANGUAGE_CODE)
        _queue(case, kind, address, language, {"recipient": recipient, **context})


def queue_account_email(address, subject, body, language):
    """Queue an account e-mail allauth rendered (see accounts.adapter): SMTP being down never fails
    the sign-up or the reset that asked for it, and the e-mail goes when SMTP is back."""
    return _store(ACCOUNT_KIND, None, address, language, subject, body)


def queue_failure_alert(failed):
    """Tell administrators, each in their language, that `failed` ran out of fast retries."""
    assert failed.kind != ALERT_KIND, "never alert about an alert: that could loop"
    accounts = get_user_model().objects.filter(is_superuser=True, is_active=True).exclude(email="")
    recipients = {user.email.lower(): user.preferred_language for user in accounts}
    for address in settings.ADMINS:
        recipients.setdefault(address.lower(), settings.LANGUAGE_CODE)
    # The list filtered to this message, where the Cancel action is (its change page is read-only).
    admin_url = f"{settings.SITE_URL}{reverse('admin:notify_outboxmessage_changelist')}?id__exact={failed.pk}"
    hours = settings.OUTBOX_SLOW_RETRY_SECONDS / 3600
    context = {"failed": failed, "admin_url": admin_url, "retry_hours": hours}
    return [_queue(failed.case, ALERT_KIND, to, language, context) for to, language in recipients.items()]


def _queue(case, kind, address, language, context):
    subject, body = _render(kind, language, {"case": case, **context})
    return _store(kind, case, address, language, subject, body)


def _render(kind, language, context):
    with translation.override(language or "en"):
        context = {"city_name": settings.CITY_NAME, "site_url": settings.SITE_URL, **context}
        subject = " ".join(render_to_string(f"notify/email/{kind}_subject.txt", context).split())
        body = render_to_string(f"notify/email/{kind}.txt", context)
    return subject, body


def _store(kind, case, address, language, subject, body):
    message = OutboxMessage.objects.create(
        kind=kind, case=case, recipient=address, language=language or "en", subject=subject, body=body
    )
    start_delivery(message.pk)
    return message


def start_delivery(message_id):
    """Queue the delivery of a message written in the current transaction: with it when the task
    queue is in this database, else once it is committed. Should queueing fail after the commit,
    `deliver_outbox` sends the message later."""
    tasks.enqueue_with_transaction(partial(enqueue, message_id))


def enqueue(message_id):
    from .tasks import deliver_message

    deliver_message.enqueue(message_id)
