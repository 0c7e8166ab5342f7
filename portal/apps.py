from django.apps import AppConfig
from django.urls import reverse


def portal_home() -> str:
    return reverse("portal:clusters")


def namespaces() -> str:
    return reverse("portal:namespaces")


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Developer Portal"

    def ready(self) -> None:
        from inventory.permissions import ACCESS_GRANTS, AccessGrant
        from workloads.access import has_any_namespace, may_self_serve

        # Developers (namespace roles only, or allowed by a namespace service to create their
        # first namespace) land on the portal: the first grant that admits a user names the
        # landing, and these come before Workload Management's own (namespace roles first).
        for check, landing in ((may_self_serve, namespaces), (has_any_namespace, portal_home)):
            if not any(g.check is check and g.landing is landing for g in ACCESS_GRANTS):
                ACCESS_GRANTS.insert(0, AccessGrant(check, landing))
