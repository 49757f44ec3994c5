from django import forms
from django.utils.translation import gettext_lazy as _

from meters.choices import ReadingKind


class ExportUploadForm(forms.Form):
    """The grid company's monthly export, and what its kWh column holds."""

    file = forms.FileField(label=_("The grid company's export (xlsx, xls, ods or csv)"))
    kind = forms.ChoiceField(
        label=_("The kWh column holds"),
        choices=ReadingKind.choices,
        initial=ReadingKind.REGISTER,
        widget=forms.RadioSelect,
    )
