from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _


class MultipleChoiceTextField(models.CharField):
    """A list of choice codes stored as ``,a,b,`` in one text column.

    The enclosing commas let ``field__contains=",a,"`` find one code on every
    database (SQLite has no array type and no JSON ``contains``), and a
    trigram or prefix index can serve it on PostgreSQL. Python sees a list.
    """

    description = _("A list of choices")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 200)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if value is None or value == "":
            return []
        if isinstance(value, list | tuple):
            return list(value)
        return [part for part in value.split(",") if part]

    def get_prep_value(self, value):
        codes = self.to_python(value)
        if not codes:
            return ""
        order = [code for code, _label in self.choices]
        codes = sorted(set(codes), key=lambda code: order.index(code) if code in order else len(order))
        return "," + ",".join(codes) + ","

    def validate(self, value, model_instance):
        valid = {code for code, _label in self.choices}
        for code in value:
            if code not in valid:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": code}
                )
        if not value and not self.blank:
            raise ValidationError(self.error_messages["blank"], code="blank")

    def value_to_string(self, obj):
        return ",".join(self.value_from_object(obj))

    def formfield(self, **kwargs):
        # Not CharField's form field: the form edits a list of codes.
        return forms.MultipleChoiceField(
            choices=self.choices,
            widget=kwargs.get("widget") or forms.CheckboxSelectMultiple,
            required=not self.blank,
            label=capfirst(self.verbose_name),
            help_text=self.help_text,
        )

    def check(self, **kwargs):
        # CharField's check for max_length vs. choices does not apply: the
        # column holds several codes.
        return [error for error in super().check(**kwargs) if error.id != "fields.E009"]
