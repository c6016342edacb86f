"""The generic question builder (shared with the resident portal) and the action-error mapping."""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from civicdesk.cases.forms import add_action_errors, answers_from, attribute_fields, attribute_name
from civicdesk.cases.models import Datatype, ServiceAttribute


def question(service, code, datatype, **fields):
    return ServiceAttribute.objects.create(
        service=service, code=code, label=code.title(), datatype=datatype, **fields
    )


def test_it_gives_each_datatype_its_control(cast):
    tree = cast.tree
    question(tree, "size", Datatype.STRING)
    question(tree, "note", Datatype.TEXT)
    question(tree, "when", Datatype.DATETIME)
    question(
        tree, "kinds", Datatype.MULTI, values=[{"key": "oak", "name": "Oak"}, {"key": "elm", "name": "Elm"}]
    )
    many = [{"key": f"k{i}", "name": f"K{i}"} for i in range(8)]
    question(tree, "many", Datatype.SINGLE, values=many, required=True)
    fields = attribute_fields(tree)
    assert list(fields) == ["attr_size", "attr_note", "attr_when", "attr_kinds", "attr_many"]
    assert isinstance(fields["attr_size"].widget, forms.TextInput) and fields["attr_size"].max_length == 200
    assert isinstance(fields["attr_note"].widget, forms.Textarea)
    assert fields["attr_when"].widget.input_type == "datetime-local"
    assert isinstance(fields["attr_kinds"].widget, forms.CheckboxSelectMultiple)
    assert isinstance(fields["attr_many"].widget, forms.Select) and fields["attr_many"].required
    assert fields["attr_many"].choices[0] == ("", "Choose…")
    pothole = attribute_fields(cast.pothole)
    assert isinstance(pothole["attr_depth"].widget, forms.RadioSelect)


def test_it_labels_questions_in_the_callers_language(cast):
    attribute = cast.pothole.attributes.get(code="depth")
    attribute.translations = {"es": {"label": "¿Qué profundidad tiene?"}}
    attribute.values = [{"key": "deep", "name": "Deep", "translations": {"es": "Profundo"}}]
    attribute.save()
    field = attribute_fields(cast.pothole, "es")["attr_depth"]
    assert field.label == "¿Qué profundidad tiene?" and ("deep", "Profundo") in field.choices


def test_it_collects_answers_by_question_code(cast):
    question(cast.tree, "when", Datatype.DATETIME)
    moment = timezone.make_aware(datetime.datetime(2026, 5, 1, 14, 30))
    assert answers_from({"attr_when": moment}, cast.tree) == {"when": moment.isoformat()}
    assert answers_from({"attr_depth": "deep", "attr_width_cm": ""}, cast.pothole) == {
        "depth": "deep",
        "width_cm": "",
    }


def test_it_puts_action_errors_on_the_matching_fields(cast):
    class Form(forms.Form):
        description = forms.CharField(required=False)

    form = Form({"description": "x"}, prefix=None)
    form.fields.update(attribute_fields(cast.pothole))
    form.is_valid()
    error = ValidationError(
        {"attribute[depth]": "Choose one.", "description": "Too long.", "photos": "Bad photo.", "geo": "Far."}
    )
    add_action_errors(form, error, aliases={"geo": "description"})
    assert form.errors["attr_depth"][-1] == "Choose one."
    assert form.errors["description"] == ["Too long.", "Far."]
    assert form.non_field_errors() == ["Bad photo."]
    assert attribute_name("depth") == "attr_depth"
