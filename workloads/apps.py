from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WorkloadsConfig(AppConfig):
    name = "workloads"
    verbose_name = "Workload Management"

    def ready(self) -> None:
        from inventory.permissions import ACCESS_CHECKS
        from workloads.access import has_any_namespace
        from workloads.vm_classes import ensure_default_classes

        if has_any_namespace not in ACCESS_CHECKS:
            ACCESS_CHECKS.append(has_any_namespace)
        # The defaults ship with vCenter; a flushed test database gets them back too.
        post_migrate.connect(ensure_default_classes, sender=self)
