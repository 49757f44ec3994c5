"""The meter watch's admin: the default coefficients, the wells' own, and
the emergency-use records. Readings have no admin page: hundreds of
millions of rows, shown on each well's page and through the API."""

from django.contrib import admin

from meters.models import EmergencyUse, UseCoefficient, WellCoefficient
from wells.admin import CappedPaginator


@admin.register(UseCoefficient)
class UseCoefficientAdmin(admin.ModelAdmin):
    list_display = ("use", "m3_per_kwh", "source")

    def has_add_permission(self, request):
        return False  # one row per use, written by the migration

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WellCoefficient)
class WellCoefficientAdmin(admin.ModelAdmin):
    list_display = ("well", "m3_per_kwh", "note", "updated_at")
    list_select_related = ("well",)
    raw_id_fields = ("well",)
    search_fields = ("well__code",)
    paginator = CappedPaginator
    show_full_result_count = False


@admin.register(EmergencyUse)
class EmergencyUseAdmin(admin.ModelAdmin):
    list_display = ("well", "starts_on", "ends_on", "approved_by", "recorded_by")
    list_select_related = ("well", "recorded_by")
    raw_id_fields = ("well",)
    search_fields = ("well__code", "approved_by")
    readonly_fields = ("recorded_by", "created_at")
    paginator = CappedPaginator
    show_full_result_count = False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        return False  # a period approved stays on record
