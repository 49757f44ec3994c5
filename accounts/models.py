from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef
from django.db.models.lookups import StartsWith
from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken

from accounts.choices import BUREAU_ROLES, PATH_LENGTHS, SEE_ALL_ROLES, DivisionLevel, Role, UnitKind
from wellclosure.history import tracked
from wellclosure.validators import no_control_characters


class DivisionQuerySet(models.QuerySet):
    def reached_by(self, user):
        """The divisions a bureau role or leader ``user`` reads: the subtree
        of their unit's division (every division for a superuser or a user
        whose unit has none). A subquery: the user's division is read in it."""
        if user.is_superuser or not user.unit_id:
            return self
        placed = Unit.objects.filter(pk=user.unit_id, division__isnull=False)
        above = placed.filter(StartsWith(OuterRef("path"), F("division__path")))
        return self.filter(~Exists(placed) | Exists(above))


class DivisionManager(models.Manager.from_queryset(DivisionQuerySet)):
    def get_by_natural_key(self, path):
        return self.get(path=path)


class Division(models.Model):
    """An administrative division (行政区划): the region, a prefecture, a
    county or a township, by its code (GB/T 2260 for the first three, the
    12-digit statistical code for all). The codes nest, so a division's
    ``path`` — its code's significant digits (65, 6523, 652301, 652301005)
    — begins every path below it: the subtree of a division is
    ``path__startswith``. The unique path has an index PostgreSQL uses for
    a prefix (Django adds a ``varchar_pattern_ops`` twin, ``…_like``, to a
    unique ``CharField``: EXPLAIN shows an index scan on ``path ~>=~ '6523'
    AND path ~<~ '6524'``). Loaded from data (accounts/data/,
    ``manage.py load_divisions``), never typed."""

    path = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name"), max_length=50, validators=[no_control_characters])
    level = models.CharField(_("level"), max_length=20, choices=DivisionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )

    objects = DivisionManager()

    class Meta:
        verbose_name = _("administrative division")
        verbose_name_plural = _("administrative divisions")
        ordering = ["path"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.path,)

    @property
    def code(self):
        """The 12-digit statistical code (统计用区划代码)."""
        return self.path.ljust(12, "0")

    @property
    def child_level(self):
        """The level below this one, or None for a township."""
        levels = list(DivisionLevel)
        index = levels.index(self.level)
        return levels[index + 1] if index + 1 < len(levels) else None

    def ancestors(self):
        """The divisions above this one, from the top (one query)."""
        prefixes = [self.path[:length] for length in PATH_LENGTHS.values() if length < len(self.path)]
        return list(Division.objects.filter(path__in=prefixes).order_by("path"))


_unit_scope = None


def register_unit_scope(scope):
    """Make ``scope(units, user)`` the rule of which units ``user`` may read
    among the queryset ``units``. The rule needs the campaigns, townships
    and duties, which live in the apps above this one: the wells app
    registers it from its ``AppConfig.ready`` (wells.scope.units_reached),
    as it registers the member units' rule (DESIGN §2)."""
    global _unit_scope
    _unit_scope = scope


class UnitQuerySet(models.QuerySet):
    def visible_to(self, user):
        """The units ``user`` may read (DESIGN §9): the units of the work
        they reach, never another bureau's; none without a role."""
        if getattr(user, "role", None) is None or _unit_scope is None:
            return self.none()
        return _unit_scope(self, user)


class UnitManager(models.Manager.from_queryset(UnitQuerySet)):
    def get_by_natural_key(self, name):
        return self.get(name=name)


@tracked("UnitHistory")
class Unit(models.Model):
    """An organisation that owns part of the work: the bureau, a township or
    street government, or a member unit of the campaign's leading group."""

    name = models.CharField(_("name"), max_length=100, unique=True, validators=[no_control_characters])
    short_name = models.CharField(_("short name"), max_length=50, blank=True, validators=[no_control_characters])
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    duties = models.TextField(_("duties"), blank=True, validators=[no_control_characters])
    # Where the unit answers: a bureau's staff and leaders see the work of
    # its division and below (DESIGN §9).
    division = models.ForeignKey(
        Division,
        verbose_name=_("administrative division"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="units",
        help_text=_("A bureau's staff and leaders see the work of this division and the divisions below it."),
    )

    objects = UnitManager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["kind", "name"]

    def __str__(self):
        return self.name

    def natural_key(self):
        return (self.name,)

    def clean(self):
        # Once the deployment knows its divisions, a bureau without one
        # would read every bureau's work (wells.scope), and any other unit
        # would be read only through the campaigns it takes part in:
        # every unit is placed in one.
        if self.division_id is None and Division.objects.exists():
            if self.kind == UnitKind.BUREAU:
                raise ValidationError({"division": _("Place the bureau in its administrative division.")})
            raise ValidationError({"division": _("Place the unit in its administrative division.")})


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
    display_name = models.CharField(_("display name"), max_length=50, blank=True, validators=[no_control_characters])
    # AbstractUser's, with the check every text of the ledger has: a user's
    # name is copied onto every record they make.
    first_name = models.CharField(_("first name"), max_length=150, blank=True, validators=[no_control_characters])
    last_name = models.CharField(_("last name"), max_length=150, blank=True, validators=[no_control_characters])

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

    def check_password(self, raw_password):
        # A right password may be saved again under a stronger hash (Django
        # upgrading its hasher): the same password, so the user's API
        # tokens stay (accounts.tokens ends them on a real change).
        self._rehashing_password = True
        try:
            return super().check_password(raw_password)
        finally:
            self._rehashing_password = False

    async def acheck_password(self, raw_password):
        self._rehashing_password = True
        try:
            return await super().acheck_password(raw_password)
        finally:
            self._rehashing_password = False

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
    def reads_bureau_subtree(self):
        """Whether the user reads all the work of their bureau's division and
        below (bureau roles and leaders); which work that is, is
        :mod:`wells.scope`'s to say."""
        return self.role in SEE_ALL_ROLES


class ApiToken(AuthToken):
    """An API token (django-rest-knox's ``AuthToken``) as the admin shows it:
    by its user and the start of its key, never the token itself, which is
    stored only as a digest. A bureau administrator ends one by deleting
    it; nobody adds or changes one there (accounts.tokens issues them)."""

    class Meta:
        proxy = True
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.user} · {self.short_id}"

    @property
    def short_id(self):
        """The few characters a person recognises a token by: the start of
        knox's ``token_key`` (itself the token's first 15 characters)."""
        return self.token_key[:8]


class UserChangeKind(models.TextChoices):
    CREATE = "create", _("Created")
    EDIT = "edit", _("Role, unit or name changed")
    PASSWORD = "password", _("Password reset")
    UNLOCK = "unlock", _("Sign-in unlocked")
    DEACTIVATE = "deactivate", _("Deactivated")
    ACTIVATE = "activate", _("Reactivated")


class UserChange(models.Model):
    """One change a bureau administrator made to a person's account on the
    user pages: who, when, what kind and ``{field: [before, after]}`` (never
    a password). Append-only, kept on every database (the field history of
    users is PostgreSQL's only)."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="changes")
    actor = models.ForeignKey(
        User, verbose_name=_("changed by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_name = models.CharField(_("changed by (name)"), max_length=150)
    kind = models.CharField(_("kind"), max_length=20, choices=UserChangeKind.choices)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("account change")
        verbose_name_plural = _("account changes")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.user} · {self.get_kind_display()}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("An account change is never edited.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("An account change is never deleted.")
