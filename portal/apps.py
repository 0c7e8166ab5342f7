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

        # A developer (namespace roles only) lands on the portal, ahead of Workload Management's
        # own landing for the same grant: the first grant that matches names the landing page.
        if not any(g.landing is portal_home for g in ACCESS_GRANTS):
            ACCESS_GRANTS.insert(0, AccessGrant(has_any_namespace, portal_home))
