from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.choices import BUREAU_ROLES, SEE_ALL_ROLES, Role, UnitKind
from wellclosure.history import tracked


class UnitManager(models.Manager):
    def get_by_natural_key(self, name):
        return self.get(name=name)


@tracked("UnitHistory")
class Unit(models.Model):
    """An organisation that owns part of the work: the bureau, a township or
    street government, or a member unit of the campaign's leading group."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    duties = models.TextField(_("duties"), blank=True)

    objects = UnitManager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.name,)


# No password hashes in the history, and no event per sign-in.
@tracked("UserHistory", exclude=["password", "last_login"])
class User(AbstractUser):
    """A person who signs in. Their role is their group; their unit decides
    which wells a township officer or a member unit sees."""

    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
    )
    display_name = models.CharField(_("display name"), max_length=50, blank=True)

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.get_full_name() or self.username

    @cached_property
    def role(self):
        """The user's role code, or None. A superuser counts as bureau_admin.

        A user belongs to one role group; if an administrator put them in
        several, the most powerful one wins (the order of ``Role``)."""
        if self.is_superuser or not self.is_active:
            return self._role_among(())
        return self._role_among(set(self.groups.values_list("name", flat=True)))

    def remember_groups(self, group_names):
        """Take the role from the names of the user's groups, read along with
        the user (accounts.authentication), instead of asking for them again."""
        self.__dict__["role"] = self._role_among(set(group_names))

    def _role_among(self, group_names):
        if self.is_superuser:
            return Role.BUREAU_ADMIN
        if not self.is_authenticated or not self.is_active:
            return None
        return next((role for role in Role if role.value in group_names), None)

    @property
    def is_bureau(self):
        return self.role in BUREAU_ROLES

    @property
    def sees_everything(self):
        return self.role in SEE_ALL_ROLES
