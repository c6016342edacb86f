"""allauth, adapted: account e-mails go through the outbox like every other message."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.utils import translation

from civicdesk.notify.outbox import queue_account_email


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        """Render with allauth's own templates, then store instead of sending.

        allauth would send in the request: with SMTP down, a sign-up or a password reset answered 500
        and its e-mail was lost. From the outbox it goes, with retries, once SMTP answers again.
        These are e-mails the person asked for, so they go whatever their contact preference.
        """
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        message = self.render_mail(template_prefix, email, ctx)
        queue_account_email(email, message.subject, message.body, translation.get_language())
