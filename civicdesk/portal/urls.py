from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="portal-home"),
    path("report/<slug:code>/", views.report, name="portal-report"),
    path("submitted/<str:token>/", views.submitted, name="portal-submitted"),
    path("track/", views.track_lookup, name="portal-track-lookup"),
    path("track/<str:token>/", views.track, name="portal-track"),
    path("cases/<str:number>/", views.case_public, name="portal-case-public"),
    path("cases/<str:number>/follow/", views.follow, name="portal-follow"),
    path("following/<str:token>/confirm/", views.follow_link, {"stop": False}, name="portal-follow-confirm"),
    path("following/<str:token>/stop/", views.follow_link, {"stop": True}, name="portal-follow-stop"),
    path("photos/<int:pk>/<str:size>/", views.photo, name="portal-photo"),
    path("my/cases/", views.my_cases, name="portal-my-cases"),
    path("my/profile/", views.profile, name="portal-profile"),
]
