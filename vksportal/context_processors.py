"""What every page of the client shell needs: product name, the vCenter, the user's role."""

from __future__ import annotations

from django.conf import settings

from inventory.permissions import Privilege, has


def client(request):
    user = getattr(request, "user", None)

    def can_administer() -> bool:
        # Called only by a template that asks (the menu), so pages without it pay no query;
        # role_of memoises the answer on the user for the rest of the request.
        return user is not None and user.is_authenticated and has(user, Privilege.SSO_MANAGE)

    def can_view_inventory() -> bool:
        # Developers holding only namespace permissions get no navigator and no inventory menu.
        return user is not None and user.is_authenticated and has(user, Privilege.VIEW)

    return {
        "product_name": "vSphere Client",
        "sim_speed": settings.VKS_SIM_SPEED,
        "can_administer": can_administer,
        "can_view_inventory": can_view_inventory,
    }
