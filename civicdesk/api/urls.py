from django.urls import path, re_path

from .errors import json_404
from .main import api

urlpatterns = [
    path("", api.urls),
    re_path(r"^.*$", json_404),
]
