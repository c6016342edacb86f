from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="portal-home"),
    path("track/<str:token>/", views.track, name="portal-track"),
]
