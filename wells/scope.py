"""Who sees which wells (DESIGN §4): one rule, written once, after NetBox's
``RestrictedQuerySet.restrict``. Every list, page, export, count, figure and
admin page starts from ``Well.objects.visible_to(user)``; nothing filters by
role on its own. It always answers a queryset (empty for a user without a
role), never ``None``.

- Bureau roles and leaders see the wells of their bureau's division and
  below (DESIGN §9): the wells of the campaigns whose bureau lies in the
  subtree of the division of the user's unit (:func:`campaigns_reached_by`,
  a prefix of the divisions' indexed path). A superuser, and a bureau role
  whose unit is placed in no division (a deployment of one bureau, as
  before divisions), reach every campaign. A township officer the wells of
  their own unit; a member unit the wells its unit holds tasks for. That
  last rule belongs to the tasks app, which owns the tasks: it registers it
  here from its ``AppConfig.ready`` (:func:`register_member_scope`), since
  wells may not import tasks (DESIGN §2).
- An archived well has left the work: it is in no one's scope, unless a
  bureau role asks for the archive (``archived=True`` for the archived
  wells alone, ``archived=None`` for both, as a well's own page does).
"""

from django.apps import apps
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.lookups import IsNull, StartsWith

from accounts.choices import BUREAU_ROLES, Role

_member_scope = None
_campaign_units = []


def register_member_scope(scope):
    """Make ``scope(wells, user)`` the rule of what a member unit's ``user``
    sees among the queryset ``wells``. Registering again replaces it."""
    global _member_scope
    _member_scope = scope


def register_campaign_units(units):
    """Add ``units(campaigns)``, the primary keys of more units that take
    part in the queryset ``campaigns``, to the units a user reads (the tasks
    app adds the units its duties name)."""
    if units not in _campaign_units:
        _campaign_units.append(units)


def campaigns_reached_by(user):
    """The campaigns whose work a bureau role or leader ``user`` reads: those
    whose bureau's division is the division of the user's unit or lies
    below it. All of them for a superuser or a user whose unit has no
    division. A subquery (no query of its own): the user's division is read
    in it, beside the campaigns, whose bureau's path begins with it."""
    Campaign = apps.get_model("wells", "Campaign")
    Unit = apps.get_model("accounts", "Unit")
    campaigns = Campaign.objects.all()
    if user.is_superuser or not user.unit_id:
        return campaigns
    placed = Unit.objects.filter(pk=user.unit_id, division__isnull=False)
    above = placed.filter(StartsWith(OuterRef("bureau__division__path"), F("division__path")))
    return campaigns.filter(~Exists(placed) | Exists(above))


def divisions_reached_by(user):
    """The administrative divisions a bureau role or leader ``user`` reads
    (``Division.objects.reached_by``)."""
    return apps.get_model("accounts", "Division").objects.reached_by(user)


def _placed_nowhere(user):
    """A condition true when the user's unit has no division: a bureau of a
    deployment of one bureau, which reads everything (as campaigns_reached_by)."""
    Unit = apps.get_model("accounts", "Unit")
    return ~Exists(Unit.objects.filter(pk=user.unit_id, division__isnull=False))


def townships_reached(townships, user):
    """The townships among ``townships`` that ``user`` reads (registered as
    ``Township.objects.visible_to``): a bureau role or leader those of their
    division's subtree, and any not yet placed in a division that holds
    wells of the campaigns they reach; the others their own government's
    and those of the wells they see."""
    Well = apps.get_model("wells", "Well")
    if user.is_superuser or (user.reads_bureau_subtree and not user.unit_id):
        return townships
    if user.reads_bureau_subtree:
        unplaced_with_work = Q(division__isnull=True) & Exists(
            Well.objects.filter(township=OuterRef("pk"), campaign__in=campaigns_reached_by(user))
        )
        return townships.filter(_placed_nowhere(user) | Q(division__in=divisions_reached_by(user)) | unplaced_with_work)
    if not user.unit_id:
        return townships.none()
    return townships.filter(Q(government_id=user.unit_id) | holding_wells(user, "township"))


def holding_wells(user, field):
    """A condition on the rows a well's ``field`` names (its township,
    responsible unit or campaign): those that hold a live well ``user``
    sees. From the tally's groups where the tally holds the user's scope;
    else (a member unit) a probe of the wells per row that stops at the
    first. As a semi-join or a probe of the wells per row, the planner read
    every well of the scope (an officer's 100,000 for each township it
    holds none in, 1.3 s; a member unit's campaigns, 1.6 s)."""
    WellTally = apps.get_model("wells", "WellTally")
    if WellTally.objects.answers_for(user):
        return Q(pk__in=WellTally.objects.visible_to(user).holding(f"{field}_id"))
    Well = apps.get_model("wells", "Well")
    first = Well.objects.visible_to(user).filter(**{field: OuterRef("pk")}).order_by().values("pk")[:1]
    return Q(IsNull(Subquery(first), False))


def units_reached(units, user):
    """The units among ``units`` that ``user`` reads (registered as
    ``Unit.objects.visible_to``): their own; the bureau, the lead unit and
    the units with duties of every campaign they read; the governments of
    the townships they read and the units that answer for the wells they
    see; and for a bureau role or leader every unit
    placed in their division's subtree. Another bureau's units are not
    among them."""
    if user.is_superuser or (user.reads_bureau_subtree and not user.unit_id):
        return units
    Campaign = apps.get_model("wells", "Campaign")
    Township = apps.get_model("wells", "Township")
    campaigns = Campaign.objects.visible_to(user)
    reach = (
        Q(pk=user.unit_id)
        | Q(pk__in=campaigns.values("bureau_id"))
        | Q(pk__in=campaigns.values("lead_unit_id"))
        | Q(pk__in=Township.objects.visible_to(user).values("government_id"))
        # The units that answer for wells they see.
        | holding_wells(user, "responsible_unit")
    )
    for more in _campaign_units:
        reach |= Q(pk__in=more(campaigns))
    if user.reads_bureau_subtree:
        reach |= _placed_nowhere(user) | Q(division__in=divisions_reached_by(user))
    return units.filter(reach)


def home_division(user):
    """The division of the bureau of a bureau role or leader (None for the
    others and for a bureau placed in none): where their figures begin."""
    if not getattr(user, "reads_bureau_subtree", False) or not user.unit_id:
        return None
    Division = apps.get_model("accounts", "Division")
    return Division.objects.filter(units=user.unit_id).first()


def scope_condition(user, prefix=""):
    """What :meth:`ScopedQuerySet.visible_to` asks of a well for a bureau
    role, a leader or a township officer, as a condition on ``prefix`` and
    the well's fields: ``"well__"`` for a model that points to its well and
    joins it anyway (the tasks), where a semi-join over the wells made the
    planner hash every well in scope first. None for the other roles (a
    member unit's scope is the rule its app registered)."""
    if getattr(user, "reads_bureau_subtree", False):
        return Q(**{f"{prefix}campaign__in": campaigns_reached_by(user)})
    if getattr(user, "role", None) == Role.TOWNSHIP_OFFICER and user.unit_id:
        return Q(**{f"{prefix}responsible_unit_id": user.unit_id})
    return None


class ScopedQuerySet(QuerySet):
    """``visible_to`` for the wells and for the querysets that count them."""

    def visible_to(self, user, *, archived=False):
        """The wells (or their tally rows) this user may see; ``archived``
        as the module says."""
        role = getattr(user, "role", None)
        if role is None:
            return self.none()
        if archived is not False and role not in BUREAU_ROLES:
            if archived:
                return self.none()
            archived = False
        scoped = self.in_archive(archived)
        condition = scope_condition(user)
        if condition is not None:
            return scoped.filter(condition)
        if role == Role.UNIT_MEMBER and user.unit_id:
            return scoped.of_member_unit(user)
        return self.none()

    def in_archive(self, archived):
        """Live wells (``False``), archived ones (``True``) or both (``None``)."""
        raise NotImplementedError

    def of_member_unit(self, user):
        """What a member unit's ``user`` sees of these rows."""
        if _member_scope is None:
            return self.none()
        return _member_scope(self, user)
