"""Form widgets of the project's own."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


class LongSelect(forms.Select):
    """A ``<select>`` of hundreds or thousands of options (a region's
    townships and units in the ledger's filters) written in Python: Django's
    templates include one template per option, and 3,000 options took
    1.7 of a ledger page's 2 seconds at a region's size (docs/benchmarks.md,
    issue 19). The same markup as :class:`django.forms.Select`; the options
    come from the same ``optgroups``."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        groups = []
        for group_name, options, _index in widget["optgroups"]:
            html = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                ((option["value"], flatatt(option["attrs"]), option["label"]) for option in options),
            )
            groups.append(format_html('<optgroup label="{}">{}</optgroup>', group_name, html) if group_name else html)
        return format_html(
            '<select name="{}"{}>{}</select>', widget["name"], flatatt(widget["attrs"]), mark_safe("".join(groups))
        )
