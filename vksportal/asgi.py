"""ASGI entry point: what `make run`'s web processes serve (vksportal.serve)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vksportal.settings")
application = get_asgi_application()
