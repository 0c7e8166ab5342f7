"""The Celery app. Broker and schedule come from settings (CELERY_*)."""

from __future__ import annotations

import logging
import os

from celery import Celery
from celery.contrib.django.task import DjangoTask
from kombu.exceptions import OperationalError
from kombu.transport import TRANSPORT_ALIASES

# kombu's filesystem and Redis transports with this project's fixes (vksportal/broker.py).
TRANSPORT_ALIASES.setdefault("vksfs", "vksportal.broker:Transport")
TRANSPORT_ALIASES.setdefault("vksredis", "vksportal.broker:RedisTransport")

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vksportal.settings")

log = logging.getLogger(__name__)


class Task(DjangoTask):
    """A task whose enqueueing never fails the caller. Every task here drives state that the
    database holds with its next due time (a reconcile, a vCenter Task's next step), and beat's
    resync enqueues whatever is overdue: a message that cannot be published while the broker is
    down is only late, so the request that committed the change still answers."""

    def apply_async(self, args=None, kwargs=None, **options):
        try:
            return super().apply_async(args, kwargs, **options)
        except OperationalError as error:
            log.warning("broker unreachable, %s%s left to the resync: %s", self.name, args, error)
            return None


app = Celery("vksportal", task_cls=Task)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
