from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    AGENT = "agent", _("311 agent")
    STAFF = "staff", _("Department staff")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")


# Roles that work cases in the staff workspace.
STAFF_ROLES = {Role.AGENT, Role.STAFF, Role.SUPERVISOR, Role.ADMIN}
# Roles that see every department's cases.
CITYWIDE_ROLES = {Role.AGENT, Role.ADMIN}


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **fields):
        return self._create(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields.update(role=Role.ADMIN)
        return self._create(email, password, **fields)


class User(AbstractUser):
    """A person: resident or city staff. Log in by e-mail; `role` decides what they may see."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.RESIDENT)
    departments = models.ManyToManyField(
        "cases.Department", blank=True, related_name="members", verbose_name=_("departments")
    )
    preferred_language = models.CharField(_("preferred language"), max_length=8, default="en")
    preferred_channel = models.CharField(
        _("preferred contact channel"),
        max_length=8,
        choices=[("email", _("E-mail")), ("sms", _("SMS")), ("none", _("Do not contact me"))],
        default="email",
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []
    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.full_name or self.email

    def save(self, *args, **kwargs):
        # The admin site is for administrators only; the role is the single source of truth.
        self.is_staff = self.is_superuser = self.role == Role.ADMIN
        if kwargs.get("update_fields") is not None and "role" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "is_staff", "is_superuser"}
        super().save(*args, **kwargs)

    def get_full_name(self):
        return str(self)

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_city_staff(self):
        return self.is_active and self.role in STAFF_ROLES

    @property
    def sees_all_departments(self):
        return self.role in CITYWIDE_ROLES

    @property
    def is_supervisor(self):
        return self.role in {Role.SUPERVISOR, Role.ADMIN}
