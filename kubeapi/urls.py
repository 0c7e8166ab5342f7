"""Kubernetes paths. The Supervisor's API is at the root, beside the vSphere Automation API:
`/api` and `/api/v1/...` are Kubernetes' core group (every other `/api/...` path is vCenter's),
`/apis/...`, `/openapi/v3...`, `/version`. Each VKS cluster's API is under `/vks/<ns>/<name>/`."""

from django.urls import re_path

from kubeapi import views

urlpatterns = [
    re_path(r"^(?P<rest>api/?|api/v1(?:/.*)?)$", views.supervisor_api),
    re_path(
        r"^(?P<rest>(?:apis|openapi|version|healthz|livez|readyz)(?:/.*)?)$", views.supervisor_api
    ),
    re_path(r"^vks/(?P<namespace>[^/]+)/(?P<cluster>[^/]+)(?:/(?P<rest>.*))?$", views.guest_api),
]
