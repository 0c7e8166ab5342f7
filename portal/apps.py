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

        # Developers log in without a vCenter role and land on the portal: with a role in a
        # namespace on their clusters; allowed by a namespace service, before they have one, on
        # their namespaces to create it. The first grant that admits a user names the landing.
        for check, landing in ((has_any_namespace, portal_home), (may_self_serve, namespaces)):
            if not any(g.check is check for g in ACCESS_GRANTS):
                ACCESS_GRANTS.append(AccessGrant(check, landing))
