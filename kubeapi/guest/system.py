"""`namespaces` and `services` of a VKS cluster: what kubeadm and the VKS add-ons make when
the control plane comes up. Only the cluster's network spec and its first node decide them."""

from __future__ import annotations

import ipaddress
from datetime import timedelta

from kubeapi.guest.common import (
    Snapshot,
    age_column,
    array,
    core_type,
    integer,
    kind_schema,
    meta,
    obj,
    resource_key,
    stamp,
    string,
    string_map,
)
from kubeapi.surface import Column, Context, ResourceType, object_uid, path

# The namespaces of a VKS cluster (`kubectl get ns` in public lab notes of TKG 2 / VKS
# clusters), with how long after the API server each appears: kubeadm's at once, the
# add-ons' as their packages install.
NAMESPACES = (
    ("default", 0),
    ("kube-node-lease", 0),
    ("kube-public", 0),
    ("kube-system", 0),
    ("secretgen-controller", 190),
    ("tkg-system", 140),
    ("vmware-system-auth", 0),
    ("vmware-system-cloud-provider", 110),
    ("vmware-system-csi", 115),
    ("vmware-system-tkg", 0),
)
DEFAULT_SERVICE_CIDR = "10.96.0.0/12"


def namespace_objects(snapshot: Snapshot, _namespace: str | None = None) -> list[dict]:
    cluster = snapshot.cluster
    out = []
    for name, after in NAMESPACES:
        created = snapshot.born + timedelta(seconds=after)
        out.append(
            {
                "kind": "Namespace",
                "apiVersion": "v1",
                "metadata": meta(
                    name,
                    uid=object_uid("Namespace", f"{cluster.pk}/{name}", snapshot.born),
                    created=created,
                    labels={"kubernetes.io/metadata.name": name},
                ),
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            }
        )
    return stamp(out, resource_key(cluster, "namespaces"))


def service_objects(snapshot: Snapshot, namespace: str | None = None) -> list[dict]:
    """`kubernetes` (the first address of the service CIDR) and `kube-dns` (the tenth)."""
    cluster = snapshot.cluster
    cidr = ipaddress.ip_network(
        (snapshot.network.get("services") or [DEFAULT_SERVICE_CIDR])[0], strict=False
    )

    def service(where, name, address, ports, *, labels, selector=None, annotations=None):
        spec: dict = {
            "clusterIP": str(address),
            "clusterIPs": [str(address)],
            "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": ports,
        }
        if selector:
            spec["selector"] = selector
        spec["sessionAffinity"] = "None"
        spec["type"] = "ClusterIP"
        return {
            "kind": "Service",
            "apiVersion": "v1",
            "metadata": meta(
                name,
                namespace=where,
                uid=object_uid("Service", f"{cluster.pk}/{where}/{name}", snapshot.born),
                created=snapshot.born,
                labels=labels,
                annotations=annotations,
            ),
            "spec": spec,
            "status": {"loadBalancer": {}},
        }

    services = [
        service(
            "default",
            "kubernetes",
            cidr[1],
            [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
            labels={"component": "apiserver", "provider": "kubernetes"},
        ),
        service(
            "kube-system",
            "kube-dns",
            cidr[10],
            [
                {"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153},
            ],
            # kubectl cluster-info lists the services labelled cluster-service and names
            # each by its kubernetes.io/name.
            labels={
                "k8s-app": "kube-dns",
                "kubernetes.io/cluster-service": "true",
                "kubernetes.io/name": "CoreDNS",
            },
            selector={"k8s-app": "kube-dns"},
            annotations={"prometheus.io/port": "9153", "prometheus.io/scrape": "true"},
        ),
    ]
    found = [s for s in services if namespace is None or s["metadata"]["namespace"] == namespace]
    return stamp(found, resource_key(cluster, "services"))


# ---------------------------------------------------------------- printer columns


def ports_cell(service: dict, _ctx: Context) -> str:
    pieces = []
    for p in path(service, "spec.ports", []) or []:
        node_port = f":{p['nodePort']}" if p.get("nodePort") else ""
        pieces.append(f"{p.get('port')}{node_port}/{p.get('protocol', 'TCP')}")
    return ",".join(pieces)


def external_ip_cell(service: dict, _ctx: Context) -> str:
    external = path(service, "spec.externalIPs", []) or []
    if path(service, "spec.type") == "LoadBalancer":
        ingress = path(service, "status.loadBalancer.ingress", []) or []
        found = [i.get("ip") or i.get("hostname") for i in ingress] + external
        return ",".join(found) or "<pending>"
    return ",".join(external) or "<none>"


def selector_cell(service: dict, _ctx: Context) -> str:
    selector = path(service, "spec.selector") or {}
    return ",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "<none>"


NAMESPACE_COLUMNS = (
    Column(
        "Status",
        lambda ns, _ctx: path(ns, "status.phase", ""),
        description="The status of the namespace",
    ),
    age_column(),
)

SERVICE_COLUMNS = (
    Column(
        "Type",
        lambda s, _ctx: path(s, "spec.type", ""),
        description="How the service is exposed: ClusterIP, NodePort, LoadBalancer.",
    ),
    Column(
        "Cluster-IP",
        lambda s, _ctx: path(s, "spec.clusterIP") or "<none>",
        description="The IP address of the service inside the cluster.",
    ),
    Column("External-IP", external_ip_cell, description="Addresses outside the cluster."),
    Column("Port(s)", ports_cell, description="The ports the service exposes."),
    age_column(),
    Column(
        "Selector",
        selector_cell,
        priority=1,
        description="The labels of the pods the service routes to.",
    ),
)

NAMESPACE_SCHEMA = kind_schema(
    "Namespace",
    "Namespace provides a scope for names in the VKS cluster.",
    obj(
        "Finalizers of the namespace.",
        {"finalizers": array("Finalizers to run before removal.", {"type": "string"})},
    ),
    obj("Its phase.", {"phase": string("Active or Terminating.")}),
)

SERVICE_SCHEMA = kind_schema(
    "Service",
    "Service is a named abstraction of a network service: a stable address in front of pods.",
    obj(
        "How the service is exposed.",
        {
            "clusterIP": string("The service's address inside the cluster."),
            "clusterIPs": array("Its addresses.", {"type": "string"}),
            "ports": array(
                "The ports it exposes.",
                obj(
                    "A port.",
                    {
                        "name": string("Name of the port."),
                        "port": integer("The port the service exposes."),
                        "protocol": string("TCP, UDP or SCTP."),
                        "targetPort": {
                            "x-kubernetes-int-or-string": True,
                            "description": "The pods' port.",
                        },
                    },
                ),
            ),
            "selector": string_map("Labels of the pods it routes to."),
            "sessionAffinity": string("ClientIP or None."),
            "type": string("ClusterIP, NodePort, LoadBalancer or ExternalName."),
        },
    ),
    obj("The load balancer's state.", {"loadBalancer": obj("Its ingress points.")}),
)


def namespace_type(cluster) -> ResourceType:
    return core_type(
        cluster,
        "Namespace",
        "namespaces",
        namespace_objects,
        namespaced=False,
        short_names=("ns",),
        columns=NAMESPACE_COLUMNS,
        schema=NAMESPACE_SCHEMA,
        description="The namespaces of the VKS cluster.",
    )


def service_type(cluster) -> ResourceType:
    return core_type(
        cluster,
        "Service",
        "services",
        service_objects,
        namespaced=True,
        short_names=("svc",),
        categories=("all",),
        columns=SERVICE_COLUMNS,
        schema=SERVICE_SCHEMA,
        description="The services of the VKS cluster.",
    )
