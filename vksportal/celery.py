"""The Celery app. Broker and schedule come from settings (CELERY_*)."""

from __future__ import annotations

import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

# The embedded broker: the filesystem transport, made safe for several processes.
TRANSPORT_ALIASES.setdefault("vksfs", "vksportal.broker:Transport")

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vksportal.settings")

app = Celery("vksportal", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
