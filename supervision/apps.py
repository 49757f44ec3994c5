from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    """Supervision after closure (DESIGN §8): patrols, the problem ledger and
    the public's reports. Built on wells and tasks; neither imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "supervision"
    verbose_name = _("Supervision after closure")

    def ready(self):
        # Overdue tickets in the daily digest; patrols and the public's
        # reports in the work report; a ticket for what an inspection found.
        from supervision.figures import report_figures
        from supervision.reminders import digest_items
        from supervision.workflow import ticket_from_inspection
        from tasks.sources import digest_source, figure_source
        from wells.changes import connect

        digest_source(digest_items)
        figure_source(report_figures)
        connect(on_inspection=ticket_from_inspection)
