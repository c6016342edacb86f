"""`civicdesk create_api_token EMAIL --scope read|write [--name N] [--department CODE ...] [--kind service]`

Personal tokens belong to an existing person. Service tokens belong to an integration's own account:
with `--kind service` the account is created when missing (role `--role`, default staff, in the
given departments, with no password so nobody signs in with it); an account a person signs in with
is refused. The token is printed once, as the last word of the output.
"""

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from civicdesk.accounts.models import Role, User
from civicdesk.cases.models import Department

from ...models import ApiToken


class Command(BaseCommand):
    help = "Create an API token for a user and print it (once)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--scope", choices=ApiToken.Scope.values, required=True)
        parser.add_argument("--name", default="")
        parser.add_argument("--department", action="append", default=[], metavar="CODE")
        parser.add_argument("--kind", choices=ApiToken.Kind.values, default=ApiToken.Kind.PERSONAL)
        parser.add_argument(
            "--role", choices=Role.values, default=Role.STAFF, help="the role of a new service account"
        )
        parser.add_argument("--expires-days", type=int, default=None)

    def handle(self, email, scope, name, department, kind, role, expires_days, **options):
        departments = self._departments(department)
        with transaction.atomic():
            user = self._user(email.strip().lower(), kind, role, departments, name)
            token = ApiToken(user=user, name=name or f"{kind} token", kind=kind, scope=scope)
            try:
                token.clean()
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
            if expires_days is not None:
                token.expires_at = timezone.now() + timedelta(days=expires_days)
            raw = token.issue()
            token.save()
            token.departments.set(departments)
        limited = f" limited to {', '.join(d.code for d in departments)}" if departments else ""
        self.stdout.write(f"{kind.capitalize()} {scope} token “{token.name}” for {user.email}{limited}:")
        self.stdout.write(raw)

    def _departments(self, codes):
        found = list(Department.objects.filter(code__in=codes))
        unknown = sorted(set(codes) - {d.code for d in found})
        if unknown:
            raise CommandError(f"Unknown department code(s): {', '.join(unknown)}")
        return found

    def _user(self, email, kind, role, departments, name):
        user = User.objects.filter(email=email).first()
        if kind == ApiToken.Kind.PERSONAL:
            if user is None:
                raise CommandError(f"No user {email}. Personal tokens are for existing accounts.")
            return user
        if user is None:
            user = User.objects.create_user(email, None, role=role, full_name=name or email)
            user.departments.set(departments)
            self.stdout.write(f"Created the service account {email} ({role}).")
        elif user.has_usable_password():
            raise CommandError(
                f"{email} signs in as a person; a service token needs the integration's own account."
            )
        return user
