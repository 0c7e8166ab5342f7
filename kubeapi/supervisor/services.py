"""The Supervisor's `services`: each VKS cluster's API load balancer, the Service VM Operator
makes for the cluster's control plane (`<cluster>-control-plane-service`, type LoadBalancer,
port 6443) and whose ingress is the cluster's VIP. Read-only, in category `all`.

A service is derived from its cluster, so it takes the cluster's resourceVersion (the change
log's `clusters.cluster.x-k8s.io` key) and a watch of services wakes on the clusters' changes
and sends the difference of a relist: nothing is recorded for services."""

from __future__ import annotations

import ipaddress

from kubeapi.guest.system import SERVICE_COLUMNS
from kubeapi.supervisor.common import (
    CAPI_GROUP,
    CLUSTER_NAME_LABEL,
    VMOP_GROUP,
    NamedSource,
    array,
    integer,
    metadata,
    obj,
    owner,
    resource_schema,
    string,
    string_map,
    versions,
    visible_namespaces,
)
from kubeapi.surface import Context, ResourceType, object_uid
from workloads.models import VksCluster

SUFFIX = "-control-plane-service"
API_PORT = 6443
# The Supervisor's "Internal Network for Kubernetes Services" when its spec names none.
DEFAULT_SERVICES_CIDR = "10.96.0.0/23"
CHANGES_KEY = f"clusters.{CAPI_GROUP}"
VM_SERVICE_VERSION = f"{VMOP_GROUP}/v1alpha3"


def service_name(cluster: VksCluster) -> str:
    return f"{cluster.name}{SUFFIX}"


def cluster_ip(cluster: VksCluster) -> str:
    """A stable address of the Supervisor's services CIDR, from the cluster's primary key;
    the first ten are left to the Supervisor's own services (`kubernetes` is the first)."""
    spec = cluster.namespace.supervisor.spec or {}
    cidr = (spec.get("workload_network") or {}).get("services_cidr") or DEFAULT_SERVICES_CIDR
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        network = ipaddress.ip_network(DEFAULT_SERVICES_CIDR)
    usable = max(network.num_addresses - 12, 1)
    return str(network[10 + cluster.pk % usable])


def _rows(ctx: Context, namespace: str | None, name: str | None):
    clusters = VksCluster.objects.filter(
        namespace__in=visible_namespaces(ctx, namespace)
    ).select_related("namespace__supervisor")
    if name is None:
        return clusters.order_by("namespace__name", "name")
    if not name.endswith(SUFFIX):
        return []
    return clusters.filter(name=name[: -len(SUFFIX)])


class _Services(NamedSource):
    def objects(self, ctx: Context, namespace: str | None, name: str | None) -> list[dict]:
        version_of = versions(CHANGES_KEY, namespace)  # the cluster's: one query
        found = _objects(list(_rows(ctx, namespace, name)))
        for service, cluster in found:
            service["metadata"]["resourceVersion"] = version_of(
                cluster.namespace.name, cluster.name
            )
        return [service for service, _cluster in found]


def _objects(rows: list[VksCluster]) -> list[tuple[dict, VksCluster]]:
    objects = []
    for cluster in rows:
        name, ns, address = service_name(cluster), cluster.namespace.name, cluster_ip(cluster)
        status: dict = {"loadBalancer": {}}
        if cluster.api_endpoint:  # the VIP once the load balancer serves it
            status["loadBalancer"] = {"ingress": [{"ip": cluster.api_endpoint}]}
        vm_service = object_uid("VirtualMachineService", cluster.pk, cluster.created_at)
        objects.append(
            (
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": metadata(
                        name,
                        namespace=ns,
                        uid=object_uid("Service", cluster.pk, cluster.created_at),
                        created=cluster.created_at,
                        labels={CLUSTER_NAME_LABEL: cluster.name},
                        owners=[
                            owner(VM_SERVICE_VERSION, "VirtualMachineService", name, vm_service)
                        ],
                        deleting=cluster.deletion_requested_at,
                    ),
                    "spec": {
                        "type": "LoadBalancer",
                        "clusterIP": address,
                        "clusterIPs": [address],
                        "ipFamilies": ["IPv4"],
                        "ipFamilyPolicy": "SingleStack",
                        "ports": [
                            {
                                "name": "apiserver",
                                "port": API_PORT,
                                "protocol": "TCP",
                                "targetPort": API_PORT,
                            }
                        ],
                        "sessionAffinity": "None",
                        "externalTrafficPolicy": "Cluster",
                        "internalTrafficPolicy": "Cluster",
                    },
                    "status": status,
                },
                cluster,
            )
        )
    return objects


SERVICE_SCHEMA = resource_schema(
    "",
    "v1",
    "Service",
    "A VKS cluster's API load balancer: its address inside the Supervisor and its VIP.",
    spec=obj(
        "How the service is exposed.",
        type=string("ClusterIP, NodePort, LoadBalancer or ExternalName."),
        clusterIP=string("The service's address inside the Supervisor."),
        clusterIPs=array("Its addresses.", {"type": "string"}),
        ipFamilies=array("IPv4 or IPv6.", {"type": "string"}),
        ipFamilyPolicy=string("SingleStack, PreferDualStack or RequireDualStack."),
        ports=array(
            "The ports it exposes.",
            obj(
                "A port.",
                name=string("Name of the port."),
                port=integer("The port the service exposes."),
                protocol=string("TCP, UDP or SCTP."),
                targetPort={"x-kubernetes-int-or-string": True, "description": "The VMs' port."},
            ),
        ),
        selector=string_map("Labels of the pods it routes to; none: VM Operator sets endpoints."),
        sessionAffinity=string("ClientIP or None."),
        externalTrafficPolicy=string("Cluster or Local."),
        internalTrafficPolicy=string("Cluster or Local."),
    ),
    status=obj(
        "The load balancer's state.",
        loadBalancer=obj(
            "Its ingress points.",
            ingress=array("The VIPs.", obj("An ingress point.", ip=string("The VIP."))),
        ),
    ),
)

SERVICES_TYPE = ResourceType(
    group="",
    version="v1",
    plural="services",
    singular="service",
    kind="Service",
    namespaced=True,
    source=_Services(),
    short_names=("svc",),
    categories=("all",),
    columns=SERVICE_COLUMNS,
    schema=SERVICE_SCHEMA,
    watch_relists=True,  # derived from clusters: the change log names the cluster
    changes_from=CHANGES_KEY,
    description="The API load balancers of the VKS clusters, one per cluster.",
)
