"""Strings that Django and the libraries show on the ledger's pages where
their own zh-hans catalogues lack them (django-axes has none; Django's
admin lacks its newer sentences). Listed here, they are in the project's
catalogue (``makemessages`` finds them; ``LOCALE_PATHS`` is read first),
and ``tests/test_translations.py`` checks each one reads Chinese."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

LIBRARY_STRINGS = (
    # django-axes' models, in the admin's index and its pages.
    _("access failure"),
    _("access failures"),
    _("access attempt"),
    _("access attempts"),
    _("Access Attempt"),
    _("access attempt expiration"),
    _("access attempt expirations"),
    _("access log"),
    _("access logs"),
    # Django's admin: the user's add page and the index's table headers.
    _("After you’ve created a user, you’ll be able to edit more user options."),
    _("Model name"),
    _("Add link"),
    _("Change or view list link"),
)

# Django's password validator, whose zh-hans catalogue still has the
# message of an older Django (%(min_length)d where Django 5.2 writes %d).
PASSWORD_TOO_SHORT = ngettext_lazy(
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
    8,
)

# The admin's name for the django-axes app (it declares none).
AXES_APP_NAME = pgettext_lazy("app", "Sign-in lockouts")
