"""The OpenAPI v3 schemas of the two VKS cluster kinds the Supervisor serves: structural, as a
CRD's, naming every field the API accepts (the ones the simulator models and the ones it keeps
as written), with short descriptions of our own for `kubectl explain`.

`unknown_fields` walks a request body against them: what `fieldValidation=Strict` (kubectl's
default) refuses as `strict decoding error: unknown field "spec.foo"`."""

from __future__ import annotations

from typing import Any

# ---------------------------------------------------------------- building blocks


def _obj(description: str, properties: dict, required: tuple[str, ...] = ()) -> dict:
    schema: dict[str, Any] = {"type": "object", "description": description}
    schema["properties"] = properties
    if required:
        schema["required"] = list(required)
    return schema


def _str(description: str, **extra) -> dict:
    return {"type": "string", "description": description, **extra}


def _int(description: str, **extra) -> dict:
    return {"type": "integer", "format": "int32", "description": description, **extra}


def _bool(description: str) -> dict:
    return {"type": "boolean", "description": description}


def _list(description: str, items: dict) -> dict:
    return {"type": "array", "description": description, "items": items}


def _strings(description: str) -> dict:
    return _list(description, {"type": "string"})


def _string_map(description: str) -> dict:
    return {
        "type": "object",
        "description": description,
        "additionalProperties": {"type": "string"},
    }


def _free(description: str, type_: str | None = "object") -> dict:
    """Accepted and kept as written, not looked into (any fields, or for `type_` None any value)."""
    schema: dict[str, Any] = {
        "description": description,
        "x-kubernetes-preserve-unknown-fields": True,
    }
    if type_:
        schema["type"] = type_
    return schema


def _duration(description: str) -> dict:
    return _str(f"{description} A duration such as 10m or 1h30m; 0s means no limit.")


def _cidrs(what: str) -> dict:
    return _obj(
        f"The {what} address ranges.",
        {"cidrBlocks": _strings("Address ranges in CIDR notation, such as 10.96.0.0/12.")},
    )


def _reference(description: str) -> dict:
    return _obj(
        description,
        {
            "apiVersion": _str("API version of the referent."),
            "kind": _str("Kind of the referent."),
            "name": _str("Name of the referent."),
            "namespace": _str("Namespace of the referent."),
            "uid": _str("UID of the referent."),
            "resourceVersion": _str("Specific resourceVersion of the referent."),
            "fieldPath": _str("A field within the referent."),
        },
    )


def _condition() -> dict:
    return _obj(
        "An observation of one aspect of the object's state.",
        {
            "type": _str("Type of condition, in CamelCase: Ready, ControlPlaneReady..."),
            "status": _str("True, False or Unknown."),
            "severity": _str("How bad a False condition is: Error, Warning or Info."),
            "reason": _str("Why the condition last changed, in CamelCase."),
            "message": _str("The same, for people."),
            "lastTransitionTime": _str("When the status last changed.", format="date-time"),
        },
        required=("type", "status", "lastTransitionTime"),
    )


CONDITIONS = _list("The conditions the controllers report.", _condition())
QUANTITY = {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True}


# ---------------------------------------------------------------- TanzuKubernetesCluster


def _volume() -> dict:
    return _obj(
        "A persistent volume made and mounted on each node, for as long as the node lives.",
        {
            "name": _str("Suffix of the volume's claim: <node name>-<name>."),
            "mountPath": _str(
                "Where the volume is mounted on the node, such as /var/lib/containerd."
            ),
            "capacity": {
                "type": "object",
                "description": "The volume's size, as `storage: 50Gi`.",
                "additionalProperties": QUANTITY,
            },
            "storageClass": _str("Storage class of the volume; the node pool's by default."),
        },
        required=("name", "mountPath", "capacity"),
    )


def _topology_settings() -> dict:
    return {
        "replicas": _int(
            "Number of nodes. The control plane has 1 or 3 (1 when left out); a node pool "
            "left without a count keeps the count it runs (1 when new), for an autoscaler."
        ),
        "vmClass": _str("VM class of the nodes (`kubectl get vmclass`): their CPU and memory."),
        "storageClass": _str(
            "Storage class of the nodes' disks (a storage policy of the namespace)."
        ),
        "volumes": _list("Extra volumes for each node.", _volume()),
        "tkr": _obj(
            "The Kubernetes release the nodes run.",
            {"reference": _reference("The TanzuKubernetesRelease, by name (`kubectl get tkr`).")},
        ),
        "nodeDrainTimeout": _duration("How long a node being removed may take to drain."),
    }


TKC_SPEC = _obj(
    "The cluster asked for: its nodes, their Kubernetes release and the cluster's settings.",
    {
        "topology": _obj(
            "The nodes: a control plane and node pools of workers.",
            {
                "controlPlane": _obj(
                    "The control plane nodes.",
                    _topology_settings(),
                    required=("vmClass", "storageClass"),
                ),
                "nodePools": _list(
                    "The pools of worker nodes, each alike inside.",
                    _obj(
                        "A pool of worker nodes.",
                        {
                            "name": _str("Name of the pool, unique in the cluster."),
                            "labels": _string_map("Labels put on the pool's nodes."),
                            "taints": _list(
                                "Taints put on the pool's nodes.",
                                _obj(
                                    "A taint.",
                                    {
                                        "key": _str("The taint's key."),
                                        "value": _str("The taint's value."),
                                        "effect": _str(
                                            "NoSchedule, PreferNoSchedule or NoExecute."
                                        ),
                                        "timeAdded": _str("When it was added.", format="date-time"),
                                    },
                                    required=("key", "effect"),
                                ),
                            ),
                            "failureDomain": _str("The vSphere Zone the pool's nodes run in."),
                            **_topology_settings(),
                        },
                        required=("name", "vmClass", "storageClass"),
                    ),
                ),
            },
            required=("controlPlane", "nodePools"),
        ),
        "settings": _obj(
            "How the cluster is configured.",
            {
                "network": _obj(
                    "The cluster's networking.",
                    {
                        "cni": _obj(
                            "The container network plugin.",
                            {"name": _str("antrea (the default) or calico.")},
                        ),
                        "services": _cidrs("Service (default 10.96.0.0/12)"),
                        "pods": _cidrs("pod (default 192.168.0.0/16)"),
                        "serviceDomain": _str(
                            "The cluster's DNS domain; cluster.local by default."
                        ),
                        "proxy": _obj(
                            "The HTTP(S) proxy the nodes use; none when left out.",
                            {
                                "httpProxy": _str("Proxy for HTTP connections."),
                                "httpsProxy": _str("Proxy for HTTPS connections."),
                                "noProxy": _strings("Destinations reached without the proxy."),
                            },
                        ),
                        "trust": _obj(
                            "Extra certificates the nodes trust.",
                            {
                                "additionalTrustedCAs": _list(
                                    "The certificates.",
                                    _obj(
                                        "A certificate.",
                                        {
                                            "name": _str("Its name, for the file it is saved as."),
                                            "data": _str("The PEM certificate, base64-encoded."),
                                        },
                                        required=("name", "data"),
                                    ),
                                )
                            },
                        ),
                    },
                ),
                "storage": _obj(
                    "The storage classes the cluster offers.",
                    {
                        "classes": _strings(
                            "The namespace's storage classes to offer; all if left out."
                        ),
                        "defaultClass": _str(
                            "The cluster's default storage class; none if left out."
                        ),
                    },
                ),
            },
        ),
        "distribution": _obj(
            "Deprecated: the release by version. Use topology.controlPlane.tkr instead.",
            {
                "fullVersion": _str("The full version of the release."),
                "version": _str("A version prefix the newest matching release is chosen by."),
            },
        ),
    },
    required=("topology",),
)

TKC_STATUS = _obj(
    "The cluster as it is (read-only).",
    {
        "apiEndpoints": _list(
            "Where the cluster's API server answers.",
            _obj("An endpoint.", {"host": _str("Address."), "port": _int("Port.")}),
        ),
        "version": _str("The Kubernetes version the control plane runs (the oldest, mid-upgrade)."),
        "addons": _list("The add-ons installed in the cluster.", _free("An add-on.")),
        "phase": _str("Deprecated: read the conditions instead."),
        "conditions": CONDITIONS,
        "totalWorkerReplicas": _int("Number of worker nodes."),
    },
)


# ---------------------------------------------------------------- Cluster API Cluster


def _variables(description: str) -> dict:
    return _list(
        description,
        _obj(
            "A ClusterClass variable's value.",
            {
                "name": _str("The variable, such as vmClass or storageClass."),
                "definitionFrom": _str(
                    "Which patch's definition of the variable the value is for."
                ),
                "value": _free("Its value: any JSON.", type_=None),
            },
            required=("name", "value"),
        ),
    )


def _machine_metadata() -> dict:
    return _obj(
        "Labels and annotations for the machines, such as the OS image annotation "
        "run.tanzu.vmware.com/resolve-os-image: os-name=ubuntu.",
        {"labels": _string_map("Labels."), "annotations": _string_map("Annotations.")},
    )


def _machine_settings() -> dict:
    return {
        "metadata": _machine_metadata(),
        "replicas": _int("Number of machines; left out, the running count stays (1 when new)."),
        "machineHealthCheck": _free("When unhealthy machines are replaced."),
        "nodeDrainTimeout": _duration("How long a machine being removed may take to drain."),
        "nodeVolumeDetachTimeout": _duration(
            "How long detaching a removed machine's volumes may take."
        ),
        "nodeDeletionTimeout": _duration("How long deleting a removed machine's node may take."),
    }


CLUSTER_SPEC = _obj(
    "The cluster asked for, made from a ClusterClass.",
    {
        "paused": _bool("Whether the controllers leave the cluster alone."),
        "clusterNetwork": _obj(
            "The cluster's networking.",
            {
                "apiServerPort": _int("Port of the API server: 6443."),
                "services": _cidrs("Service (default 10.96.0.0/12)"),
                "pods": _cidrs("pod (default 192.168.0.0/16)"),
                "serviceDomain": _str("The cluster's DNS domain; cluster.local by default."),
            },
        ),
        "controlPlaneEndpoint": _obj(
            "Where the API server answers: the load balancer's address, set by the controllers.",
            {"host": _str("Address."), "port": _int("Port.")},
        ),
        "controlPlaneRef": _reference("The control plane object (set by the topology controller)."),
        "infrastructureRef": _reference(
            "The infrastructure object (set by the topology controller)."
        ),
        "topology": _obj(
            "The cluster as its ClusterClass makes it.",
            {
                "class": _str(
                    "The ClusterClass: builtin-generic-v3.x.y (in vmware-system-vks-public) or "
                    "tanzukubernetescluster (in the cluster's namespace)."
                ),
                "classNamespace": _str("Namespace of the ClusterClass."),
                "version": _str(
                    "The Kubernetes release (`kubectl get tkr`), by name or by version; a "
                    "version prefix picks the newest matching release."
                ),
                "rolloutAfter": _str("Roll out new machines after this time.", format="date-time"),
                "controlPlane": _obj(
                    "The control plane machines: 1 or 3.",
                    {
                        **_machine_settings(),
                        "variables": _obj(
                            "Variables for the control plane only.",
                            {"overrides": _variables("Values overriding the cluster's.")},
                        ),
                    },
                ),
                "workers": _obj(
                    "The worker machines.",
                    {
                        "machineDeployments": _list(
                            "The node pools.",
                            _obj(
                                "A node pool.",
                                {
                                    "class": _str("The ClusterClass's worker class: node-pool."),
                                    "name": _str("Name of the pool, unique in the cluster."),
                                    "failureDomain": _str("The vSphere Zone the pool runs in."),
                                    **_machine_settings(),
                                    "minReadySeconds": _int(
                                        "Seconds a new node must be ready for."
                                    ),
                                    "strategy": _free("How machines are replaced."),
                                    "variables": _obj(
                                        "Variables for this pool only.",
                                        {
                                            "overrides": _variables(
                                                "Values overriding the cluster's, such as vmClass."
                                            )
                                        },
                                    ),
                                },
                                required=("class", "name"),
                            ),
                        ),
                        "machinePools": _list("Machine pools.", _free("A machine pool.")),
                    },
                ),
                "variables": _variables(
                    "The ClusterClass's variables; vmClass and storageClass are required."
                ),
            },
            required=("class", "version"),
        ),
        "availabilityGates": _list(
            "Extra conditions the cluster's availability waits for.",
            _obj(
                "A gate.",
                {
                    "conditionType": _str("The condition's type."),
                    "polarity": _str("Positive or Negative."),
                },
                required=("conditionType",),
            ),
        ),
    },
)

CLUSTER_STATUS = _obj(
    "The cluster as it is (read-only).",
    {
        "failureDomains": _free("The failure domains the machines may run in."),
        "failureReason": _str("Why the cluster failed, for programs."),
        "failureMessage": _str("Why the cluster failed, for people."),
        "phase": _str("Pending, Provisioning, Provisioned, Deleting or Failed."),
        "infrastructureReady": _bool("Whether the infrastructure is ready."),
        "controlPlaneReady": _bool("Whether the control plane is ready."),
        "conditions": CONDITIONS,
        "observedGeneration": {
            "type": "integer",
            "format": "int64",
            "description": "The last generation acted on.",
        },
        "v1beta2": _free("The conditions of the next API version."),
    },
)


def _object(description: str, spec: dict, status: dict) -> dict:
    """The object's schema; `metadata` is ObjectMeta (openapi.py puts in its reference)."""
    return _obj(
        description,
        {
            "apiVersion": _str("The versioned schema of this object."),
            "kind": _str("The kind of this object."),
            "metadata": {"type": "object", "description": "Standard object metadata."},
            "spec": spec,
            "status": status,
        },
    )


TKC_SCHEMA = _object(
    "A VKS cluster in the TanzuKubernetesCluster form: a control plane and node pools of "
    "VMs in this vSphere Namespace, running a Kubernetes release.",
    TKC_SPEC,
    TKC_STATUS,
)
CLUSTER_SCHEMA = _object(
    "A Cluster API cluster made from a ClusterClass: a VKS cluster's control plane and node "
    "pools of VMs in this vSphere Namespace.",
    CLUSTER_SPEC,
    CLUSTER_STATUS,
)
SCHEMAS = {"TanzuKubernetesCluster": TKC_SCHEMA, "Cluster": CLUSTER_SCHEMA}

# ObjectMeta's fields (apimachinery's meta/v1 types): what metadata may hold.
OBJECT_META = frozenset(
    {
        "name",
        "generateName",
        "namespace",
        "selfLink",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "labels",
        "annotations",
        "ownerReferences",
        "finalizers",
        "managedFields",
    }
)


def unknown_fields(kind: str, body: dict) -> list[str]:
    """The fields of `body` (an object of `kind`) its schema does not name, as the API server's
    strict decoding names them: `spec.topology.nodePools[0].foo`, `metadata.bar`."""
    found: list[str] = []
    schema = SCHEMAS.get(kind)
    if schema is None or not isinstance(body, dict):
        return found
    for key, value in body.items():
        if key == "metadata" and isinstance(value, dict):
            found += [f"metadata.{k}" for k in value if k not in OBJECT_META]
        elif key in schema["properties"]:
            _walk(value, schema["properties"][key], key, found)
        else:
            found.append(key)
    return found


def _walk(value: Any, schema: dict, path: str, found: list[str]) -> None:
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return
    if isinstance(value, dict) and "properties" in schema:
        for key, item in value.items():
            if key in schema["properties"]:
                _walk(item, schema["properties"][key], f"{path}.{key}", found)
            else:
                found.append(f"{path}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            _walk(item, schema["items"], f"{path}[{i}]", found)
