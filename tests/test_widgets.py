"""wellclosure.widgets.LongSelect writes the markup Django's Select writes,
in Python instead of a template per option."""

import pytest
from django import forms
from django.test.html import parse_html

from accounts.choices import UnitKind
from tests.factories import UnitFactory
from wellclosure.widgets import LongSelect
from wells.filtersets import WellFilterSet

CHOICES = [
    ("", "---------"),
    ("a&b", "甲 <乙> & “丙”"),
    ("2", "二"),
    ("区", [("3", "三"), ("4", "四")]),
]


@pytest.mark.parametrize(
    ("value", "attrs"),
    [(None, None), ("2", {"id": "id_x", "class": "wide"}), ("4", {"required": True, "disabled": False})],
)
def test_a_long_select_writes_what_djangos_select_writes(value, attrs):
    ours = LongSelect(choices=CHOICES).render("x", value, attrs)
    django = forms.Select(choices=CHOICES).render("x", value, attrs)
    assert parse_html(ours) == parse_html(django)
    assert "&lt;乙&gt; &amp;" in ours  # labels escaped, once


def test_a_long_select_of_many_keeps_what_a_select_multiple_marks():
    class Many(LongSelect):
        allow_multiple_selected = True

    ours = Many(choices=CHOICES).render("x", ["2", "3"])
    django = forms.SelectMultiple(choices=CHOICES).render("x", ["2", "3"])
    assert parse_html(ours) == parse_html(django)
    assert "multiple" in ours and ours.count("selected") == 2


@pytest.mark.django_db
def test_the_ledgers_unit_filter_lists_its_units_through_it():
    unit = UnitFactory(name="<昌吉> 供电", kind=UnitKind.COMPANY)
    form = WellFilterSet({"unit": str(unit.pk)}, queryset=None).form
    assert isinstance(form.fields["unit"].widget, LongSelect)
    html = str(form["unit"])
    assert f'<option value="{unit.pk}" selected>&lt;昌吉&gt; 供电</option>' in html
