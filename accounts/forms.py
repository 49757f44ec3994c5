"""The bureau administrator's user pages: a person's account with one role,
chosen by its Chinese name, and a unit."""

import secrets

from django import forms
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.choices import BUREAU_ROLES, Role
from accounts.models import Unit, User, UserChange, UserChangeKind

# The roles that act for a unit of their own: their scope is that unit.
UNIT_ROLES = frozenset({Role.TOWNSHIP_OFFICER, Role.UNIT_MEMBER})


def new_password():
    """A password to hand over once: 16 characters from a secure source."""
    return secrets.token_urlsafe(12)


def role_of(user):
    """The role group a user belongs to, active or not (``User.role`` is
    None for a deactivated user)."""
    names = set(user.groups.values_list("name", flat=True))
    return next((role for role in Role if role.value in names), None)


def record(user, actor, kind, changes=None):
    UserChange.objects.create(user=user, actor=actor, actor_name=str(actor)[:150], kind=kind, changes=changes or {})


class AccountForm(forms.ModelForm):
    """A person's name, their one role and their unit."""

    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, widget=forms.RadioSelect)

    class Meta:
        model = User
        fields = ("display_name", "email", "unit")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Unit.objects.order_by("kind", "name")
        self.fields["display_name"].required = True
        # As it was, before validation writes the form's values on the instance.
        self.before_role = role_of(self.instance) if self.instance.pk else None
        self.before = {name: str(getattr(self.instance, name, None) or "") for name in self._meta.fields}
        if self.before_role:
            self.initial.setdefault("role", self.before_role)

    def clean(self):
        cleaned = super().clean()
        role, unit = cleaned.get("role"), cleaned.get("unit")
        if role in UNIT_ROLES and unit is None:
            self.add_error("unit", _("A township officer or a member unit acts for a unit: choose it."))
        return cleaned

    def _apply_role(self, user):
        role = self.cleaned_data["role"]
        user.groups.set([Group.objects.get(name=role)])
        # Everyone signs in through the site; bureau roles also reach the admin.
        user.is_staff = role in BUREAU_ROLES or user.is_staff

    def changes(self):
        """``{field: [before, after]}`` of what this form changes."""
        after = {name: str(self.cleaned_data.get(name) or "") for name in self._meta.fields}
        changes = {name: [self.before[name], value] for name, value in after.items() if value != self.before[name]}
        if self.cleaned_data["role"] != self.before_role:
            changes["role"] = [self.before_role or "", self.cleaned_data["role"]]
        return changes


class NewAccountForm(AccountForm):
    class Meta(AccountForm.Meta):
        fields = ("username", "display_name", "email", "unit")

    def create(self, actor):
        """Create the account with a new password; return (user, password)."""
        password = new_password()
        with transaction.atomic():
            user = self.save(commit=False)
            validate_password(password, user)
            user.set_password(password)
            user.is_staff = True
            user.save()
            self._apply_role(user)
            user.save(update_fields=["is_staff"])
            record(user, actor, UserChangeKind.CREATE, self.changes())
        return user, password


class EditAccountForm(AccountForm):
    def update(self, actor):
        with transaction.atomic():
            changes = self.changes()
            user = self.save()
            self._apply_role(user)
            user.save(update_fields=["is_staff"])
            if changes:
                record(user, actor, UserChangeKind.EDIT, changes)
        return user
