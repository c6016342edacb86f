from django.urls import path

from . import providers, views

urlpatterns = [
    path("email/raw/", views.receive_raw_email, name="inbound-email-raw"),
    path("email/mailgun/", providers.MailgunInbound.as_view(), name="inbound-email-mailgun"),
    path("email/postmark/", providers.PostmarkInbound.as_view(), name="inbound-email-postmark"),
    path("email/sendgrid/", providers.SendGridInbound.as_view(), name="inbound-email-sendgrid"),
]
