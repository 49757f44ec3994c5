from django.apps import AppConfig
from django.apps import apps as global_apps
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


def clear_tally_of_an_empty_ledger(sender, using="default", apps=global_apps, **kwargs):
    """A ledger without wells has an empty tally. ``manage.py flush`` (and
    the test runner between tests) empties the tables in no fixed order; on
    SQLite, emptying the wells after the tally fires the tally's delete
    trigger, which would leave −1 rows behind. Runs after every migrate and
    flush (which passes no ``apps``); one cheap query when the ledger holds
    wells."""
    try:
        well, tally = apps.get_model("wells", "Well"), apps.get_model("wells", "WellTally")
    except LookupError:  # migrated to before the tally
        return
    if not well.objects.using(using).exists():
        tally.objects.using(using).all().delete()


class WellsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "wells"
    verbose_name = _("Well ledger")

    def ready(self):
        post_migrate.connect(grant_role_permissions, sender=self)
        post_migrate.connect(clear_tally_of_an_empty_ledger, sender=self)
        # Which units a user reads depends on the campaigns and townships
        # they reach, which this app knows (accounts may not import it).
        from accounts.models import register_unit_scope
        from wells.scope import units_reached

        register_unit_scope(units_reached)
        # An image over IMAGE_MAX_PIXELS is an error wherever Pillow opens it.
        from wells.uploads import bound_image_pixels

        bound_image_pixels()
        # A seal's photos are checked against its date once linked to it.
        from wells.photos import check_sealing_photos
        from wells.workflow import extend

        extend(follow=check_sealing_photos)
