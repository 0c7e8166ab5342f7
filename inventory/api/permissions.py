"""DRF permission classes over the vCenter roles of inventory.permissions."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from inventory.permissions import DENIED, Privilege, has


class CanViewInventory(BasePermission):
    """System.View on the vCenter, as the inventory pages ask (administrators, read-only
    users); a developer holding only namespace roles gets 403."""

    message = DENIED

    def has_permission(self, request, view) -> bool:
        return bool(request.user and request.user.is_authenticated) and has(
            request.user, Privilege.VIEW
        )
