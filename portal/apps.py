from django.apps import AppConfig
from django.urls import reverse


def portal_home() -> str:
    return reverse("portal:clusters")


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "Developer Portal"

    def ready(self) -> None:
        from inventory.permissions import ACCESS_GRANTS, AccessGrant
        from workloads.access import has_any_namespace

        # A developer (namespace roles only) lands on the portal: the grant Workload Management
        # registered for them (installed before this app) now names the portal as the landing.
        grant = AccessGrant(has_any_namespace, portal_home)
        ACCESS_GRANTS[:] = [g for g in ACCESS_GRANTS if g.check is not has_any_namespace]
        ACCESS_GRANTS.insert(0, grant)
