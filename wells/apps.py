from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

_READ = [
    "view_well",
    "view_wellevent",
    "view_attachment",
    "view_inspection",
    "view_township",
    "view_campaign",
    "view_phase",
]

# The permissions of this app's models that each role holds. Which wells a
# role reaches is decided by Well.objects.visible_to, not here; and the
# lifecycle is guarded by wells.workflow, not by model permissions.
ROLE_PERMISSIONS = {
    "bureau_admin": [
        *_READ,
        "add_well",
        "change_well",
        "add_attachment",
        "add_inspection",
        "add_township",
        "change_township",
        "add_campaign",
        "change_campaign",
        "add_phase",
        "change_phase",
    ],
    "bureau_staff": [*_READ, "add_well", "change_well", "add_attachment", "add_inspection"],
    "township_officer": [*_READ, "change_well", "add_attachment", "add_inspection"],
    "unit_member": ["view_well", "view_wellevent", "view_attachment", "add_attachment"],
    "leader": _READ,
}


def grant_role_permissions(sender, **kwargs):
    from accounts.roles import grant

    grant("wells", ROLE_PERMISSIONS)


class WellsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "wells"
    verbose_name = _("Well ledger")

    def ready(self):
        post_migrate.connect(grant_role_permissions, sender=self)
        # A seal's photos are checked against its date once linked to it.
        from wells.photos import check_sealing_photos
        from wells.workflow import extend

        extend(follow=check_sealing_photos)
