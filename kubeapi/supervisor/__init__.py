"""The Supervisor's resource types other than its clusters: namespaces, VM Operator's VMs,
classes and images, Kubernetes releases, storage classes, Cluster API Machines and
MachineDeployments, the namespaces' Events, the clusters' kubeconfig Secrets and their API load
balancers' Services.

Every type is read-only and answers only what the caller may see (workloads.access).
`TYPES` goes into the Supervisor's Surface, with `PREFERRED` as its preferred versions;
`secrets_forbidden` is the rule the dispatcher asks before serving Secrets."""

from __future__ import annotations

from kubeapi.supervisor import vmoperator
from kubeapi.supervisor.capi import MACHINE_DEPLOYMENTS_TYPE, MACHINES_TYPE
from kubeapi.supervisor.common import VMOP_GROUP, versions
from kubeapi.supervisor.core import (
    EVENTS_TYPE,
    NAMESPACES_TYPE,
    SECRETS_TYPE,
    STORAGE_CLASSES_TYPE,
    cluster_kubeconfig,
    secrets_forbidden,
)
from kubeapi.supervisor.releases import RELEASES_TYPE
from kubeapi.supervisor.services import SERVICES_TYPE

TYPES = [
    NAMESPACES_TYPE,
    EVENTS_TYPE,
    SECRETS_TYPE,
    SERVICES_TYPE,
    STORAGE_CLASSES_TYPE,
    *vmoperator.types(),  # v1alpha3 first: the preferred version
    RELEASES_TYPE,
    MACHINES_TYPE,
    MACHINE_DEPLOYMENTS_TYPE,
]

PREFERRED = {VMOP_GROUP: vmoperator.PREFERRED}

__all__ = ["PREFERRED", "TYPES", "cluster_kubeconfig", "secrets_forbidden", "versions"]
