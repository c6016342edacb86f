from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from .health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("staff/", include("civicdesk.staff.urls")),
    path("", include("civicdesk.portal.urls")),
]

if settings.DEBUG or settings.SERVE_MEDIA:
    urlpatterns.append(
        path(f"{settings.MEDIA_URL.strip('/')}/<path:path>", serve, {"document_root": settings.MEDIA_ROOT})
    )
