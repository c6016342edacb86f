from django.urls import path

from . import messaging_views, providers, views

urlpatterns = [
    path("email/raw/", views.receive_raw_email, name="inbound-email-raw"),
    path("sms/twilio/", views.receive_sms, name="inbound-sms"),
    path("sms/twilio/status/", views.sms_status, name="inbound-sms-status"),
    path("voice/twilio/", views.voice_answer, name="inbound-voice"),
    path("voice/twilio/menu/", views.voice_menu, name="inbound-voice-menu"),
    path("voice/twilio/choice/", views.voice_choice, name="inbound-voice-choice"),
    path("voice/twilio/status/", views.voice_status, name="inbound-voice-status"),
    path("voice/twilio/group/", views.voice_group, name="inbound-voice-group"),
    path("voice/twilio/recorded/", views.voice_recorded, name="inbound-voice-recorded"),
    path("voice/twilio/transcript/", views.voice_transcript, name="inbound-voice-transcript"),
    path("email/mailgun/", providers.MailgunInbound.as_view(), name="inbound-email-mailgun"),
    path("email/postmark/", providers.PostmarkInbound.as_view(), name="inbound-email-postmark"),
    path("email/sendgrid/", providers.SendGridInbound.as_view(), name="inbound-email-sendgrid"),
    path("whatsapp/", messaging_views.whatsapp, name="inbound-whatsapp"),
    path("telegram/", messaging_views.telegram, name="inbound-telegram"),
    path("telegram/<int:bot>/", messaging_views.telegram, name="inbound-telegram-bot"),
    path("social/", messaging_views.social, name="inbound-social"),
]
