from django.contrib import admin
from django.urls import include, path

from .accounts.views import admin_login
from .health import healthz
from .monitoring import scrape

# Uploaded photos are never served straight from MEDIA_ROOT: `portal-photo` checks who may see each.
urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", scrape, name="metrics"),
    path("i18n/", include("django.conf.urls.i18n")),
    # Before the admin's own URLs: its login form would bypass allauth's throttle and MFA.
    path("admin/login/", admin_login, name="admin-login"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("staff/", include("civicdesk.staff.urls")),
    path("open311/v2/", include("civicdesk.open311.urls")),
    path("api/v1/", include("civicdesk.api.urls")),
    path("open-data/", include("civicdesk.transfer.urls")),
    path("inbound/", include("civicdesk.inbound.urls")),
    path("", include("civicdesk.portal.urls")),
]
