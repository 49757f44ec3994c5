"""The admin: the bureau's working tool for the ledger.

Every admin here reaches wells through ``Well.objects.visible_to`` (records
of a well through the wells the user sees), so each role sees its scope and
an object outside it answers 404. The lifecycle is never edited: ``status``
and its companions are read-only, events cannot be added, changed or
deleted, and each action is a page that calls :func:`wells.workflow.perform`.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.choices import BUREAU_ROLES, Role
from wellclosure.admin import NotFoundOutsideScopeMixin
from wellclosure.paging import BoundedPaginator
from wells import bulk as bulk_actions
from wells.changes import (
    FACT_FIELDS,
    OFFICER_FIELDS,
    WorkflowError,
    archive_well,
    change_facts,
    check_version,
    create_well,
    record_inspection,
    restore_well,
)
from wells.choices import ACTION_ROLES, Action, Use
from wells.forms import ActionForm, AttachmentUploadForm, InspectionAdminForm
from wells.history import shown, well_history
from wells.models import Attachment, Campaign, Inspection, Phase, Township, Well, WellEvent
from wells.uploads import store_attachment
from wells.workflow import available_actions

# Changed only by wells.workflow.perform; shown read-only.
LIFECYCLE_FIELDS = ("status", "version", "enforced", "comply_by", "review_on")


class CappedPaginator(BoundedPaginator):
    """The admin's pages of a list that can hold millions of rows
    (wellclosure.paging: a COUNT over a million events took 4.5 s on every
    page). The admin shows ``count`` as the list's size, so here it is at
    most the cap, and past it the page reads "more than 10,000"
    (templates/admin/pagination.html): the filters or the search narrow
    the list."""

    @cached_property
    def count(self):
        return min(self.counted, self.cap)


class WellRecordAdmin(NotFoundOutsideScopeMixin, admin.ModelAdmin):
    """An admin for records that belong to a well: it reaches them only
    through the wells the user may see."""

    paginator = CappedPaginator

    def get_queryset(self, request):
        return super().get_queryset(request).filter(well__in=Well.objects.visible_to(request.user))

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInlineMixin:
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(well__in=Well.objects.visible_to(request.user))

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def download_link(attachment):
    url = reverse("wells:attachment-download", args=[attachment.pk])
    return format_html('<a href="{}">{}</a>', url, attachment.original_name)


class WellEventInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The well's latest events (:data:`SHOWN`); the rest are one click
    away in the event list, filtered to the well (see
    :meth:`WellAdmin.events_shown`): a well with thousands of events once
    made a page of megabytes."""

    SHOWN = 50
    model = WellEvent
    fields = readonly_fields = ("created_at", "action", "from_status", "to_status", "actor_name", "note", "data")
    ordering = ("-created_at", "-pk")
    verbose_name_plural = _("History")


class AttachmentInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = Attachment
    fields = readonly_fields = ("kind", "download", "size_display", "uploaded_by", "uploaded_at", "event_action")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by", "event")

    @admin.display(description=_("file"))
    def download(self, obj):
        return download_link(obj)

    @admin.display(description=_("size"))
    def size_display(self, obj):
        return filesizeformat(obj.size)

    @admin.display(description=_("action"))
    def event_action(self, obj):
        return obj.event.get_action_display() if obj.event_id else ""


class VisibleRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """The campaigns or units the user reads (their ``visible_to``, as the
    ledger's filters), not the distinct values of every well of the list
    (``RelatedOnlyFieldListFilter``: a DISTINCT over a million wells on each
    page, 0.2 and 0.5 s of the well list's 0.8 s)."""

    def field_choices(self, field, request, model_admin):
        visible = field.remote_field.model.objects.visible_to(request.user).values("pk")
        ordering = self.field_admin_ordering(field, request, model_admin)
        return field.get_choices(include_blank=False, limit_choices_to={"pk__in": visible}, ordering=ordering)


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue()
        if self.value() == "no":
            return queryset.not_overdue()
        return queryset


class ArchivedFilter(admin.SimpleListFilter):
    """The wells in the work unless the archive is asked for (bureau roles:
    nobody else's scope holds archived wells)."""

    title = _("archived")
    parameter_name = "archived"

    def lookups(self, request, model_admin):
        return [("yes", _("Archived")), ("all", _("All"))]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": _("Not archived"),
        }
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        if self.value() == "all":
            return queryset
        return queryset.filter(archived_at__isnull=True)


class WellAdminForm(forms.ModelForm):
    """The well's change form, carrying the version it was read at: a save
    over a newer change is refused, as the API refuses it (409)."""

    read_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["read_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            try:
                check_version(Well.objects.only("version").get(pk=self.instance.pk), cleaned.get("read_version") or 0)
            except WorkflowError as error:
                raise ValidationError(error.message) from None
        return cleaned


@admin.register(Well)
class WellAdmin(NotFoundOutsideScopeMixin, admin.ModelAdmin):
    list_display = (
        "code",
        "owner_name",
        "township",
        "village",
        "responsible_unit",
        "category",
        "status",
        "deadline",
        "overdue",
        "enforced",
    )
    list_filter = (
        ("campaign", VisibleRelatedFieldListFilter),
        ArchivedFilter,
        "status",
        "category",
        ("responsible_unit", VisibleRelatedFieldListFilter),
        OverdueFilter,
    )
    search_fields = ("code", "owner_name", "village")
    list_select_related = ("township", "responsible_unit")
    # The full count is one more query over the whole scope on every page.
    show_full_result_count = False
    paginator = CappedPaginator
    list_per_page = 50
    form = WellAdminForm
    actions = ["serve_closure_notice", "archive", "restore"]
    inlines = [AttachmentInline, WellEventInline]
    fieldsets = (
        # read_version: hidden, the version the form was read at.
        (None, {"fields": ("code", "campaign", "category", "read_version")}),
        (_("Owner"), {"fields": ("owner_name", "owner_kind")}),
        (_("Location"), {"fields": ("township", "village", "lat", "lng", "zone")}),
        (_("The well"), {"fields": ("uses", "depth_m", "license_no", "meter_no", "supply_connected_on")}),
        (_("Responsibility"), {"fields": ("responsible_unit", "responsible_person", "deadline")}),
        (_("Lifecycle"), {"fields": LIFECYCLE_FIELDS}),
        (None, {"fields": ("note", "archived_at", "created_at", "updated_at")}),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            fieldsets = tuple(
                (name, {**options, "fields": tuple(f for f in options["fields"] if f != "read_version")})
                for name, options in fieldsets
            )
        else:
            # The well's history, from its doors' records, after the facts.
            fieldsets = (
                *fieldsets,
                (_("Change history"), {"classes": ["collapse"], "fields": ["change_history"]}),
                (_("Events"), {"fields": ["events_shown"]}),
            )
        editable = self._editable_fields(request, obj)
        if editable is None or "uses" in editable:
            return fieldsets
        # The list of codes shows as "-" in Django's read-only display; show
        # the labels instead.
        return tuple(
            (name, {**options, "fields": tuple("uses_display" if f == "uses" else f for f in options["fields"])})
            for name, options in fieldsets
        )

    def get_queryset(self, request):
        # The archive too, for bureau roles: the list shows it only when
        # asked (ArchivedFilter), and an archived well's page is reachable.
        queryset = Well.objects.visible_to(request.user, archived=None)
        ordering = self.get_ordering(request)
        return queryset.order_by(*ordering) if ordering else queryset

    # Columns and read-only displays ---------------------------------------

    @admin.display(description=_("overdue"))
    def overdue(self, obj):
        # Words, not the boolean icons: a green tick beside an overdue well
        # reads as "all is well".
        if obj.is_overdue:
            return format_html('<strong class="overdue-mark" style="color:#b3261e">{}</strong>', _("Overdue"))
        return "—"

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, WellEventInline) and obj is not None and obj.pk:
            latest = obj.events.order_by("-created_at", "-pk").values_list("pk", flat=True)[: inline.SHOWN]
            kwargs["queryset"] = inline.get_queryset(request).filter(pk__in=list(latest))
        return kwargs

    @admin.display(description=_("events"))
    def events_shown(self, obj):
        total = obj.events.count()
        link = reverse("admin:wells_wellevent_changelist") + f"?well__exact={obj.pk}"
        if total <= WellEventInline.SHOWN:
            label = ngettext("%(count)s event", "%(count)s events", total) % {"count": total}
            return format_html('<a href="{}">{}</a>', link, label)
        return format_html(
            '{} <a href="{}">{}</a>',
            gettext("The latest %(shown)s of %(count)s events are shown below.")
            % {"shown": WellEventInline.SHOWN, "count": total},
            link,
            gettext("All events of this well"),
        )

    @admin.display(description=_("Change history"))
    def change_history(self, obj):
        return render_to_string("includes/change_history.html", {"history": shown(well_history(obj))})

    @admin.display(description=_("uses"))
    def uses_display(self, obj):
        labels = dict(Use.choices)
        return "、".join(str(labels.get(code, code)) for code in obj.uses)

    # Who may edit what ----------------------------------------------------

    def _editable_fields(self, request, obj):
        if obj is None and not self.has_add_permission(request):
            return frozenset()
        if obj is not None and (obj.archived_at is not None or not self.has_change_permission(request, obj)):
            # An archived well is read until it is restored.
            return frozenset()
        if request.user.role == Role.TOWNSHIP_OFFICER:
            return OFFICER_FIELDS
        return None  # every fact

    def get_readonly_fields(self, request, obj=None):
        editable = self._editable_fields(request, obj)
        fields = helpers.flatten_fieldsets(self.get_fieldsets(request, obj))
        always = {
            *LIFECYCLE_FIELDS,
            # Recorded only through its task (DESIGN §3).
            "supply_connected_on",
            "archived_at",
            "created_at",
            "updated_at",
            "uses_display",
            "change_history",
            "events_shown",
        }
        return [
            f for f in fields if f in always or (editable is not None and f not in editable and f != "read_version")
        ]

    def has_delete_permission(self, request, obj=None):
        # Wells are never deleted: a bureau administrator archives them.
        return False

    def has_archive_permission(self, request):
        return request.user.role in BUREAU_ROLES

    @admin.action(
        description=_("Archive the selected wells (they are kept, with their history)"), permissions=["archive"]
    )
    def archive(self, request, queryset):
        """Take wells out of the work without deleting anything: entered by
        mistake, or found twice. Each through its door, with its record."""
        self._archive_door(request, queryset, archive_well, gettext("Archived from the admin list."))

    @admin.action(description=_("Restore the selected wells from the archive"), permissions=["archive"])
    def restore(self, request, queryset):
        self._archive_door(request, queryset, restore_well, gettext("Restored from the admin list."))

    def _archive_door(self, request, queryset, door, reason):
        done, refused = 0, []
        for well in queryset:
            try:
                # The list is the read: no version was held before.
                door(well, actor=request.user, reason=reason, version=None)
            except WorkflowError as error:
                refused.append(f"{well.code}: {error.message}")
            else:
                done += 1
        if door is archive_well:
            message = ngettext("%(count)d well archived.", "%(count)d wells archived.", done)
        else:
            message = ngettext("%(count)d well restored.", "%(count)d wells restored.", done)
        self.message_user(request, message % {"count": done}, messages.SUCCESS)
        for line in refused:
            self.message_user(request, line, messages.WARNING)

    def has_notify_permission(self, request):
        return request.user.role in ACTION_ROLES[Action.NOTIFY]

    def save_model(self, request, obj, form, change):
        """Through the well's doors: a new well by create_well (with its
        tasks), a change of facts by change_facts with the version the form
        was read at. A refusal under the lock (a change that slipped in since
        the form was checked) is shown, and nothing is saved."""
        values = {name: form.cleaned_data[name] for name in form.changed_data if name in FACT_FIELDS}
        try:
            if not change:
                values = {name: form.cleaned_data[name] for name in form.cleaned_data if name in FACT_FIELDS}
                created = create_well(actor=request.user, values=values)
                obj.pk, obj.version = created.pk, created.version
            elif values:
                change_facts(obj, actor=request.user, values=values, version=form.cleaned_data.get("read_version"))
        except (WorkflowError, ValidationError) as error:
            request.door_refusal = getattr(error, "message", None) or "; ".join(error.messages)

    def response_add(self, request, obj, post_url_continue=None):
        return self._refused_response(request) or super().response_add(request, obj, post_url_continue)

    def response_change(self, request, obj):
        return self._refused_response(request) or super().response_change(request, obj)

    def _refused_response(self, request):
        refusal = getattr(request, "door_refusal", None)
        if refusal is None:
            return None
        self.message_user(request, refusal, messages.ERROR)
        return redirect(request.get_full_path())

    # The well's page: actions and uploads ----------------------------------

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["lifecycle_actions"] = [
                (action, self._url("action", obj.pk, action.value)) for action in available_actions(obj, request.user)
            ]
            if request.user.has_perm("wells.add_attachment") and obj.archived_at is None:
                context["upload_form"] = AttachmentUploadForm()
                context["upload_url"] = self._url("upload", obj.pk)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/action/<str:action>/",
                self.admin_site.admin_view(self.action_view),
                name="{}_{}_action".format(*info),
            ),
            path(
                "<path:object_id>/upload/",
                self.admin_site.admin_view(self.upload_view),
                name="{}_{}_upload".format(*info),
            ),
            *super().get_urls(),
        ]

    def _url(self, name, *args):
        info = self.opts.app_label, self.opts.model_name, name
        return reverse("admin:{}_{}_{}".format(*info), args=args, current_app=self.admin_site.name)

    def _well_for(self, request, object_id):
        well = self.get_object(request, unquote(object_id))
        if not self.has_view_permission(request, well):
            raise PermissionDenied
        return well

    def action_view(self, request, object_id, action):
        """One lifecycle action on one well: a form with the action's fields
        that calls :func:`wells.workflow.perform`."""
        well = self._well_for(request, object_id)
        try:
            action = Action(action)
        except ValueError:
            raise Http404(gettext("No such action.")) from None
        if request.user.role not in ACTION_ROLES[action]:
            raise PermissionDenied
        change_url = self._url("change", well.pk)

        if request.method == "POST":
            form = ActionForm(request.POST, request.FILES, action=action, well=well)
            if form.is_valid():
                try:
                    updated = form.submit(request.user)
                except WorkflowError as error:
                    if error.code == WorkflowError.FORBIDDEN:
                        raise PermissionDenied from error
                    raise Http404(error.message) from error
                if updated is not None:
                    self.message_user(
                        request,
                        gettext("“%(action)s” is recorded: the well is now “%(status)s”.")
                        % {"action": action.label, "status": updated.get_status_display()},
                        messages.SUCCESS,
                    )
                    return redirect(change_url)
                # After a stale refusal, the well as it is now.
                well = form.well
        else:
            if action not in available_actions(well, request.user):
                self.message_user(
                    request,
                    gettext("“%(action)s” is not possible for this well now (it is “%(status)s”).")
                    % {"action": action.label, "status": well.get_status_display()},
                    messages.WARNING,
                )
                return redirect(change_url)
            form = ActionForm(action=action, well=well)

        return self._render_well_form(request, well, form, title=action.label, submit=action.label)

    def upload_view(self, request, object_id):
        """Evidence for a well, stored through :func:`wells.uploads.store_attachment`."""
        well = self._well_for(request, object_id)
        if not request.user.has_perm("wells.add_attachment"):
            raise PermissionDenied
        form = AttachmentUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                attachment = store_attachment(
                    well=well,
                    kind=form.cleaned_data["kind"],
                    upload=form.cleaned_data["file"],
                    uploaded_by=request.user,
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                self.message_user(
                    request,
                    gettext("“%(name)s” is attached to the well.") % {"name": attachment.original_name},
                    messages.SUCCESS,
                )
                return redirect(self._url("change", well.pk))
        return self._render_well_form(request, well, form, title=gettext("Upload an attachment"), submit=_("Upload"))

    def _render_well_form(self, request, well, form, *, title, submit):
        visible = [field.name for field in form.visible_fields()]
        adminform = helpers.AdminForm(form, [(None, {"fields": visible})], {}, model_admin=self)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": str(well),
            "opts": self.opts,
            "original": well,
            "uses_display": self.uses_display(well),
            "form": form,
            "adminform": adminform,
            "media": self.media + adminform.media,
            "submit_label": submit,
            "change_url": self._url("change", well.pk),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/wells/well/well_form.html", context)

    # Bulk action ------------------------------------------------------------

    @admin.action(description=_("Serve closure notice to the selected wells"), permissions=["notify"])
    def serve_closure_notice(self, request, queryset):
        """Ask for the notice's dates once, then serve it on each selected
        well that can take it — each through its door, with its own number
        from the campaign's sequence — and name the others with the reason
        (wells.bulk, as the ledger's bulk notice)."""
        wells = list(queryset.select_related("township", "responsible_unit"))
        form = bulk_actions.bulk_form(bulk_actions.NOTIFY, request.POST if "apply" in request.POST else None)
        refused = []
        if form.is_bound and form.is_valid():
            result = bulk_actions.apply(bulk_actions.NOTIFY, form, wells, request.user)
            if result.done:
                self.message_user(request, ActionForm.notice_served_message(len(result.done)), messages.SUCCESS)
            for well, reason in result.skipped:
                self.message_user(
                    request,
                    gettext("%(well)s was left as it is: %(reason)s") % {"well": well.code, "reason": reason},
                    messages.WARNING,
                )
            return None
        adminform = helpers.AdminForm(form, [(None, {"fields": list(form.fields)})], {}, model_admin=self)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Serve closure notice"),
            "opts": self.opts,
            "wells": wells,
            "refused": refused,
            "form": form,
            "adminform": adminform,
            "media": self.media + adminform.media,
            "action_name": "serve_closure_notice",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/wells/well/bulk_notify.html", context)


@admin.register(WellEvent)
class WellEventAdmin(WellRecordAdmin):
    """The history, read-only for everyone: events are written only by the
    workflow."""

    list_display = ("created_at", "well", "action", "from_status", "to_status", "actor_name")
    # By date with Django's date filter (today, the past 7 days, this month,
    # this year), not date_hierarchy: that read the distinct years of every
    # event on each page.
    list_filter = ("action", "to_status", ("created_at", admin.DateFieldListFilter))
    search_fields = ("well__code", "actor_name", "note")
    list_select_related = ("well",)
    show_full_result_count = False
    fields = readonly_fields = (
        "well",
        "action",
        "from_status",
        "to_status",
        "actor_name",
        "created_at",
        "note",
        "data",
    )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Attachment)
class AttachmentAdmin(WellRecordAdmin):
    """Evidence, read-only: uploads go through the well's page, downloads
    through the scope-checked view."""

    list_display = ("original_name", "well", "kind", "download", "size_display", "uploaded_by", "uploaded_at")
    list_filter = ("kind",)
    search_fields = ("well__code", "original_name")
    list_select_related = ("well", "uploaded_by")
    show_full_result_count = False
    fields = readonly_fields = (
        "well",
        "kind",
        "download",
        "content_type",
        "size_display",
        "sha256",
        "uploaded_by",
        "uploaded_at",
        "event",
        "inspection",
    )

    @admin.display(description=_("download"))
    def download(self, obj):
        return download_link(obj)

    @admin.display(description=_("size"))
    def size_display(self, obj):
        return filesizeformat(obj.size)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Inspection)
class InspectionAdmin(WellRecordAdmin):
    form = InspectionAdminForm
    list_display = ("inspected_on", "well", "result", "inspector_name")
    list_filter = ("result",)
    search_fields = ("well__code", "inspector_name", "note")
    list_select_related = ("well",)
    show_full_result_count = False
    readonly_fields = ("inspector_name", "created_at")
    # A search box over the wells the user sees (WellAdmin's search), not a
    # <select> of every well: that page once took 168 s at a million wells.
    autocomplete_fields = ("well",)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "well":
            kwargs["queryset"] = Well.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_changeform_initial_data(self, request):
        return {"inspected_on": timezone.localdate(), **super().get_changeform_initial_data(request)}

    def has_change_permission(self, request, obj=None):
        # An inspection is a record: corrected by a new one, never edited.
        return False

    def save_model(self, request, obj, form, change):
        """Through the inspection's door, as the pages and the API record it:
        one that finds an accepted well in use reactivates it."""
        try:
            inspection = record_inspection(
                form.cleaned_data["well"],
                actor=request.user,
                values=form.inspection_values(),
                deadline=form.cleaned_data.get("deadline"),
            )
        except (WorkflowError, ValidationError) as error:
            request.door_refusal = getattr(error, "message", None) or "; ".join(error.messages)
        else:
            obj.pk = inspection.pk

    def response_add(self, request, obj, post_url_continue=None):
        refusal = getattr(request, "door_refusal", None)
        if refusal is not None:
            self.message_user(request, refusal, messages.ERROR)
            return redirect(request.get_full_path())
        return super().response_add(request, obj, post_url_continue)


@admin.register(Township)
class TownshipAdmin(NotFoundOutsideScopeMixin, admin.ModelAdmin):
    list_display = ("code", "name", "government", "division")
    list_select_related = ("government", "division")
    raw_id_fields = ("division",)
    search_fields = ("code", "name")

    def get_queryset(self, request):
        # Another bureau's township is out of scope: 404, as its wells.
        return super().get_queryset(request).visible_to(request.user)


class PhaseInline(admin.TabularInline):
    model = Phase
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(NotFoundOutsideScopeMixin, admin.ModelAdmin):
    list_display = ("name", "notice_no", "issued_on", "deadline", "bureau", "lead_unit")
    list_select_related = ("lead_unit", "bureau")

    def get_queryset(self, request):
        # Another bureau's campaign is out of scope: 404, as its wells.
        return super().get_queryset(request).visible_to(request.user)

    search_fields = ("name", "notice_no")
    inlines = [PhaseInline]
