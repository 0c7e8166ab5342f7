"""Reconcilers: level-triggered, one bounded step per pass, for each Workload Management object."""

from workloads.reconcilers.clusters import (
    cluster_folder,
    cluster_pool,
    cluster_reconcile,
    clusters_due,
    groups_of,
    nodes_of,
)
from workloads.reconcilers.common import DURATION, sim
from workloads.reconcilers.namespaces import (
    namespace_folder,
    namespace_pool,
    namespace_reconcile,
    namespaces_due,
)
from workloads.reconcilers.self_service import self_service_due, self_service_reconcile
from workloads.reconcilers.supervisors import (
    control_plane_vms,
    namespaces_pool,
    supervisor_reconcile,
    supervisors_due,
)

__all__ = [
    "DURATION",
    "cluster_folder",
    "cluster_pool",
    "cluster_reconcile",
    "clusters_due",
    "groups_of",
    "nodes_of",
    "control_plane_vms",
    "namespace_folder",
    "namespace_pool",
    "namespace_reconcile",
    "namespaces_due",
    "namespaces_pool",
    "self_service_due",
    "self_service_reconcile",
    "sim",
    "supervisor_reconcile",
    "supervisors_due",
]
