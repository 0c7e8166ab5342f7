from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.urls import reverse


class WorkloadsConfig(AppConfig):
    name = "workloads"
    verbose_name = "Workload Management"

    def ready(self) -> None:
        from inventory.permissions import ACCESS_GRANTS, AccessGrant
        from workloads.access import has_any_namespace
        from workloads.vm_classes import ensure_default_classes

        # Developers holding only namespace permissions log in and land on their namespaces.
        if not any(g.check is has_any_namespace for g in ACCESS_GRANTS):
            ACCESS_GRANTS.append(AccessGrant(has_any_namespace, lambda: reverse("workloads:home")))
        # The default VM classes ship with vCenter; a flushed test database gets them back too.
        post_migrate.connect(ensure_default_classes, sender=self)
