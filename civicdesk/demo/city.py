"""Create Riverton's departments, services, questions and demo accounts in the database.

This is policy data an administrator would enter in the admin, so it is written directly;
cases, which have a lifecycle, go through `cases.actions` (see `histories.py`).
"""

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password

from civicdesk.accounts.models import User
from civicdesk.cases.models import Department, Service, ServiceAttribute

from .catalogue import DEPARTMENTS, SERVICES
from .people import ACCOUNTS, PASSWORD


def build_catalogue():
    """Departments and services; returns {code: Department} and {code: Service}."""
    departments = {}
    for code, name, name_es, email in DEPARTMENTS:
        departments[code] = Department.objects.create(
            code=code, name=name, email=email, translations={"es": {"name": name_es}}
        )
    services = {}
    for spec in SERVICES:
        services[spec["code"]] = service = Service.objects.create(
            code=spec["code"],
            name=spec["name"],
            description=spec["description"],
            group=spec["group"],
            keywords=spec["keywords"],
            translations=spec["translations"],
            default_department=departments[spec["department"]],
            default_priority=spec["priority"],
        )
        ServiceAttribute.objects.bulk_create(
            ServiceAttribute(
                service=service,
                order=order,
                **{k: question[k] for k in ("code", "label", "datatype", "required", "values", "help_text")},
                translations=question["translations"],
            )
            for order, question in enumerate(spec["questions"], start=1)
        )
    return departments, services


def build_accounts(departments):
    """The demo logins, each with a verified primary e-mail address so they can sign in at once."""
    password = make_password(PASSWORD)  # hash once: the slow hasher would take seconds per account
    people = {}
    for email, name, role, codes, language in ACCOUNTS:
        user = User(email=email, full_name=name, role=role, preferred_language=language, password=password)
        user.save()
        user.departments.set([departments[code] for code in codes])
        people[email.split("@")[0]] = user
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in people.values()
    )
    return people
