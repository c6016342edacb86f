import time

from aiosmtpd.controller import Controller
from django.conf import settings
from django.core.management.base import BaseCommand

from civicdesk.inbound.smtp import InboundHandler, stop


class Command(BaseCommand):
    help = "Receive e-mail for INBOUND_EMAIL_DOMAINS over SMTP and store each message for processing."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=settings.INBOUND_SMTP_HOST)
        parser.add_argument("--port", type=int, default=settings.INBOUND_SMTP_PORT)

    def handle(self, *args, host, port, **options):
        if not settings.INBOUND_EMAIL_DOMAINS:
            self.stderr.write("INBOUND_EMAIL_DOMAINS is empty: every recipient would be refused.")
        controller = make_controller(host, port)
        controller.start()
        self.stdout.write(f"civicdesk smtpd on {host}:{port} for {', '.join(settings.INBOUND_EMAIL_DOMAINS)}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            stop(controller)


def make_controller(host, port):
    return Controller(
        InboundHandler(),
        hostname=host,
        port=port,
        data_size_limit=settings.INBOUND_MAX_BYTES,
        decode_data=False,
    )
