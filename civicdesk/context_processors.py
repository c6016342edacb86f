from django.conf import settings


def site(request):
    return {"city_name": settings.CITY_NAME}
