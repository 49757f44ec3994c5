"""Forms of the lifecycle pages: one small form per action, built from
:data:`wells.choices.ACTION_FIELDS`, the attachment upload and the
inspection record.

The forms only collect what a person types; whether an action is allowed is
decided by :func:`wells.workflow.perform`, whose refusals the views put back
on the form."""

from contextlib import contextmanager

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit
from wells.changes import WorkflowError, change_facts, editable_fields, record_inspection
from wells.choices import (
    ACTION_FIELDS,
    ACTION_NOTE_MAX_LENGTH,
    ACTION_TEXT_MAX_LENGTH,
    Action,
    AttachmentKind,
    FieldKind,
    InspectionResult,
    Status,
)
from wells.models import Attachment, Inspection, Well
from wells.photos import check_photos, claimed_facts, delete_thumbnails
from wells.uploads import store_attachment
from wells.workflow import perform

# On a phone, a photo input that accepts images offers the camera and the
# gallery alike (``capture`` would force the camera: a photo taken earlier,
# out of signal, could not be picked).
PHOTO_INPUT_ATTRS = {"accept": "image/*"}


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


# The seal's photo upload: files, not a value for the workflow. The form
# stores them and adds their ids to ``attachments``.
PHOTO_UPLOAD = "photos"
UPLOAD_FIELDS = frozenset({PHOTO_UPLOAD})


def _text_field(field, well):
    return {
        field.name: forms.CharField(
            label=field.label, required=field.required, max_length=ACTION_TEXT_MAX_LENGTH, help_text=field.help_text
        )
    }


def _reason_field(field, well):
    return {
        field.name: forms.CharField(
            label=field.label,
            required=field.required,
            max_length=ACTION_TEXT_MAX_LENGTH,
            help_text=field.help_text,
            widget=forms.Textarea(attrs={"rows": 3}),
        )
    }


def _date_field(field, well):
    # Done or planned, the same picker: the guard refuses a done date in the
    # future. The date of something done, left empty on a phone without
    # signal, is the day it was recorded (offline.js).
    attrs = {"data-done-date": ""} if field.kind == FieldKind.DATE else None
    return {
        field.name: forms.DateField(
            label=field.label, required=field.required, help_text=field.help_text, widget=DateInput(attrs)
        )
    }


def _attachment_fields(field, well):
    # Photos taken now and a choice among those uploaded before: the guard
    # needs one of them together, so neither input is required alone.
    return {
        PHOTO_UPLOAD: MultipleFileField(
            label=_("Photos"),
            required=False,
            help_text=_("Photos of the sealed well (JPEG or PNG). They are kept only if the seal is recorded."),
        ),
        field.name: forms.ModelMultipleChoiceField(
            label=field.label,
            queryset=Attachment.objects.filter(well=well, kind=AttachmentKind.PHOTO).order_by("uploaded_at", "pk"),
            required=False,
            help_text=field.help_text,
            widget=forms.CheckboxSelectMultiple,
        ),
    }


def _inspection_field(field, well):
    return {
        field.name: forms.ModelChoiceField(
            label=field.label,
            queryset=Inspection.objects.filter(well=well, result=InspectionResult.IN_USE),
            required=field.required,
            help_text=field.help_text,
        )
    }


_FORM_FIELDS = {
    FieldKind.TEXT: _text_field,
    FieldKind.REASON: _reason_field,
    FieldKind.DATE: _date_field,
    FieldKind.PLAN_DATE: _date_field,
    FieldKind.ATTACHMENTS: _attachment_fields,
    FieldKind.INSPECTION: _inspection_field,
}


def action_form_fields(action, well):
    """The form fields of ``action`` on ``well`` (``None`` for a bulk action),
    by name, built from its declaration in ``ACTION_FIELDS``. The names are
    the ones :func:`wells.workflow.perform` takes, so a refusal naming a
    field lands on it."""
    fields = {}
    for field in ACTION_FIELDS[action]:
        fields.update(_FORM_FIELDS[field.kind](field, well))
    return fields


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
            delete_thumbnails(attachment)
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
        self.fields.update(action_form_fields(self.action, well))
        self.fields["note"] = forms.CharField(
            label=_("Note"),
            required=False,
            max_length=ACTION_NOTE_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 3}),
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
        # The workflow takes rows by their ids, as the API gives them.
        for field in ACTION_FIELDS[self.action]:
            if field.kind == FieldKind.ATTACHMENTS:
                chosen = data.get(field.name) or []
                data[field.name] = [attachment.pk for attachment in [*chosen, *uploaded_attachments]]
            elif field.kind == FieldKind.INSPECTION and data.get(field.name) is not None:
                data[field.name] = data[field.name].pk
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
            self.add_error(PHOTO_UPLOAD, error)
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
    """The action form of the field pages: photo inputs offer the phone's
    camera and gallery."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in UPLOAD_FIELDS & self.fields.keys():
            self.fields[name].widget.attrs.update(PHOTO_INPUT_ATTRS)
        # With no photo uploaded before, the choice among them is empty:
        # hide it, and let a refusal about photos land on the photo input.
        chooser = self.fields.get("attachments")
        self.photos_only = chooser is not None and PHOTO_UPLOAD in self.fields and not chooser.queryset.exists()
        if self.photos_only:
            chooser.widget = forms.MultipleHiddenInput()

    def add_workflow_error(self, error: WorkflowError):
        if self.photos_only and error.field == "attachments":
            self.add_error(PHOTO_UPLOAD, error.message)
        else:
            super().add_workflow_error(error)


class AttachmentUploadForm(forms.Form):
    """Evidence for a well; checked and stored by
    :func:`wells.uploads.store_attachment`."""

    kind = forms.ChoiceField(label=_("Kind"), choices=AttachmentKind.choices)
    file = forms.FileField(label=_("File"), help_text=_("JPEG, PNG or PDF."))


class InspectionAdminForm(forms.ModelForm):
    """An inspection as the admin records it (through
    :func:`wells.changes.record_inspection`, like every other path)."""

    deadline = forms.DateField(
        label=_("New deadline"),
        required=False,
        widget=DateInput,
        help_text=_("When the inspection finds an accepted well in use: the new deadline for closing it again."),
    )

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

    def inspection_values(self):
        """The inspection's own fields, as its door takes them."""
        return {name: self.cleaned_data[name] for name in ("inspected_on", "result", "lat", "lng", "note")}

    def add_workflow_error(self, error: WorkflowError):
        field = error.field if error.field in self.fields else None
        self.add_error(field, error.message)


class EvidenceUploadForm(AttachmentUploadForm):
    """The upload form of the field pages: the file picker offers photos
    (and the camera) and PDF documents. The phone shrinks a photo before
    sending it (wells/static/wells/offline.js), which drops its EXIF: it
    reads the position and time first and sends them in the hidden
    ``exif_*`` fields, which stand for what the shrunk file no longer says."""

    exif_lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    exif_lng = forms.FloatField(required=False, widget=forms.HiddenInput)
    exif_taken_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update({"accept": "image/jpeg,image/png,application/pdf", "data-shrink": ""})

    def clean(self):
        cleaned = super().clean()
        try:
            self.claimed = claimed_facts(
                lat=cleaned.get("exif_lat"), lng=cleaned.get("exif_lng"), taken_at=cleaned.get("exif_taken_at")
            )
        except ValidationError as error:
            self.claimed = None
            for messages in error.message_dict.values():
                self.add_error(None, messages)
        return cleaned


class InspectionForm(InspectionAdminForm):
    """An inspection (巡查, 回头看) recorded on the well's page, with photos
    and the version of the well the officer read. One that finds an
    accepted well in use reactivates it, with the new deadline."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    photos = MultipleFileField(
        label=_("Photos"),
        required=False,
        widget=MultipleFileInput(attrs=PHOTO_INPUT_ATTRS),
        help_text=_("JPEG or PNG. They are kept only if the inspection is recorded."),
    )

    class Meta(InspectionAdminForm.Meta):
        fields = ["inspected_on", "result", "lat", "lng", "note"]
        widgets = {"inspected_on": DateInput, "note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, well, **kwargs):
        super().__init__(*args, **kwargs)
        self.well = well
        self.initial.setdefault("version", well.version)
        self.order_fields(["inspected_on", "result", "deadline", "lat", "lng", "note", "photos"])

    def record(self, *, actor):
        """Store the photos and record the inspection through its door, in
        one transaction. Raises ``WorkflowError`` or ``ValidationError`` (a
        photo), and then keeps nothing."""
        with storing_photos(well=self.well, uploads=self.cleaned_data["photos"], actor=actor) as photos:
            inspection = record_inspection(
                self.well,
                actor=actor,
                values=self.inspection_values(),
                version=self.cleaned_data["version"],
                photos=photos,
                deadline=self.cleaned_data.get("deadline"),
            )
            check_photos(photos, self.well, inspection.inspected_on)
        return inspection

    def submit(self, *, actor):
        """:meth:`record`, with a refusal put on the form: the inspection, or
        None when the form now shows why not (after a stale refusal, with the
        current version, so that submitting again goes ahead)."""
        try:
            return self.record(actor=actor)
        except WorkflowError as error:
            if error.code in (WorkflowError.FORBIDDEN, WorkflowError.NOT_FOUND):
                raise
            self.add_workflow_error(error)
            if error.code == WorkflowError.STALE:
                self.data = self.data.copy()
                self.data["version"] = str(Well.objects.values_list("version", flat=True).get(pk=self.well.pk))
        except ValidationError as error:  # a photo, or the inspection's own rules
            self.add_error("photos" if not hasattr(error, "error_dict") else None, error)
        return None


# The facts a well's page lets its users change, in this order; each user
# sees those their role may change (wells.changes.editable_fields): an
# officer the responsible person, the location and the note.
PAGE_FACT_FIELDS = ("responsible_person", "lat", "lng", "note", "village", "meter_no", "responsible_unit", "deadline")


class FactsForm(forms.ModelForm):
    """The facts of one well its user may change, with the version they
    read; saved only through :func:`wells.changes.change_facts`, which
    checks every value and writes the history."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Well
        fields = PAGE_FACT_FIELDS
        widgets = {"deadline": DateInput, "note": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = editable_fields(user)
        for name in PAGE_FACT_FIELDS:
            if name not in allowed:
                del self.fields[name]
        self.initial.setdefault("version", self.instance.version)
        if "responsible_unit" in self.fields:
            # Only the units of the user's reach (another bureau's are not offered).
            self.fields["responsible_unit"].queryset = Unit.objects.visible_to(user).order_by("kind", "name")
        for name in ("lat", "lng"):
            if name in self.fields:
                self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "any"})

    @staticmethod
    def editable_by(user):
        return bool(editable_fields(user) & set(PAGE_FACT_FIELDS))

    def _post_clean(self):
        # The door validates the well (wells.changes._validate) and refuses
        # with the field it names; the form must not change the instance.
        pass

    def submit(self, actor):
        """Change the facts that were changed; return the well, or None when
        the form now says why not."""
        values = {name: self.cleaned_data[name] for name in self.changed_data if name != "version"}
        try:
            return change_facts(self.instance, actor=actor, values=values, version=self.cleaned_data["version"])
        except WorkflowError as error:
            if error.code in (WorkflowError.FORBIDDEN, WorkflowError.NOT_FOUND):
                raise
            self.add_error(
                error.field if error.field in self.fields and error.field != "version" else None, error.message
            )
            if error.code == WorkflowError.STALE:
                self.instance = Well.objects.get(pk=self.instance.pk)
                self.data = self.data.copy()
                self.data["version"] = str(self.instance.version)
                self.add_error(None, gettext("The well is shown below as it is now. Check it, then submit again."))
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return None


class SearchForm(forms.Form):
    """The search of an officer's wells and of anyone's tasks: the ledger's
    own ``q`` and ``status`` (wells.filtersets.WellFilterSet reads them)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any status")), *Status.choices])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(
            {"type": "search", "placeholder": gettext("Code, owner or village"), "enterkeyhint": "search"}
        )


def search_form(query):
    return SearchForm({"q": query.get("q", ""), "status": query.get("status", "")})


def submit_or_refuse(form, actor):
    """``form.submit(actor)`` (the updated object, or None when the form now
    says why not); a refusal no form can show answers as Django's 404 (out
    of scope) or 403 (not this person's to do)."""
    try:
        return form.submit(actor)
    except WorkflowError as error:
        if error.code == WorkflowError.NOT_FOUND:
            raise Http404(error.message) from error
        raise PermissionDenied(error.message) from error
