"""The channels' accounts in the admin (decision 51): secrets are write-only ("set" or "not set",
a blank field keeps the stored one, a box clears it), the environment's account is shown read-only,
and each account has a "send a test" page (POST, staff with the change permission)."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicdesk.lib.phones import e164

from . import checks, config
from .channel_accounts import ImapMailbox, TelegramBot, TwilioNumber, WhatsAppNumber, validate_e164


class SecretsForm(forms.ModelForm):
    """The model's SECRETS as write-only fields (declared by `secrets_form`): never rendered back."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self._meta.model.SECRETS:
            self.fields[name].help_text = (
                _("Currently set: leave blank to keep it. It is never shown.")
                if self.instance.has_secret(name)
                else _("Currently not set.")
            )
            self.fields[f"clear_{name}"].label = _("Clear the stored %(secret)s") % {
                "secret": self.fields[name].label
            }

    def clean(self):
        cleaned = super().clean()
        model = self._meta.model
        for name, required in model.SECRETS.items():
            new, clear = cleaned.get(name), cleaned.get(f"clear_{name}")
            if new and clear:
                self.add_error(f"clear_{name}", _("Type a new value or clear it, not both."))
            elif required and not new and (clear or not self.instance.has_secret(name)):
                self.add_error(name, _("This account cannot work without it."))
        moved = self.instance.pk and set(model.DESTINATION) & set(self.changed_data)
        for name in model.SENT if moved else ():
            if self.instance.has_secret(name) and not cleaned.get(name) and not cleaned.get(f"clear_{name}"):
                self.add_error(
                    name,
                    _("You changed where it is sent: type it again (the stored one is not sent elsewhere)."),
                )
        clash = CLASHES.get(model)
        if clash and cleaned.get("active"):
            clash(self, cleaned)
        return cleaned

    def save(self, commit=True):
        instance = super().save(commit=False)
        for name in self._meta.model.SECRETS:
            if self.cleaned_data.get(name):
                instance.set_secret(name, self.cleaned_data[name])
            elif self.cleaned_data.get(f"clear_{name}"):
                instance.set_secret(name, "")
        if commit:
            instance.save()
            self._save_m2m()
        return instance


def secrets_form(model):
    fields = {}
    for name in model.SECRETS:
        label = model._meta.get_field(f"{name}_sealed").verbose_name
        fields[name] = forms.CharField(
            label=label,
            required=False,
            strip=True,
            max_length=4000,
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
            validators=model.SECRET_VALIDATORS.get(name, []),
        )
        fields[f"clear_{name}"] = forms.BooleanField(required=False)  # labelled in __init__, translated
    meta = type("Meta", (), {"model": model, "fields": "__all__"})
    return type(f"{model.__name__}Form", (SecretsForm,), {**fields, "Meta": meta})


def _twilio_clash(form, cleaned):
    if cleaned.get("number") in {account.number for account in config.env_twilio()}:
        form.add_error("number", _("The environment's account (TWILIO_FROM) has this number already."))


def _whatsapp_clash(form, cleaned):
    if cleaned.get("phone_number_id") in {account.phone_number_id for account in config.env_whatsapp()}:
        form.add_error(
            "phone_number_id",
            _("The environment's account (WHATSAPP_PHONE_NUMBER_ID) has this phone number ID already."),
        )


def _telegram_clash(form, cleaned):
    """A bot's token in two accounts: Telegram posts to one webhook only, so one of them is dead."""
    instance = form.instance
    token = cleaned.get("bot_token") or (config.telegram_account(instance).bot_token if instance.pk else "")
    others = TelegramBot.objects.filter(active=True).exclude(pk=instance.pk)
    env = config.telegram_bot(config.ENV)
    tokens = [account.bot_token for account in [env] if account]
    tokens += [config.telegram_account(row).bot_token for row in others]
    if token and token in tokens:
        form.add_error("bot_token", _("Another active bot (or the environment's) has this token already."))


# Numbers are unique among the rows already; these refuse what another account would take silently.
CLASHES = {TwilioNumber: _twilio_clash, WhatsAppNumber: _whatsapp_clash, TelegramBot: _telegram_clash}


class TestForm(forms.Form):
    to = forms.CharField(
        label=gettext_lazy("Send the test message to"),
        max_length=30,
        help_text=gettext_lazy("A mobile number in international form, such as +16175550100."),
    )

    def clean_to(self):
        number = e164(self.cleaned_data["to"], settings.PHONE_REGION)
        validate_e164(number)
        return number


class TelegramTestForm(forms.Form):
    register = forms.BooleanField(
        label=gettext_lazy("Point the bot's webhook here (setWebhook, with the stored secret)"),
        required=False,
    )


class ChannelAccountAdmin(admin.ModelAdmin):
    change_form_template = "admin/inbound/channel_change_form.html"
    change_list_template = "admin/inbound/channel_change_list.html"
    list_filter = ["active"]
    test_form = None

    class Media:
        css = {"all": ["inbound/admin.css"]}  # the filter links' touch targets

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = secrets_form(self.model)
        return super().get_form(request, obj, **kwargs)

    @admin.display(description=gettext_lazy("secrets"))
    def secrets(self, obj):
        return ", ".join(
            f"{self.model._meta.get_field(f'{name}_sealed').verbose_name}: "
            + (_("set") if obj.has_secret(name) else _("not set"))
            for name in self.model.SECRETS
        )

    def environment(self):
        """What the environment configures for this kind, shown read-only on the list."""
        return []

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {**(extra_context or {}), "environment": self.environment()})

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        view = self.admin_site.admin_view(self.test_view)
        return [path("<int:pk>/test/", view, name="{}_{}_test".format(*info)), *super().get_urls()]

    def test_view(self, request, pk):
        obj = get_object_or_404(self.model, pk=pk)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        form = None
        if self.test_form:
            form = self.test_form(request.POST) if request.method == "POST" else self.test_form()
        if request.method == "POST" and (form is None or form.is_valid()):
            self._run_test(request, obj, form)
            return redirect(
                reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "title": _("Send a test: %(name)s") % {"name": obj},
            "form": form,
        }
        return TemplateResponse(request, "admin/inbound/channel_test.html", context)

    def _run_test(self, request, obj, form):
        try:
            level, text = self.run_test(obj, form.cleaned_data if form else {})
        except checks.CheckFailed as error:
            level, text = messages.ERROR, str(error)
        self.message_user(request, text, level)

    def run_test(self, obj, data):
        raise NotImplementedError


@admin.register(ImapMailbox)
class ImapMailboxAdmin(ChannelAccountAdmin):
    list_display = ["name", "user", "host", "port", "security", "folder", "active", "secrets"]
    fields = [
        "name", "active", "host", "port", "security", "user", "password", "clear_password",
        "folder", "processed_folder", "refused_folder",
    ]  # fmt: skip
    search_fields = ["name", "host", "user"]

    def environment(self):
        return [f"{a.user}@{a.host}:{a.port}/{a.folder} (INBOUND_IMAP_*)" for a in config.env_imap()]

    def run_test(self, obj, data):
        return messages.SUCCESS, checks.check_imap(obj)


@admin.register(TwilioNumber)
class TwilioNumberAdmin(ChannelAccountAdmin):
    list_display = ["name", "number", "account_sid", "api_base", "active", "secrets"]
    fields = [
        "name",
        "active",
        "number",
        "account_sid",
        "auth_token",
        "clear_auth_token",
        "api_base",
        "agent_number",
    ]
    search_fields = ["name", "number", "account_sid"]
    test_form = TestForm

    def environment(self):
        return [f"{a.number or '?'} (TWILIO_*)" for a in config.env_twilio()]

    def run_test(self, obj, data):
        return messages.SUCCESS, checks.check_twilio(obj, data["to"])


@admin.register(WhatsAppNumber)
class WhatsAppNumberAdmin(ChannelAccountAdmin):
    list_display = ["name", "phone_number_id", "template_name", "api_base", "active", "secrets"]
    fields = [
        "name", "active", "phone_number_id", "access_token", "clear_access_token", "app_secret",
        "clear_app_secret", "verify_token", "clear_verify_token", "template_name", "template_languages",
        "api_base", "api_version",
    ]  # fmt: skip
    search_fields = ["name", "phone_number_id"]
    test_form = TestForm

    def environment(self):
        return [f"{a.phone_number_id or '?'} (WHATSAPP_*)" for a in config.env_whatsapp()]

    def run_test(self, obj, data):
        return messages.SUCCESS, checks.check_whatsapp(obj, data["to"])


@admin.register(TelegramBot)
class TelegramBotAdmin(ChannelAccountAdmin):
    list_display = ["name", "webhook_url", "api_base", "active", "secrets"]
    fields = [
        "name", "active", "webhook_url", "bot_token", "clear_bot_token", "webhook_secret",
        "clear_webhook_secret", "api_base",
    ]  # fmt: skip
    search_fields = ["name"]
    readonly_fields = ["webhook_url"]
    test_form = TelegramTestForm

    @admin.display(description=gettext_lazy("webhook URL"))
    def webhook_url(self, obj):
        return checks.telegram_webhook_url(obj) if obj and obj.pk else _("Shown once the bot is saved.")

    def environment(self):
        bot = config.telegram_bot(config.ENV)
        return [f"{checks.telegram_webhook_url()} (TELEGRAM_*)"] if bot else []

    def run_test(self, obj, data):
        ours, text = checks.check_telegram(obj, register=data.get("register", False))
        return (messages.SUCCESS if ours else messages.WARNING), text
