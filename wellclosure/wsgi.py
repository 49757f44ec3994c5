"""
WSGI config for wellclosure project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wellclosure.settings")

application = get_wsgi_application()

# Import every view now, in the worker's start, rather than in the first
# request it serves (a few hundred milliseconds that showed as a lone slow
# request per worker in the benchmarks).
import_module(settings.ROOT_URLCONF)
