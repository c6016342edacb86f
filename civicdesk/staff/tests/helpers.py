"""Small helpers shared by the staff view tests."""

from django.urls import reverse


def case_url(case, name="staff-case"):
    return reverse(name, args=[case.number])


def page_text(response):
    return response.content.decode()


HTMX = {"HX-Request": "true"}
