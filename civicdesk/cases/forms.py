"""Form pieces shared by the portal and the staff workspace: a service's questions as form fields,
their answers back in the shape the actions validate, and the actions' errors put on the fields."""

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .attributes import MAX_TEXT
from .models import Datatype

LIST_AS_RADIOS_UP_TO = 6


def attribute_name(code):
    """The form field name of question `code` (`attr_depth`): a plain HTML id, no brackets."""
    return f"attr_{code}"


def attribute_field(attribute, language=None):
    """A form field with the right control for one service question (Open311 datatype)."""
    common = {
        "label": attribute.localized("label", language),
        "required": attribute.required,
        "help_text": attribute.localized("help_text", language),
    }
    kind = attribute.datatype
    if kind == Datatype.SINGLE:
        choices = attribute.value_choices(language)
        if len(choices) <= LIST_AS_RADIOS_UP_TO:
            return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
        return forms.ChoiceField(choices=[("", _("Choose…")), *choices], **common)
    if kind == Datatype.MULTI:
        return forms.MultipleChoiceField(
            choices=attribute.value_choices(language), widget=forms.CheckboxSelectMultiple, **common
        )
    if kind == Datatype.NUMBER:
        # Text with a numeric keyboard: the actions check the number and explain what is wrong.
        widget = forms.TextInput(attrs={"inputmode": "decimal"})
        return forms.CharField(max_length=40, widget=widget, **common)
    if kind == Datatype.DATETIME:
        widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
        return forms.DateTimeField(widget=widget, **common)
    if kind == Datatype.TEXT:
        return forms.CharField(max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 3}), **common)
    return forms.CharField(max_length=200, **common)


def attribute_fields(service, language=None):
    """`{field name: form field}` for every question of `service`, in order. Add them to any form."""
    if service is None:
        return {}
    return {attribute_name(a.code): attribute_field(a, language) for a in service.attributes.all()}


def answers_from(cleaned_data, service):
    """The answers to `service`'s questions from a form's cleaned_data, keyed by question code."""
    answers = {}
    for attribute in service.attributes.all():
        value = cleaned_data.get(attribute_name(attribute.code))
        if isinstance(value, datetime):
            value = (value if timezone.is_aware(value) else timezone.make_aware(value)).isoformat()
        answers[attribute.code] = value
    return answers


def add_action_errors(form, error, aliases=None):
    """Put the messages of an actions ValidationError on the matching fields of `form`.

    `attribute[code]` keys go to that question's field, `aliases` renames others (action field ->
    form field); anything without a field becomes a form-wide error.
    """
    aliases = aliases or {}
    for key, messages in error.message_dict.items():
        field = aliases.get(key, key)
        if key.startswith("attribute[") and key.endswith("]"):
            field = attribute_name(key[len("attribute[") : -1])
        for message in messages:
            form.add_error(field if field in form.fields else None, message)
