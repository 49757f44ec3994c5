from django.contrib import admin
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.choices import BUREAU_ROLES
from tasks.models import (
    CampaignSettings,
    Duty,
    GroundwaterReading,
    MonitoringWell,
    Notification,
    PublicityRecord,
    Task,
)
from wellclosure.history import HistoryAdminMixin
from wells.admin import CappedPaginator


class ScopedAdminMixin:
    """An object outside the user's scope is a 404, as everywhere else."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj


class BureauEditsMixin:
    """Reference data of the plan: the bureau edits it, others may read."""

    def _is_bureau(self, request):
        return getattr(request.user, "role", None) in BUREAU_ROLES

    def has_add_permission(self, request, *args):
        return self._is_bureau(request)

    def has_change_permission(self, request, obj=None):
        return self._is_bureau(request)

    def has_delete_permission(self, request, obj=None):
        return getattr(request.user, "role", None) == "bureau_admin"

    def has_view_permission(self, request, obj=None):
        return getattr(request.user, "role", None) is not None

    def has_module_permission(self, request):
        return getattr(request.user, "role", None) is not None


@admin.register(Duty)
class DutyAdmin(BureauEditsMixin, admin.ModelAdmin):
    list_display = ["campaign", "step", "unit", "days_before_deadline"]
    list_filter = ["campaign", "step"]
    list_select_related = ["campaign", "unit"]


@admin.register(CampaignSettings)
class CampaignSettingsAdmin(BureauEditsMixin, admin.ModelAdmin):
    list_display = ["campaign", "remind_days_before", "escalate_after_days", "inspection_period_days"]


class OverdueTaskFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", _("Overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.overdue()
        return queryset


@admin.register(Task)
class TaskAdmin(HistoryAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Tasks are read here; they are completed by the lifecycle action of
    their step (or on the task page), never by editing the row."""

    list_display = ["well", "step", "unit", "due_on", "status", "overdue_flag", "completed_by_name"]
    list_filter = ["status", "step", "unit", OverdueTaskFilter]
    search_fields = ["well__code"]
    list_select_related = ["well", "unit"]
    show_full_result_count = False
    # Counted up to the cap: a COUNT over 4.5 million tasks took 1.6 s a page.
    paginator = CappedPaginator
    readonly_fields = [f.name for f in Task._meta.fields] + ["evidence"]

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)

    @admin.display(description=_("overdue"), boolean=True)
    def overdue_flag(self, task):
        return task.is_overdue

    def has_view_permission(self, request, obj=None):
        return getattr(request.user, "role", None) is not None

    def has_module_permission(self, request):
        return getattr(request.user, "role", None) is not None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["sent_on", "kind", "message", "read_at"]
    show_full_result_count = False
    paginator = CappedPaginator
    list_filter = ["kind", "sent_on"]
    readonly_fields = ["recipient", "task", "kind", "message", "sent_on", "read_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(recipient=request.user)

    def has_module_permission(self, request):
        return request.user.is_authenticated

    def has_view_permission(self, request, obj=None):
        return request.user.is_authenticated

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if object_id:
            self.get_queryset(request).filter(pk=object_id, read_at__isnull=True).update(read_at=timezone.now())
        return super().changeform_view(request, object_id, form_url, extra_context)


@admin.register(PublicityRecord)
class PublicityRecordAdmin(BureauEditsMixin, admin.ModelAdmin):
    list_display = ["held_on", "campaign", "unit", "kind", "count"]
    list_filter = ["campaign", "kind", "unit"]
    list_select_related = ["campaign", "unit"]
    exclude = ["recorded_by"]

    def save_model(self, request, obj, form, change):
        obj.recorded_by = obj.recorded_by or request.user
        super().save_model(request, obj, form, change)


class ReadingInline(admin.TabularInline):
    model = GroundwaterReading
    extra = 1


@admin.register(MonitoringWell)
class MonitoringWellAdmin(BureauEditsMixin, admin.ModelAdmin):
    list_display = ["code", "name", "township"]
    inlines = [ReadingInline]
