"""The SMTP receiver's handler (aiosmtpd): mail for our domains is stored through `receive`, and
250 is answered only once it is."""

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import close_old_connections, connections

from civicdesk.cases.models import Channel

from . import actions


class InboundHandler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        domain = address.rpartition("@")[2].lower()
        if domain not in settings.INBOUND_EMAIL_DOMAINS:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if len(raw) > settings.INBOUND_MAX_BYTES:
            return "552 5.3.4 Message too big"
        try:
            await sync_to_async(store, thread_sensitive=True)(raw, envelope.mail_from, envelope.rcpt_tos)
        except Exception:  # noqa: BLE001 - a temporary failure: the sending server tries again later
            import logging

            logging.getLogger(__name__).exception("inbound e-mail not stored")
            return "451 4.3.0 Not stored, try again later"
        return "250 OK stored"


def store(raw, mail_from, rcpt_tos):
    # Like a request: a connection past CONN_MAX_AGE, or broken, is not used again or left open.
    close_old_connections()
    try:
        actions.receive(
            Channel.EMAIL,
            actions.email_key(raw),
            raw,
            envelope_sender="<>" if not mail_from or mail_from == "<>" else mail_from,
            recipients=[r.lower() for r in rcpt_tos],
        )
    finally:
        close_old_connections()


def stop(controller):
    """Stop the receiver, first closing the database connection of the thread that stored messages
    (the one `sync_to_async` runs them in): a stopped receiver holds no session open."""
    import asyncio

    close = sync_to_async(connections.close_all, thread_sensitive=True)
    asyncio.run_coroutine_threadsafe(close(), controller.loop).result(timeout=30)
    controller.stop()
