from django.contrib.auth.views import LogoutView
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.permissions import AllowAny

from inventory.api.views import not_found
from inventory.views import SsoLoginView

urlpatterns = [
    path("login/", SsoLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    # The Kubernetes API: the Supervisor's (/api, /api/v1/..., /apis/..., /openapi/v3, /version)
    # and each VKS cluster's (/vks/<namespace>/<cluster>/...), for kubectl and client libraries.
    # The vSphere Automation API of vapi/: POST /api (vAPI JSON-RPC, VMware's SDKs) and the REST
    # routes of its operations (/api/session, /api/vcenter/..., the legacy
    # /rest/com/vmware/cis/session), their OpenAPI schema (generated from the operations'
    # declarations; no Swagger UI, whose assets would come from a CDN), and a vAPI NOT_FOUND
    # body for any other /api/ path.
    path("", include("vapi.urls")),
    path("", include("kubeapi.urls")),
    path(
        "api/openapi.json",
        SpectacularJSONAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="api-schema",
    ),
    re_path(r"^api/", not_found),
    # The Supervisor's `/wcp/login` and the Kubernetes CLI Tools page.
    path("wcp/", include("kubeapi.wcp_urls")),
    path("workload-management/", include("workloads.urls")),
    path("portal/", include("portal.urls")),
    path("", include("inventory.urls")),
]
