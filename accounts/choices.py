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
# Roles that read every object of their bureau's division and below
# (DESIGN §9; wells.scope): the bureau's own staff and its leaders.
SEE_ALL_ROLES = frozenset({Role.BUREAU_ADMIN, Role.BUREAU_STAFF, Role.LEADER})


class UnitKind(models.TextChoices):
    BUREAU = "bureau", _("Water bureau")
    TOWNSHIP = "township", _("Township or street government")
    DEPARTMENT = "department", _("Government department")
    COMPANY = "company", _("Company")


class DivisionLevel(models.TextChoices):
    """The levels of the administrative divisions (GB/T 2260 and the
    statistical codes), from the top; the value of each is the length of
    its code's significant digits (its path)."""

    REGION = "region", _("Province or autonomous region")
    PREFECTURE = "prefecture", _("Prefecture or city")
    COUNTY = "county", _("County or district")
    TOWNSHIP = "township", _("Township or street")


# How many digits of the 12-digit statistical code name a division at each
# level: 65 新疆, 6523 昌吉州, 652301 昌吉市, 652301005 中山路街道.
PATH_LENGTHS = {
    DivisionLevel.REGION: 2,
    DivisionLevel.PREFECTURE: 4,
    DivisionLevel.COUNTY: 6,
    DivisionLevel.TOWNSHIP: 9,
}
