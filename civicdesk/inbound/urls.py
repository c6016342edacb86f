from django.urls import path

from . import messaging_views, views

urlpatterns = [
    path("email/raw/", views.receive_raw_email, name="inbound-email-raw"),
    path("whatsapp/", messaging_views.whatsapp, name="inbound-whatsapp"),
    path("telegram/", messaging_views.telegram, name="inbound-telegram"),
    path("social/", messaging_views.social, name="inbound-social"),
]
