"""Users, units and API tokens in the admin. Only a bureau administrator
holds the user and token permissions (accounts/apps.py ROLE_PERMISSIONS),
and even they cannot hand out superuser status or single permissions: a
person's rights come from their one role group."""

from django.apps import apps
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken

from accounts.choices import Role
from accounts.library_strings import AXES_APP_NAME
from accounts.models import ApiToken, Division, Unit, User
from wellclosure.admin import NotFoundOutsideScopeMixin
from wellclosure.history import HistoryAdminMixin

# django-axes declares no name of its own: the admin would title it "Axes".
if apps.is_installed("axes"):
    apps.get_app_config("axes").verbose_name = AXES_APP_NAME


def role_label(group):
    """A role group by its Chinese label, not its code (``bureau_admin``)."""
    return str(Role(group.name).label) if group.name in Role.values else group.name


_ONE_ROLE_HELP = _("The user's role. Choose one: a user with several roles is treated as the most powerful of them.")


def _check_one_role(form):
    groups = form.cleaned_data.get("groups")
    if groups is not None and len(groups) > 1:
        form.add_error("groups", ValidationError(_("Choose one role for a user."), code="several_roles"))


class UserCreationForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username",)

    def clean(self):
        cleaned = super().clean()
        _check_one_role(self)
        return cleaned


class UserEditForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User

    def clean(self):
        cleaned = super().clean()
        _check_one_role(self)
        return cleaned


def users_managed_by(user, users):
    """The ``users`` a bureau administrator manages: those of the units
    they read (wells.scope), and those of no unit yet, who belong to no
    bureau (as a ticket of no unit, the one pool every bureau reads). One
    placed in no division, or a superuser, manages everyone."""
    if user.is_superuser or not Unit.objects.filter(pk=user.unit_id, division__isnull=False).exists():
        return users
    return users.filter(Q(unit__in=Unit.objects.visible_to(user)) | Q(unit__isnull=True))


@admin.register(Unit)
class UnitAdmin(NotFoundOutsideScopeMixin, HistoryAdminMixin, admin.ModelAdmin):
    list_display = ("name", "short_name", "kind", "division")
    list_filter = ("kind",)
    list_select_related = ("division",)
    search_fields = ("name", "short_name")
    raw_id_fields = ("division",)

    def get_queryset(self, request):
        # Another bureau's units are out of scope: 404 (and not in the
        # users' unit autocomplete, which asks this admin).
        return super().get_queryset(request).visible_to(request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "division":
            kwargs["queryset"] = Division.objects.reached_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(NotFoundOutsideScopeMixin, HistoryAdminMixin, DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("display_name", "first_name", "last_name", "email")}),
        (_("Unit and role"), {"fields": ("unit", "groups")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "usable_password", "password1", "password2"),
            },
        ),
        (_("Person, unit and role"), {"fields": ("display_name", "unit", "groups", "is_staff")}),
    )
    list_display = ("username", "display_name", "unit", "role_display", "is_active", "last_login")
    list_filter = ("groups", "unit__kind", "is_active")
    search_fields = ("username", "display_name", "first_name", "last_name", "email", "unit__name")
    list_select_related = ("unit",)
    autocomplete_fields = ("unit",)
    # One role is chosen from a short list: a plain list, not the two-box
    # widget (whose help text Django's zh-hans catalogue leaves in English).
    filter_horizontal = ("user_permissions",)

    def get_queryset(self, request):
        # A bureau administrator manages the users of the units they read,
        # not another bureau's (404).
        return users_managed_by(request.user, super().get_queryset(request).prefetch_related("groups"))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "unit":
            kwargs["queryset"] = Unit.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if db_field.name == "groups":
            field.help_text = _ONE_ROLE_HELP
            field.label_from_instance = role_label
        return field

    def get_changeform_initial_data(self, request):
        # Everyone signs in through the admin's login page.
        return {"is_staff": True, **super().get_changeform_initial_data(request)}

    @admin.display(description=_("role"))
    def role_display(self, obj):
        return "、".join(role_label(group) for group in obj.groups.all())

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["is_superuser", "user_permissions"]
        return readonly

    def has_change_permission(self, request, obj=None):
        # A bureau administrator does not manage the superusers above them.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)


# knox registers its own token admin, which shows digests and adds tokens;
# tokens are listed here instead, as ApiToken.
if admin.site.is_registered(AuthToken):
    admin.site.unregister(AuthToken)


@admin.register(ApiToken)
class ApiTokenAdmin(NotFoundOutsideScopeMixin, admin.ModelAdmin):
    """Everyone's API tokens, for a bureau administrator (the only role
    with its permissions, accounts/apps.py): each by its user, the start of
    its key, when it was issued and when it expires. Ending one is deleting
    it; nobody adds or edits one here (a token is issued by signing in)."""

    list_display = ("user", "short_id", "created", "expiry")
    list_select_related = ("user",)
    list_filter = ("created", "expiry")
    search_fields = ("user__username", "user__display_name", "token_key")
    fields = ("user", "short_id", "created", "expiry")
    readonly_fields = fields
    ordering = ("-created",)

    @admin.display(description=_("identifier"))
    def short_id(self, obj):
        return f"{obj.short_id}…"

    def get_queryset(self, request):
        # Another bureau's users' tokens are out of scope (404), as the users.
        tokens = super().get_queryset(request)
        return tokens.filter(user__in=users_managed_by(request.user, User.objects.all()))

    def get_search_results(self, request, queryset, search_term):
        # PostgreSQL cannot compare text holding NUL.
        return super().get_search_results(request, queryset, search_term.replace("\x00", ""))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
