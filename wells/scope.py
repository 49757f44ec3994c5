"""Who sees which wells (DESIGN §4): one rule, written once, after NetBox's
``RestrictedQuerySet.restrict``. Every list, page, export, count, figure and
admin page starts from ``Well.objects.visible_to(user)``; nothing filters by
role on its own. It always answers a queryset (empty for a user without a
role), never ``None``.

- Bureau roles and leaders see every well; a township officer the wells of
  their own unit; a member unit the wells its unit holds tasks for. That
  last rule belongs to the tasks app, which owns the tasks: it registers it
  here from its ``AppConfig.ready`` (:func:`register_member_scope`), since
  wells may not import tasks (DESIGN §2).
- An archived well has left the work: it is in no one's scope, unless a
  bureau role asks for the archive (``archived=True`` for the archived
  wells alone, ``archived=None`` for both, as a well's own page does).
"""

from django.db.models import QuerySet

from accounts.choices import BUREAU_ROLES, Role

_member_scope = None


def register_member_scope(scope):
    """Make ``scope(wells, user)`` the rule of what a member unit's ``user``
    sees among the queryset ``wells``. Registering again replaces it."""
    global _member_scope
    _member_scope = scope


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
        if user.sees_everything:
            return scoped
        if role == Role.TOWNSHIP_OFFICER and user.unit_id:
            return scoped.filter(responsible_unit_id=user.unit_id)
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
