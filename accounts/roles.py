"""Grant each role group its model permissions.

Each app states which of its own permissions each role holds and calls
:func:`grant` from a ``post_migrate`` handler, so ``accounts`` never needs
to know the other apps' models and the groups stay right after every
migration."""

from django.contrib.auth.models import Group, Permission


def grant(app_label, permissions_by_role):
    """Make each role group hold exactly these permissions of ``app_label``:
    ``{"bureau_staff": ["view_well", "change_well"], …}``."""
    app_permissions = {p.codename: p for p in Permission.objects.filter(content_type__app_label=app_label)}
    for role, codenames in permissions_by_role.items():
        group, _created = Group.objects.get_or_create(name=role)
        unknown = set(codenames) - app_permissions.keys()
        if unknown:
            raise LookupError(f"No permissions {sorted(unknown)} in the app {app_label}.")
        keep = group.permissions.exclude(content_type__app_label=app_label)
        group.permissions.set([*keep, *(app_permissions[codename] for codename in codenames)])
