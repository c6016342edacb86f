from django.forms.renderers import TemplatesSetting


class Renderer(TemplatesSetting):
    """Every form field as one accessible group: label or legend, '(optional)', help, errors, control."""

    field_template_name = "forms/field.html"
