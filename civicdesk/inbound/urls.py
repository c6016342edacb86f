from django.urls import path

from . import views

urlpatterns = [path("email/raw/", views.receive_raw_email, name="inbound-email-raw")]
