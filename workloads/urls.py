from django.urls import path

from workloads.views import (
    cluster_create,
    clusters,
    namespaces,
    side_by_side,
    supervisors,
    vm_classes,
)

app_name = "workloads"
urlpatterns = [
    path("", supervisors.home, name="home"),
    path("enable/", supervisors.enable, name="supervisor-enable"),
    path("side-by-side/", side_by_side.side_by_side, name="side-by-side"),
    path(
        "supervisors/<uuid:supervisor_id>/",
        supervisors.supervisor_detail,
        name="supervisor-summary",
    ),
    path(
        "supervisors/<uuid:supervisor_id>/disable/",
        supervisors.supervisor_disable,
        name="supervisor-disable",
    ),
    path(
        "supervisors/<uuid:supervisor_id>/namespace-service/",
        supervisors.namespace_service,
        name="namespace-service",
    ),
    path(
        "supervisors/<uuid:supervisor_id>/namespace-service/deactivate/",
        supervisors.namespace_service_deactivate,
        name="namespace-service-deactivate",
    ),
    path(
        "supervisors/<uuid:supervisor_id>/configure/<slug:section>/",
        supervisors.supervisor_edit,
        name="supervisor-edit",
    ),
    path(
        "supervisors/<uuid:supervisor_id>/<slug:tab>/",
        supervisors.supervisor_detail,
        name="supervisor-detail",
    ),
    # vSphere Namespaces: `new-namespace/` stays outside `namespaces/` so that no namespace
    # name (a DNS label such as "new") can shadow it.
    path("new-namespace/", namespaces.namespace_create, name="namespace-create"),
    path("namespaces/<slug:name>/", namespaces.namespace_detail, name="namespace-summary"),
    path(
        "namespaces/<slug:name>/permissions/add/",
        namespaces.permission_add,
        name="namespace-permission-add",
    ),
    path(
        "namespaces/<slug:name>/permissions/<int:entry_id>/edit/",
        namespaces.permission_edit,
        name="namespace-permission-edit",
    ),
    path(
        "namespaces/<slug:name>/permissions/<int:entry_id>/remove/",
        namespaces.permission_remove,
        name="namespace-permission-remove",
    ),
    path(
        "namespaces/<slug:name>/storage/edit/",
        namespaces.storage_edit,
        name="namespace-storage-edit",
    ),
    path(
        "namespaces/<slug:name>/limits/edit/", namespaces.limits_edit, name="namespace-limits-edit"
    ),
    path(
        "namespaces/<slug:name>/vm-classes/edit/",
        namespaces.vm_classes_edit,
        name="namespace-vm-classes-edit",
    ),
    path(
        "namespaces/<slug:name>/content-libraries/edit/",
        namespaces.libraries_edit,
        name="namespace-libraries-edit",
    ),
    path(
        "namespaces/<slug:name>/kubernetes-library/edit/",
        namespaces.kubernetes_library_edit,
        name="namespace-kubernetes-library-edit",
    ),
    path("namespaces/<slug:name>/delete/", namespaces.namespace_delete, name="namespace-delete"),
    # VKS clusters of a namespace. Create and Apply sit beside the namespace's tabs (no tab has
    # those names); a cluster's actions come before its tabs, which are only the three below.
    path(
        "namespaces/<slug:name>/create-cluster/",
        cluster_create.cluster_create_view,
        name="cluster-create",
    ),
    path(
        "namespaces/<slug:name>/apply-yaml/",
        cluster_create.cluster_apply_view,
        name="cluster-apply",
    ),
    path(
        "namespaces/<slug:name>/clusters/<slug:cluster>/",
        clusters.cluster_detail,
        name="cluster-detail",
    ),
    path(
        "namespaces/<slug:name>/clusters/<slug:cluster>/scale/",
        clusters.cluster_scale_view,
        name="cluster-scale",
    ),
    path(
        "namespaces/<slug:name>/clusters/<slug:cluster>/add-node-pool/",
        clusters.cluster_pool_add,
        name="cluster-pool-add",
    ),
    path(
        "namespaces/<slug:name>/clusters/<slug:cluster>/node-pools/<slug:pool>/remove/",
        clusters.cluster_pool_remove,
        name="cluster-pool-remove",
    ),
    path(
        "namespaces/<slug:name>/clusters/<slug:cluster>/upgrade/",
        clusters.cluster_upgrade_view,
        name="cluster-upgrade",
    ),
    path(
        "namespaces/<slug:name>/clusters/<slug:cluster>/delete/",
        clusters.cluster_delete_view,
        name="cluster-delete",
    ),
    path(
        "namespaces/<slug:name>/clusters/<slug:cluster>/kubeconfig/",
        clusters.cluster_kubeconfig,
        name="cluster-kubeconfig",
    ),
    path(
        "namespaces/<slug:name>/clusters/<slug:cluster>/manifest.yaml",
        clusters.cluster_manifest,
        name="cluster-manifest",
    ),
    path(
        "namespaces/<slug:name>/clusters/<slug:cluster>/<slug:tab>/",
        clusters.cluster_detail,
        name="cluster-detail",
    ),
    path(
        "namespaces/<slug:name>/<slug:tab>/",
        namespaces.namespace_detail,
        name="namespace-detail",
    ),
    # Services: the VM Service's VM classes and the Kubernetes Service's releases. A class has
    # no page of its own, so a class named "new" only has `new/edit/` and `new/delete/`.
    path("services/vm-service/vm-classes/", vm_classes.vm_class_list, name="vm-class-list"),
    path(
        "services/vm-service/vm-classes/new/",
        vm_classes.vm_class_create,
        name="vm-class-create",
    ),
    path(
        "services/vm-service/vm-classes/<slug:name>/edit/",
        vm_classes.vm_class_edit,
        name="vm-class-edit",
    ),
    path(
        "services/vm-service/vm-classes/<slug:name>/delete/",
        vm_classes.vm_class_delete,
        name="vm-class-delete",
    ),
    path(
        "services/kubernetes-service/releases/",
        vm_classes.kubernetes_releases,
        name="kubernetes-release-list",
    ),
    path("<slug:tab>/", supervisors.home, name="home-tab"),
]
