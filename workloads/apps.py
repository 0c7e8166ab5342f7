from django.apps import AppConfig
from django.db.models.signals import post_migrate


class WorkloadsConfig(AppConfig):
    name = "workloads"
    verbose_name = "Workload Management"

    def ready(self) -> None:
        from inventory.entities import NAMESPACE, STATE_PAGES, TARGET_PAGES
        from inventory.selectors import GRANTED_SEARCHES, GRANTED_TARGETS
        from inventory.sso import principal_deleted
        from workloads.selectors.search import namespaces_and_clusters_matching
        from workloads.services.namespaces import namespace_access_forget
        from workloads.targets import (
            CLUSTER_TYPE,
            NAMESPACE_TYPE,
            cluster_page,
            namespace_page,
            targets_visible_to,
        )
        from workloads.vm_classes import ensure_default_classes

        # The navigator opens a namespace's pool or folder as the namespace page.
        for kind in ("ResourcePool", "Folder"):
            STATE_PAGES[(kind, NAMESPACE)] = namespace_page
        # Namespace and VKS cluster tasks open those objects' pages.
        TARGET_PAGES[NAMESPACE_TYPE] = namespace_page
        TARGET_PAGES[CLUSTER_TYPE] = cluster_page
        # A namespace role shows the tasks and events of the namespace and its clusters.
        if targets_visible_to not in GRANTED_TARGETS:
            GRANTED_TARGETS.append(targets_visible_to)
        # Developers search their namespaces and clusters.
        if namespaces_and_clusters_matching not in GRANTED_SEARCHES:
            GRANTED_SEARCHES.append(namespaces_and_clusters_matching)
        # The default VM classes ship with vCenter; a flushed test database gets them back too.
        post_migrate.connect(ensure_default_classes, sender=self)
        principal_deleted.connect(namespace_access_forget, dispatch_uid="namespace_access_forget")
