from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    """Supervision after closure (DESIGN §8): patrols, the problem ledger and
    the public's reports. Built on wells and tasks; neither imports it."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "supervision"
    verbose_name = _("Supervision after closure")
