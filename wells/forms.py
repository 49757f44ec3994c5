"""Forms of the lifecycle pages: one small form per action, built from
:data:`ACTION_FIELDS`, the attachment upload and the inspection record.

The forms only collect what a person types; whether an action is allowed is
decided by :func:`wells.workflow.perform`, whose refusals the views put back
on the form."""

from contextlib import contextmanager

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from wells.choices import Action, AttachmentKind, InspectionResult, Status
from wells.models import Attachment, Inspection, Well
from wells.photos import check_photos
from wells.uploads import store_attachment
from wells.workflow import WorkflowError, perform

# On a phone, a photo input with these opens the camera at the back.
CAMERA_ATTRS = {"accept": "image/*", "capture": "environment"}


class DateInput(forms.DateInput):
    """The browser's own date picker: no script, and a phone shows its
    native calendar."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when none)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return super().clean(None, initial) or []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(upload, initial) for upload in files]


def _text(label, help_text=""):
    return lambda well: forms.CharField(label=label, max_length=500, help_text=help_text)


def _date(label):
    return lambda well: forms.DateField(label=label, widget=DateInput)


def _reason(well):
    return forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


def _seal_photos(well):
    return MultipleFileField(
        label=_("Photos"),
        required=False,
        help_text=_("Photos of the sealed well (JPEG or PNG). They are kept only if the seal is recorded."),
    )


def _seal_attachments(well):
    return forms.ModelMultipleChoiceField(
        label=_("Photos already uploaded"),
        queryset=Attachment.objects.filter(well=well, kind=AttachmentKind.PHOTO).order_by("uploaded_at", "pk"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


def _inspection(well):
    return forms.ModelChoiceField(
        label=_("Inspection that found it in use"),
        queryset=Inspection.objects.filter(well=well, result=InspectionResult.IN_USE),
        required=False,
    )


# The fields of each action (DESIGN §3 "Action fields"): name -> a function
# of the well that makes the form field. The names are the ones
# wells.workflow.perform takes, so a refusal naming a field lands on it.
ACTION_FIELDS = {
    Action.NOTIFY: {
        "notice_no": _text(_("Notice number")),
        "served_on": _date(_("Date served")),
        "comply_by": _date(_("Comply by")),
    },
    Action.REVOKE_LICENSE: {
        "revocation_no": _text(_("Revocation document number")),
        "revoked_on": _date(_("Revoked on")),
    },
    Action.DISCONNECT: {"disconnected_on": _date(_("Power cut on"))},
    Action.SEAL: {
        "sealed_on": _date(_("Sealed on")),
        "method": _text(_("Sealing method"), _("For example: backfilled with clay and gravel, concrete cap.")),
        "photos": _seal_photos,
        "attachments": _seal_attachments,
    },
    Action.ACCEPT: {
        "accepted_on": _date(_("Accepted on")),
        "inspectors": _text(_("Inspectors")),
    },
    Action.RETAIN: {"reason": _reason, "review_on": _date(_("Review on"))},
    Action.RELEASE: {"reason": _reason},
    Action.REACTIVATE: {"reason": _reason, "inspection": _inspection},
    Action.ESCALATE: {"reason": _reason},
    Action.REVERT: {"reason": _reason},
}

# Form fields that hold uploads rather than values for the workflow.
UPLOAD_FIELDS = frozenset({"photos"})


@contextmanager
def storing_photos(*, well, uploads, actor):
    """Store ``uploads`` as photos of ``well`` and run the block in the same
    transaction, yielding the stored attachments. If the block (or a photo)
    fails, the rows roll back and the files are deleted: a refused action
    keeps no evidence behind."""
    stored = []
    try:
        with transaction.atomic():
            for upload in uploads:
                stored.append(store_attachment(well=well, kind=AttachmentKind.PHOTO, upload=upload, uploaded_by=actor))
            yield stored
    except BaseException:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise


class ActionForm(forms.Form):
    """The fields of one action, an optional note and, for a single well,
    the version the person read. With ``well=None`` it serves a bulk action
    over many wells, which has no version."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, action, well=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.action = Action(action)
        self.well = well
        if well is None:
            del self.fields["version"]
        else:
            self.initial.setdefault("version", well.version)
        for name, make_field in ACTION_FIELDS[self.action].items():
            self.fields[name] = make_field(well)
        self.fields["note"] = forms.CharField(
            label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
        )

    @property
    def uploads(self):
        """The files uploaded with the action (seal photos)."""
        return [upload for name in UPLOAD_FIELDS if name in self.cleaned_data for upload in self.cleaned_data[name]]

    def workflow_data(self, uploaded_attachments=()):
        """The cleaned fields as :func:`wells.workflow.perform` takes them,
        with the attachments stored from this form's uploads added."""
        data = {
            name: value for name, value in self.cleaned_data.items() if name != "version" and name not in UPLOAD_FIELDS
        }
        if "attachments" in self.fields:
            chosen = data.get("attachments") or []
            data["attachments"] = [attachment.pk for attachment in [*chosen, *uploaded_attachments]]
        if data.get("inspection") is not None:
            data["inspection"] = data["inspection"].pk
        return data

    def add_workflow_error(self, error: WorkflowError):
        """Show a refusal on the field it names, or above the form."""
        field = error.field if error.field in self.fields and error.field != "version" else None
        self.add_error(field, error.message)

    def refresh_version(self, current_version):
        """After a stale refusal: keep what was typed, but carry the current
        version so that submitting again (having seen the well as it is now)
        goes ahead."""
        self.data = self.data.copy()
        self.data["version"] = str(current_version)

    def perform(self, actor):
        """Store the uploaded photos and take the action on the form's well
        in one transaction; return the updated well. Raises
        :class:`WorkflowError` when refused and ``ValidationError`` when a
        photo is; either way neither the rows nor the files are kept."""
        with storing_photos(well=self.well, uploads=self.uploads, actor=actor) as stored:
            return perform(
                self.well,
                self.action,
                actor=actor,
                data=self.workflow_data(stored),
                version=self.cleaned_data["version"],
            )

    def submit(self, actor):
        """:meth:`perform`, with a refusal put on the form: return the
        updated well, or None when the form now shows why not. After a stale
        refusal ``self.well`` is the well as it is now. Only a refusal the
        caller must answer otherwise (``forbidden``, ``not_found``) is raised."""
        try:
            return self.perform(actor)
        except WorkflowError as error:
            if error.code in (WorkflowError.FORBIDDEN, WorkflowError.NOT_FOUND):
                raise
            self.add_workflow_error(error)
            if error.code == WorkflowError.STALE:
                self.well = Well.objects.select_related("township", "responsible_unit").get(pk=self.well.pk)
                self.refresh_version(self.well.version)
                self.add_error(None, gettext("The well is shown below as it is now. Check it, then submit again."))
        except ValidationError as error:  # an uploaded photo was refused
            self.add_error("photos", error)
        return None

    @staticmethod
    def notice_served_message(count):
        """What the bulk closure notice says when every well took it."""
        return ngettext(
            "The closure notice is served on %(count)d well.",
            "The closure notice is served on %(count)d wells.",
            count,
        ) % {"count": count}

    def perform_on(self, wells, actor):
        """Take the action (a bulk one, without photos) on every well in
        one transaction, all or nothing. Return the refusals as
        ``[(well, message)]``: if there is any, no well was changed."""
        refused = []
        with transaction.atomic():
            for well in wells:
                try:
                    perform(well, self.action, actor=actor, data=self.workflow_data())
                except WorkflowError as error:
                    refused.append((well, error.message))
            if refused:
                transaction.set_rollback(True)
        return refused


class PageActionForm(ActionForm):
    """The action form of the field pages: photo inputs open the phone's
    camera."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in UPLOAD_FIELDS & self.fields.keys():
            self.fields[name].widget.attrs.update(CAMERA_ATTRS)
        # With no photo uploaded before, the choice among them is empty:
        # hide it, and let a refusal about photos land on the photo input.
        chooser = self.fields.get("attachments")
        self.photos_only = chooser is not None and "photos" in self.fields and not chooser.queryset.exists()
        if self.photos_only:
            chooser.widget = forms.MultipleHiddenInput()

    def add_workflow_error(self, error: WorkflowError):
        if self.photos_only and error.field == "attachments":
            self.add_error("photos", error.message)
        else:
            super().add_workflow_error(error)


class AttachmentUploadForm(forms.Form):
    """Evidence for a well; checked and stored by
    :func:`wells.uploads.store_attachment`."""

    kind = forms.ChoiceField(label=_("Kind"), choices=AttachmentKind.choices)
    file = forms.FileField(label=_("File"), help_text=_("JPEG, PNG or PDF."))


class InspectionAdminForm(forms.ModelForm):
    class Meta:
        model = Inspection
        fields = ["well", "inspected_on", "result", "lat", "lng", "note"]
        widgets = {"inspected_on": DateInput}

    def clean_inspected_on(self):
        inspected_on = self.cleaned_data["inspected_on"]
        if inspected_on > timezone.localdate():
            raise ValidationError(_("The inspection date cannot be in the future."))
        return inspected_on

    def clean(self):
        cleaned = super().clean()
        if (cleaned.get("lat") is None) != (cleaned.get("lng") is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))
        return cleaned


class EvidenceUploadForm(AttachmentUploadForm):
    """The upload form of the field pages: the file picker offers photos
    (and the camera) and PDF documents."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = "image/jpeg,image/png,application/pdf"


class InspectionForm(InspectionAdminForm):
    """An inspection (巡查, 回头看) recorded on the well's page, with photos.
    One that finds an accepted well in use reactivates it."""

    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        widget=MultipleFileInput(attrs=CAMERA_ATTRS),
        help_text=_("JPEG or PNG. They are kept only if the inspection is recorded."),
    )

    class Meta(InspectionAdminForm.Meta):
        fields = ["inspected_on", "result", "lat", "lng", "note"]
        widgets = {"inspected_on": DateInput, "note": forms.Textarea(attrs={"rows": 3})}

    def record(self, *, well, actor):
        """Save the inspection and its photos; if it found an accepted well
        in use, reactivate the well through the workflow, all in one
        transaction. Raises ``WorkflowError`` or ``ValidationError`` (a
        photo), and then keeps nothing."""
        with storing_photos(well=well, uploads=self.cleaned_data["photos"], actor=actor) as photos:
            inspection = self.save(commit=False)
            inspection.well = well
            inspection.inspector = actor
            inspection.inspector_name = str(actor)[:150]
            inspection.save()
            Attachment.objects.filter(pk__in=[photo.pk for photo in photos]).update(inspection=inspection)
            check_photos(photos, well, inspection.inspected_on)
            locked = Well.objects.select_for_update().get(pk=well.pk)
            if inspection.result == InspectionResult.IN_USE and locked.status == Status.ACCEPTED:
                reason = inspection.note or gettext("Found in use at the inspection of %(date)s.") % {
                    "date": inspection.inspected_on.isoformat()
                }
                perform(
                    locked, Action.REACTIVATE, actor=actor, data={"reason": reason[:500], "inspection": inspection.pk}
                )
        return inspection
