from django.contrib.auth.views import LogoutView
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework.permissions import AllowAny

from inventory.api.views import NotFoundView
from inventory.views import SsoLoginView

urlpatterns = [
    path("login/", SsoLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    # The REST front door: vCenter's session and Workload Management's Automation API subset,
    # its OpenAPI schema (generated; no Swagger UI, whose assets would come from a CDN), and a
    # vAPI NOT_FOUND body for any other /api/ path.
    # The Kubernetes API: the Supervisor's (/api, /api/v1/..., /apis/..., /openapi/v3, /version)
    # and each VKS cluster's (/vks/<namespace>/<cluster>/...), for kubectl and client libraries.
    # The vSphere Automation API of vapi/: POST /api (vAPI JSON-RPC, VMware's SDKs) and the REST
    # routes of its operations (/api/vcenter/..., the legacy /rest/com/vmware/cis/session).
    path("", include("vapi.urls")),
    path("", include("kubeapi.urls")),
    path("api/", include("inventory.api.urls")),
    path("api/", include("workloads.api.urls")),
    path(
        "api/openapi.json",
        SpectacularJSONAPIView.as_view(authentication_classes=[], permission_classes=[AllowAny]),
        name="api-schema",
    ),
    re_path(r"^api/", NotFoundView.as_view()),
    # The Supervisor's `/wcp/login` and the Kubernetes CLI Tools page.
    path("wcp/", include("kubeapi.wcp_urls")),
    path("workload-management/", include("workloads.urls")),
    path("", include("inventory.urls")),
]
