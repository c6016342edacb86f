from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import User


class EmailMixin:
    """E-mail is the login: stored lower-case (as sign-up stores it) and unique whatever its case."""

    def clean_email(self):
        email = User.objects.normalize_email(self.cleaned_data["email"]).lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("Someone already uses this e-mail address."))
        return email


class UserAddForm(EmailMixin, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ["email"]
        field_classes = {}


class UserEditForm(EmailMixin, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        field_classes = {}


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    form = UserEditForm
    add_form = UserAddForm
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "department_list", "is_active", "last_login"]
    list_filter = ["role", "is_active", "departments"]
    search_fields = ["email", "full_name", "phone"]
    filter_horizontal = ["departments"]
    fieldsets = [
        (None, {"fields": ["email", "password"]}),
        (_("Person"), {"fields": ["full_name", "phone", "preferred_language", "preferred_channel"]}),
        (
            _("Role"),
            {
                "fields": ["role", "departments", "is_active"],
                "description": _(
                    "Administrators reach this admin site; staff, supervisors and agents "
                    "work in /staff/. Staff and supervisors see only their departments' cases."
                ),
            },
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (
            None,
            {
                "classes": ["wide"],
                "fields": ["email", "full_name", "role", "departments", "password1", "password2"],
            },
        )
    ]
    readonly_fields = ["last_login", "date_joined"]

    @admin.display(description=_("departments"))
    def department_list(self, user):
        return ", ".join(d.code for d in user.departments.all())

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("departments")
