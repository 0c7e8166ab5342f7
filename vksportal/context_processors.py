"""What every page of the client shell needs: product name, the vCenter, the user's role."""

from __future__ import annotations

from django.conf import settings


def client(request):
    return {"product_name": "vSphere Client", "sim_speed": settings.VKS_SIM_SPEED}
