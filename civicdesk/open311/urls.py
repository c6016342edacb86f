from django.urls import re_path

from . import views

FMT = r"\.(?P<fmt>xml|json)$"

urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="open311-discovery"),
    re_path(r"^services" + FMT, views.services, name="open311-services"),
    re_path(r"^services/(?P<code>[^/]+)" + FMT, views.service_definition, name="open311-service"),
    re_path(r"^requests" + FMT, views.requests, name="open311-requests"),
    re_path(r"^requests/(?P<number>[^/]+)" + FMT, views.request_detail, name="open311-request"),
    re_path(r"^tokens/(?P<token>[^/]+)" + FMT, views.token, name="open311-token"),
    re_path(r"^servicerequestupdates" + FMT, views.updates, name="open311-updates"),
    # Anything else is a 404 in the spec's shape, JSON when the address asks for it.
    re_path(r"^(?P<path>.*)\.(?P<fmt>json)$", views.not_found),
    re_path(r"^(?P<path>.*)$", views.not_found),
]
