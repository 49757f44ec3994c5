from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The five role groups (DESIGN §4). The codes are group names: contract."""

    BUREAU_ADMIN = "bureau_admin", _("Bureau administrator")
    BUREAU_STAFF = "bureau_staff", _("Bureau staff")
    TOWNSHIP_OFFICER = "township_officer", _("Township officer")
    UNIT_MEMBER = "unit_member", _("Member unit")
    LEADER = "leader", _("Leader")


BUREAU_ROLES = frozenset({Role.BUREAU_ADMIN, Role.BUREAU_STAFF})
# Roles that read every object in the ledger.
SEE_ALL_ROLES = frozenset({Role.BUREAU_ADMIN, Role.BUREAU_STAFF, Role.LEADER})


class UnitKind(models.TextChoices):
    BUREAU = "bureau", _("Water bureau")
    TOWNSHIP = "township", _("Township or street government")
    DEPARTMENT = "department", _("Government department")
    COMPANY = "company", _("Company")
