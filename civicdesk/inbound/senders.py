"""Outbox senders for WhatsApp (Cloud API) and Telegram (Bot API), registered in AppConfig.ready()
(decision 49). Each posts the provider's JSON wire format to a configurable base URL and keeps the
provider's message id on the outbox row, where WhatsApp's status callbacks find it."""

import json
import urllib.error
import urllib.request

from civicdesk.notify.delivery import Undeliverable
from civicdesk.notify.models import OutboxMessage

from . import config
from .messaging import REENGAGEMENT_ERROR, WHATSAPP, whatsapp_window_open
from .models import Conversation

TIMEOUT = 10  # seconds


def post_json(url, payload, headers=None):
    """POST JSON; returns the decoded answer. A 4xx other than 429 is Undeliverable (no retry
    can fix it); anything else that fails raises for the outbox to retry."""
    data = json.dumps(payload).encode()
    request = urllib.request.Request(  # noqa: S310 - the operator's configured API base
        url, data=data, headers={"Content-Type": "application/json", **(headers or {})}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            body = response.read()
    except urllib.error.HTTPError as error:
        detail = error.read()[:300].decode(errors="replace")
        if 400 <= error.code < 500 and error.code != 429:
            raise Undeliverable(f"HTTP {error.code}: {detail}") from None
        raise
    try:
        return json.loads(body or b"{}")
    except ValueError:
        return {}


def _keep_provider_id(message, provider_id, **fields):
    if provider_id:
        fields.update(provider_id=str(provider_id)[:128], provider_status="sent")
    if fields:
        OutboxMessage.objects.filter(pk=message.pk).update(**fields)


def whatsapp_payload(message, account, now=None):
    """Free text inside the 24-hour window; outside it only the approved template, with the case
    number as its one body parameter. A message marked `as_template` goes as the template anyway
    (Meta said the window had closed)."""
    conversation = (
        Conversation.objects.filter(channel=WHATSAPP, address=message.recipient, case=message.case_id)
        .order_by("-last_inbound_at")
        .first()
    )
    base = {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": message.recipient.lstrip("+"),
    }
    if not message.as_template and whatsapp_window_open(conversation, now):
        return base | {"type": "text", "text": {"preview_url": False, "body": message.body}}
    if not account.template_name:
        raise Undeliverable("Outside WhatsApp's 24-hour window and the number has no template set.")
    return base | template(account, message.language, message.case.number if message.case else "")


def template(account, language, number):
    """The approved template, its one body parameter the case number."""
    return {
        "type": "template",
        "template": {
            "name": account.template_name,
            "language": {"code": account.template_languages.get(language, language)},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": number}]}],
        },
    }


def send_whatsapp(message):
    """From the number the resident last wrote to (else the default one)."""
    account = config.whatsapp_for_reply(message.recipient, message.case_id)
    if account is None or not (account.access_token and account.phone_number_id):
        raise Undeliverable(
            "WhatsApp is not configured: add a WhatsApp number in the admin "
            "(or set WHATSAPP_ACCESS_TOKEN and WHATSAPP_PHONE_NUMBER_ID)."
        )
    url = account.messages_url()
    headers = {"Authorization": f"Bearer {account.access_token}"}
    payload = whatsapp_payload(message, account)
    try:
        answer = post_json(url, payload, headers)
    except Undeliverable as error:
        if payload["type"] != "text" or REENGAGEMENT_ERROR not in str(error):
            raise
        message.as_template = True
        payload = whatsapp_payload(message, account)
        answer = post_json(url, payload, headers)
    # Kept so the staff case page can say the resident got the template, not the words.
    sent_as_template = payload["type"] == "template"
    _keep_provider_id(message, ((answer.get("messages") or [{}])[0]).get("id"), as_template=sent_as_template)


def send_telegram(message):
    """From the bot the chat wrote to (else the default one)."""
    bot = config.telegram_for_reply(message.recipient, message.case_id)
    if bot is None or not bot.bot_token:
        raise Undeliverable("Telegram is not configured: add a bot in the admin (or set TELEGRAM_BOT_TOKEN).")
    answer = post_json(bot.method_url("sendMessage"), {"chat_id": message.recipient, "text": message.body})
    if answer.get("ok") is False:
        raise Undeliverable(f"Telegram: {answer.get('description', 'refused')}")
    _keep_provider_id(message, (answer.get("result") or {}).get("message_id"))
