"""Resident-facing forms. Validation of the case itself lives in cases.actions; these forms give each
question the right control and carry the actions' field errors back to the right place."""

from django import forms
from django.conf import settings
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from civicdesk.accounts.models import User
from civicdesk.cases.attributes import MAX_TEXT
from civicdesk.cases.forms import add_action_errors, answers_from, attribute_fields


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = data if isinstance(data, (list, tuple)) else [data] if data else []
        return [super(PhotosField, self).clean(f, initial) for f in files]


class ReportForm(forms.Form):
    description = forms.CharField(
        label=_("What is the problem?"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Say what you see and exactly where. At most 4,000 characters. This text, the place and "
            "your photos are public, so leave out names and contact details."
        ),
    )
    address = forms.CharField(
        label=_("Address or place"),
        max_length=300,
        required=False,
        help_text=_("For example “120 Main Street” or “corner of Elm and 3rd”."),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90, max_value=90)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180, max_value=180)
    photos = PhotosField(
        label=_("Photos"),
        required=False,
        help_text=_("Optional. JPEG, PNG, WebP or GIF, up to 10 MB each."),
        widget=MultipleFileInput(attrs={"accept": "image/*"}),
    )
    anonymous = forms.BooleanField(
        label=_("Report anonymously (we will not be able to contact you)"), required=False
    )
    name = forms.CharField(
        label=_("Your name"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("E-mail"),
        required=False,
        help_text=_("We send the case number and updates here."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    confirm_new = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, service, language=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.service = service
        questions = attribute_fields(service, language)
        self.attribute_names = list(questions)
        self.fields.update(questions)

    def attribute_fields(self):
        return [self[name] for name in self.attribute_names]

    def answers(self):
        """Answers keyed by question code, in the form the actions validate."""
        return answers_from(self.cleaned_data, self.service)

    def add_action_errors(self, error):
        add_action_errors(self, error)


class TrackForm(forms.Form):
    number = forms.CharField(label=_("Case number"), max_length=16, help_text=_("For example 26-000123."))
    email = forms.EmailField(label=_("The e-mail address you gave"))


class CommentForm(forms.Form):
    message = forms.CharField(
        label=_("Add a comment"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = PhotosField(
        label=_("Add photos"), required=False, widget=MultipleFileInput(attrs={"accept": "image/*"})
    )

    def clean(self):
        data = super().clean()
        if not data.get("message") and not data.get("photos"):
            raise forms.ValidationError(_("Write a comment or choose a photo."))
        return data


class ProfileForm(forms.ModelForm):
    # A choice, not just a widget: the value becomes the language cookie and every e-mail's language.
    preferred_language = forms.ChoiceField(
        label=capfirst(_("preferred language")), choices=settings.LANGUAGES
    )

    class Meta:
        model = User
        fields = ["full_name", "phone", "preferred_language", "preferred_channel"]
        # The rule itself is notify.outbox.may_contact.
        help_texts = {
            "preferred_channel": _(
                "Text messages (SMS) are not available yet: until they are, we write to you by e-mail. "
                "“Do not contact me” stops updates about your reports; e-mails you ask for yourself, "
                "such as a password reset, still arrive."
            )
        }
