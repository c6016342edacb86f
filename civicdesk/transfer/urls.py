from django.urls import path

from . import views

urlpatterns = [
    path("", views.show_open_data, name="open-data"),
    path("cases.<str:kind>", views.download_cases, name="open-data-cases"),
]
