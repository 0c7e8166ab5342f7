"""The Kubernetes-style paths, as the Supervisor's API server serves them: VKS clusters under
`/apis/<group>/<version>/` and the kubeconfig Secret under `/api/v1/`. Mounted at the root
(vksportal/urls.py) before the `/api/` catch-all; any other path under these prefixes is a
404 Status."""

from django.urls import path, re_path

from workloads.api.kubernetes import views as k

CAPI = "apis/cluster.x-k8s.io/v1beta1"
TKC = "apis/run.tanzu.vmware.com/v1alpha3"

urlpatterns = [
    path(f"{CAPI}/clusters", k.ClusterAllNamespacesView.as_view()),
    path(f"{CAPI}/namespaces/<str:namespace>/clusters", k.ClusterCollectionView.as_view()),
    path(f"{CAPI}/namespaces/<str:namespace>/clusters/<str:name>", k.ClusterView.as_view()),
    path(f"{TKC}/tanzukubernetesclusters", k.TkcAllNamespacesView.as_view()),
    path(
        f"{TKC}/namespaces/<str:namespace>/tanzukubernetesclusters",
        k.TkcCollectionView.as_view(),
    ),
    path(
        f"{TKC}/namespaces/<str:namespace>/tanzukubernetesclusters/<str:name>",
        k.TkcView.as_view(),
    ),
    path("api/v1/namespaces/<str:namespace>/secrets/<str:name>", k.KubeconfigSecretView.as_view()),
    re_path(r"^(?:apis|api/v1)(?:/|$)", k.StatusNotFoundView.as_view()),
]
