from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# The permissions of this app's models that each role holds.
ROLE_PERMISSIONS = {
    "bureau_admin": ["view_user", "add_user", "change_user", "view_unit", "add_unit", "change_unit"],
    "bureau_staff": ["view_unit"],
    "township_officer": [],
    "unit_member": [],
    "leader": ["view_unit"],
}


LOCKOUT_PERMISSIONS = {
    "bureau_admin": ["view_accessattempt", "delete_accessattempt", "view_accesslog", "view_accessfailurelog"],
}


def grant_role_permissions(sender, **kwargs):
    from accounts.roles import grant

    grant("accounts", ROLE_PERMISSIONS)
    # The sign-in lockout's records (django-axes): a bureau administrator
    # reads them and unlocks a user by deleting their attempts.
    grant("axes", LOCKOUT_PERMISSIONS)


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Accounts and units")

    def ready(self):
        post_migrate.connect(grant_role_permissions, sender=self)
