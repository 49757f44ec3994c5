from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _

# The permissions of this app's models that each role holds (the admin's
# coefficient and emergency-use pages; readings have no admin page).
ROLE_PERMISSIONS = {
    "bureau_admin": [
        "view_usecoefficient",
        "change_usecoefficient",
        "view_wellcoefficient",
        "add_wellcoefficient",
        "change_wellcoefficient",
        "delete_wellcoefficient",
        "view_emergencyuse",
        "add_emergencyuse",
        "change_emergencyuse",
    ],
    "bureau_staff": [
        "view_usecoefficient",
        "view_wellcoefficient",
        "add_wellcoefficient",
        "change_wellcoefficient",
        "view_emergencyuse",
        "add_emergencyuse",
        "change_emergencyuse",
    ],
    "township_officer": [],
    "unit_member": [],
    "leader": ["view_usecoefficient", "view_wellcoefficient", "view_emergencyuse"],
}


def grant_role_permissions(sender, **kwargs):
    from accounts.roles import grant

    grant("meters", ROLE_PERMISSIONS)


class MetersConfig(AppConfig):
    """The meter watch (井电双控 / 以电折水): readings from the grid company,
    the alerts they raise as supervision tickets, and the estimated
    abstraction. Built on supervision, tasks and wells; none imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "meters"
    verbose_name = _("Meter watch")

    def ready(self):
        from meters.panels import dashboard_panel, well_panel
        from meters.watch import report_figures, settle_from_inspection
        from tasks.sources import figure_source
        from wells.changes import connect
        from wells.panels import dashboard_panel_source, well_panel_source

        # An inspection or a patrol's finding settles the well's open alert.
        connect(on_inspection=settle_from_inspection)
        # The well page's consumption chart and the dashboard's panel.
        well_panel_source(well_panel)
        dashboard_panel_source(dashboard_panel)
        # The work report's 回头看 sentence with the meter watch's figures.
        figure_source(report_figures)
        post_migrate.connect(grant_role_permissions, sender=self)
