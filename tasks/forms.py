"""Forms of the work ledger's pages."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tasks.services import complete_task
from wells.changes import WorkflowError
from wells.choices import ACTION_NOTE_MAX_LENGTH
from wells.forms import PHOTO_INPUT_ATTRS, DateInput, MultipleFileField, storing_photos
from wells.models import Attachment, Well


class SupplyForm(forms.Form):
    """The replacement supply recorded by the unit that holds its task
    (先通水后关停): the date it was connected and its evidence — photos
    taken now or chosen from the phone, or files already on the well."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    supply_connected_on = forms.DateField(label=_("Connected on"), widget=DateInput)
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        help_text=_("Photos of the connection (JPEG or PNG). They are kept only if the supply is recorded."),
    )
    attachments = forms.ModelMultipleChoiceField(
        label=_("Evidence already uploaded"),
        queryset=Attachment.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label=_("Note"), required=False, max_length=ACTION_NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, task, **kwargs):
        super().__init__(*args, **kwargs)
        self.task = task
        self.initial.setdefault("version", task.well.version)
        self.fields["photos"].widget.attrs.update(PHOTO_INPUT_ATTRS)
        chooser = self.fields["attachments"]
        chooser.queryset = Attachment.objects.filter(well_id=task.well_id).order_by("uploaded_at", "pk")
        if not chooser.queryset.exists():
            self.fields["attachments"].widget = forms.MultipleHiddenInput()

    def submit(self, actor):
        """Store the photos and complete the task in one transaction; return
        the task, or None when the form now says why not (a refusal the
        caller answers otherwise — forbidden, not found — is raised)."""
        well = self.task.well
        try:
            with storing_photos(well=well, uploads=self.cleaned_data["photos"], actor=actor) as stored:
                data = {
                    "supply_connected_on": self.cleaned_data["supply_connected_on"],
                    "attachments": [a.pk for a in [*self.cleaned_data["attachments"], *stored]],
                    "note": self.cleaned_data["note"],
                }
                return complete_task(self.task, actor=actor, data=data, version=self.cleaned_data["version"])
        except WorkflowError as error:
            if error.code in (WorkflowError.FORBIDDEN, WorkflowError.NOT_FOUND):
                raise
            field = {"attachments": "photos"}.get(error.field, error.field)
            self.add_error(field if field in self.fields and field != "version" else None, error.message)
            if error.code == WorkflowError.STALE:
                self.task.well = Well.objects.get(pk=well.pk)
                self.data = self.data.copy()
                self.data["version"] = str(self.task.well.version)
                self.add_error(None, gettext("The well is shown below as it is now. Check it, then submit again."))
        except ValidationError as error:  # an uploaded photo was refused
            self.add_error("photos", error)
        return None
