"""Paths as vCenter's (VKS-REFERENCE §1.1), mounted under /api/. `instances/v2` comes before
`instances/{namespace}`, as in vCenter, where it shadows a namespace named `v2`."""

from django.urls import path

from workloads.api import views

NM = "vcenter/namespace-management"
NS = "vcenter/namespaces/instances"

urlpatterns = [
    path(NS, views.NamespaceListView.as_view(), name="api-namespaces"),
    path(f"{NS}/v2", views.NamespaceListV2View.as_view()),
    path(f"{NS}/v2/<str:namespace>", views.NamespaceDetailV2View.as_view()),
    path(f"{NS}/<str:namespace>", views.NamespaceDetailView.as_view(), name="api-namespace"),
    path(
        f"{NS}/<str:namespace>/access/<str:domain>/<str:subject>",
        views.NamespaceAccessView.as_view(),
    ),
]
