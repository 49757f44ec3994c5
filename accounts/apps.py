from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_migrate, post_save, pre_save
from django.utils.translation import gettext_lazy as _

# The permissions of this app's models that each role holds.
ROLE_PERMISSIONS = {
    # API tokens: a bureau administrator sees everyone's and ends any by
    # deleting it (accounts.admin.ApiTokenAdmin); the others see and end
    # only their own, on the password page.
    "bureau_admin": [
        "view_user",
        "add_user",
        "change_user",
        "view_unit",
        "add_unit",
        "change_unit",
        "view_apitoken",
        "delete_apitoken",
    ],
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
        # A password change, deactivation or role change ends the user's
        # API tokens.
        from accounts import tokens
        from accounts.models import User

        pre_save.connect(tokens.remember_guarded_changes, sender=User, dispatch_uid="tokens-remember")
        post_save.connect(tokens.end_tokens_after_guarded_change, sender=User, dispatch_uid="tokens-end")
        m2m_changed.connect(
            tokens.end_tokens_on_role_change, sender=User.groups.through, dispatch_uid="tokens-end-on-role"
        )
