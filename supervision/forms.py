"""The supervision pages' forms: what a person types, read into the engines'
terms. The engines (:mod:`supervision.workflow`, :mod:`supervision.patrols`,
:mod:`supervision.public`) check and refuse; these forms only shape."""

import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit
from supervision.choices import HAND_SOURCES
from supervision.public import HONEYPOT_FIELD
from wells.choices import InspectionResult, OwnerKind, Use
from wells.models import Campaign, Township


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos at once (the phone's camera or its gallery)."""

    widget = MultipleFileInput(attrs={"accept": "image/*", "capture": "environment"})

    def clean(self, data, initial=None):
        if not data:
            if self.required:
                raise forms.ValidationError(self.error_messages["required"], code="required")
            return []
        return [super(PhotosField, self).clean(item, initial) for item in (data if isinstance(data, list) else [data])]


class DateInput(forms.DateInput):
    input_type = "date"


class FindingForm(forms.Form):
    """What was found at one well the patrol passed."""

    well = forms.CharField(widget=forms.HiddenInput, max_length=40)
    result = forms.ChoiceField(label=_("Found"), choices=InspectionResult.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(
        label=_("New deadline, if found in use"),
        required=False,
        widget=DateInput,
        help_text=_("An accepted well found in use is reopened, to be closed again by this date."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["deadline"].initial = timezone.localdate() + datetime.timedelta(days=30)


class PhotoUploadForm(forms.Form):
    photos = PhotosField(label=_("Photos"))


class ReachedChoicesForm(forms.Form):
    """A ticket action's form: its lists offer only the units, townships and
    campaigns its ``user`` reads (another bureau's are not there, and the
    engine refuses them as well)."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.ModelChoiceField):
                field.queryset = field.queryset.visible_to(user)


class AssignForm(ReachedChoicesForm):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.order_by("kind", "name"))
    due_on = forms.DateField(label=_("Rectify by"), widget=DateInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RectifyForm(ReachedChoicesForm):
    note = forms.CharField(label=_("What was done"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    photos = PhotosField(label=_("Evidence photos"), required=False)


class ReviewPassForm(ReachedChoicesForm):
    reply = forms.CharField(
        label=_("Public reply"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewFailForm(ReachedChoicesForm):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReplyForm(ReachedChoicesForm):
    reply = forms.CharField(label=_("Public reply"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RegisterWellForm(ReachedChoicesForm):
    code = forms.CharField(label=_("Well code"), max_length=40)
    owner_name = forms.CharField(label=_("Owner"), max_length=200)
    owner_kind = forms.ChoiceField(label=_("Owner kind"), choices=OwnerKind.choices)
    township = forms.ModelChoiceField(
        label=_("Township or street"), queryset=Township.objects.all(), to_field_name="code"
    )
    village = forms.CharField(label=_("Village or community"), required=False, max_length=100)
    uses = forms.MultipleChoiceField(label=_("Uses"), choices=Use.choices, widget=forms.CheckboxSelectMultiple)
    responsible_unit = forms.ModelChoiceField(
        label=_("Responsible unit"), queryset=Unit.objects.order_by("kind", "name")
    )
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.all())

    def engine_data(self):
        data = dict(self.cleaned_data)
        data["township"] = data["township"].code
        data["responsible_unit"] = data["responsible_unit"].pk
        data["campaign"] = data["campaign"].pk
        return data


class PublicReportForm(forms.Form):
    """The public's report. The honeypot is a field people never see."""

    description = forms.CharField(
        label=_("What did you see?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    photos = PhotosField(label=_("Photos"), required=False)
    lat = forms.CharField(label=_("Latitude"), required=False, max_length=30)
    lng = forms.CharField(label=_("Longitude"), required=False, max_length=30)
    phone = forms.CharField(
        label=_("Your phone (optional)"),
        required=False,
        max_length=20,
        help_text=_("Only the water bureau sees it, to ask you about the report."),
    )
    well = forms.CharField(widget=forms.HiddenInput, required=False, max_length=40)


PublicReportForm.base_fields[HONEYPOT_FIELD] = forms.CharField(
    label=_("Leave this empty"),
    required=False,
    max_length=200,
    widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
)


class NewTicketForm(forms.Form):
    """A problem opened by hand (staff, or an officer from an inspection)."""

    source = forms.ChoiceField(label=_("Source"), choices=[(s.value, s.label) for s in HAND_SOURCES])
    description = forms.CharField(label=_("Description"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    well = forms.CharField(label=_("Well code"), required=False, max_length=40)
    lat = forms.DecimalField(label=_("Latitude"), required=False, max_digits=9, decimal_places=6)
    lng = forms.DecimalField(label=_("Longitude"), required=False, max_digits=9, decimal_places=6)


ACTION_FORMS = {
    "assign": AssignForm,
    "rectify": RectifyForm,
    "review_pass": ReviewPassForm,
    "review_fail": ReviewFailForm,
    "reply": ReplyForm,
    "register_well": RegisterWellForm,
}
