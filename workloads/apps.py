from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.urls import reverse


class WorkloadsConfig(AppConfig):
    name = "workloads"
    verbose_name = "Workload Management"

    def ready(self) -> None:
        from inventory.entities import NAMESPACE, STATE_PAGES, TARGET_PAGES
        from inventory.permissions import ACCESS_GRANTS, AccessGrant
        from inventory.selectors import GRANTED_SEARCHES
        from inventory.sso import principal_deleted
        from workloads.access import has_any_namespace, may_self_serve
        from workloads.selectors.search import namespaces_and_clusters_matching
        from workloads.services.namespaces import namespace_access_forget
        from workloads.targets import CLUSTER_TYPE, NAMESPACE_TYPE, cluster_page, namespace_page
        from workloads.vm_classes import ensure_default_classes

        # Developers holding only namespace permissions log in and land on their namespaces.
        if not any(g.check is has_any_namespace for g in ACCESS_GRANTS):
            ACCESS_GRANTS.append(AccessGrant(has_any_namespace, lambda: reverse("workloads:home")))
        # So do developers a namespace service allows, to create their first namespace.
        if not any(g.check is may_self_serve for g in ACCESS_GRANTS):
            ACCESS_GRANTS.append(AccessGrant(may_self_serve, lambda: reverse("workloads:home")))
        # The navigator opens a namespace's pool or folder as the namespace page.
        for kind in ("ResourcePool", "Folder"):
            STATE_PAGES[(kind, NAMESPACE)] = namespace_page
        # Namespace and VKS cluster tasks open those objects' pages.
        TARGET_PAGES[NAMESPACE_TYPE] = namespace_page
        TARGET_PAGES[CLUSTER_TYPE] = cluster_page
        # Developers search their namespaces and clusters.
        if namespaces_and_clusters_matching not in GRANTED_SEARCHES:
            GRANTED_SEARCHES.append(namespaces_and_clusters_matching)
        # The default VM classes ship with vCenter; a flushed test database gets them back too.
        post_migrate.connect(ensure_default_classes, sender=self)
        principal_deleted.connect(namespace_access_forget, dispatch_uid="namespace_access_forget")
