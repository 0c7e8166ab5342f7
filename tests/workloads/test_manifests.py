"""VKS cluster manifests: the YAML of VMware's docs parses to the normalised spec with the real
defaults; each malformed manifest gets the API server's message; export writes a cluster back
in the form it came in, with metadata and status, and parses back to the same spec."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import yaml

from workloads.cluster_objects import export_manifest
from workloads.manifests import kubelet_version, parse_manifest
from workloads.models import VksCluster
from workloads.specs import SpecError
from workloads.status import FALSE, TRUE, condition

pytestmark = pytest.mark.django_db

DEFAULT_NETWORK = {
    "cni": "antrea",
    "pods": ["192.168.0.0/16"],
    "services": ["10.96.0.0/12"],
    "serviceDomain": "cluster.local",
}

# VKS-REFERENCE §2.1: "v1alpha3 Example: TKC with Custom Network Settings", with every optional
# field of the v1alpha3 field list the simulator accepts and ignores.
TKC_DOC_EXAMPLE = """\
apiVersion: run.tanzu.vmware.com/v1alpha3
kind: TanzuKubernetesCluster
metadata:
  name: tkc-custom-network
  namespace: tkg2-cluster-ns
spec:
  topology:
    controlPlane:
      replicas: 3
      vmClass: guaranteed-medium
      storageClass: tkg-storage-policy
      tkr:
        reference:
          name: v1.25.7---vmware.3-fips.1-tkg.1
      volumes:
      - name: etcd
        mountPath: /var/lib/etcd
        capacity:
          storage: 4Gi
      nodeDrainTimeout: "0s"
    nodePools:
    - name: worker
      replicas: 3
      vmClass: guaranteed-medium
      storageClass: tkg-storage-policy
      tkr:
        reference:
          name: v1.25.7---vmware.3-fips.1-tkg.1
      labels:
        workload: web
      taints:
      - key: dedicated
        value: web
        effect: NoSchedule
      volumes:
      - name: containerd
        mountPath: /var/lib/containerd
        capacity:
          storage: 50Gi
      - name: kubelet
        mountPath: /var/lib/kubelet
        capacity:
          storage: 50Gi
      nodeDrainTimeout: "0s"
  settings:
    storage:
      classes: [tkg-storage-policy]
      defaultClass: tkg-storage-policy
    network:
      cni:
        name: antrea
      services:
        cidrBlocks: ["10.97.0.0/24"]
      pods:
        cidrBlocks: ["192.0.5.0/24"]
      serviceDomain: managedcluster.local
      proxy:
        httpProxy: http://10.186.102.224:3128
        httpsProxy: http://10.186.102.224:3128
        noProxy: [10.246.0.0/16, 192.168.144.0/20, 192.168.128.0/20]
      trust:
        additionalTrustedCAs:
        - name: CompanyInternalCA-1
          data: LS0tLS1C...LS0tCg==
"""

# VKS-REFERENCE §2.2: a VKS 3.x Cluster on a builtin-generic ClusterClass.
CLUSTER_DOC_EXAMPLE = """\
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata:
  name: cluster1
  namespace: namespace1000
spec:
  clusterNetwork:
    apiServerPort: 6443
    services:
      cidrBlocks: ["10.96.0.0/12"]
    pods:
      cidrBlocks: ["192.168.156.0/20"]
    serviceDomain: cluster.local
  topology:
    class: builtin-generic-v3.4.0
    classNamespace: vmware-system-vks-public
    version: v1.33.6---vmware.1-fips-vkr.2
    controlPlane:
      replicas: 1
      metadata:
        annotations:
          run.tanzu.vmware.com/resolve-os-image: os-name=photon
    workers:
      machineDeployments:
      - class: node-pool
        name: node-pool-1
        replicas: 3
        failureDomain: zone1
        metadata:
          annotations:
            cluster.x-k8s.io/cluster-api-autoscaler-node-group-min-size: "1"
            cluster.x-k8s.io/cluster-api-autoscaler-node-group-max-size: "3"
        variables:
          overrides:
          - name: vmClass
            value: best-effort-medium
    variables:
    - name: vmClass
      value: best-effort-small
    - name: storageClass
      value: vsan-default-storage-policy
"""

# TKG Service 2.x/3.0: the `tanzukubernetescluster` ClusterClass of the user namespace, Ubuntu.
TKC_CLASS_EXAMPLE = """\
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata:
  name: cluster-ubuntu
  namespace: tkg2-cluster-ns
spec:
  clusterNetwork:
    services:
      cidrBlocks: ["198.52.100.0/12"]
    pods:
      cidrBlocks: ["192.101.2.0/16"]
    serviceDomain: "cluster.local"
  topology:
    class: tanzukubernetescluster
    version: v1.26.5---vmware.2-fips.1-tkg.1
    controlPlane:
      replicas: 3
      metadata:
        annotations:
          run.tanzu.vmware.com/resolve-os-image: os-name=ubuntu
    workers:
      machineDeployments:
      - class: node-pool
        name: node-pool-01
        replicas: 3
        metadata:
          annotations:
            run.tanzu.vmware.com/resolve-os-image: os-name=ubuntu
      - class: node-pool
        name: node-pool-02
        variables:
          overrides:
          - name: storageClass
            value: k8s-silver
    variables:
    - name: vmClass
      value: guaranteed-medium
    - name: storageClass
      value: tkg2-storage-policy
"""

MINIMAL_TKC = """\
apiVersion: run.tanzu.vmware.com/v1alpha3
kind: TanzuKubernetesCluster
metadata:
  name: tkc-min
spec:
  topology:
    controlPlane:
      vmClass: best-effort-small
      storageClass: k8s-gold
      tkr:
        reference:
          name: v1.32.7---vmware.3-fips-vkr.1
    nodePools:
    - name: workers
      vmClass: best-effort-small
      storageClass: k8s-gold
"""

MINIMAL_CLUSTER = """\
apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata:
  name: cl-min
spec:
  topology:
    class: builtin-generic-v3.4.0
    classNamespace: vmware-system-vks-public
    version: v1.32.7---vmware.3-fips-vkr.1
    workers:
      machineDeployments:
      - class: node-pool
        name: np
    variables:
    - name: vmClass
      value: best-effort-small
    - name: storageClass
      value: k8s-gold
"""


def pool(name, replicas, vm_class, storage_class) -> dict:
    return {"name": name, "replicas": replicas, "vmClass": vm_class, "storageClass": storage_class}


# ---------------------------------------------------------------- the docs' examples


def test_tkc_doc_example_parses_to_the_normalised_spec():
    m = parse_manifest(TKC_DOC_EXAMPLE, namespace_name="tkg2-cluster-ns")

    assert (m.name, m.api_version, m.kind, m.cluster_class) == (
        "tkc-custom-network",
        "run.tanzu.vmware.com/v1alpha3",
        "TanzuKubernetesCluster",
        "",
    )
    assert m.spec == {
        "topology": {
            "version": "v1.25.7---vmware.3-fips.1-tkg.1",
            "controlPlane": {
                "replicas": 3,
                "vmClass": "guaranteed-medium",
                "storageClass": "tkg-storage-policy",
                "osImage": "photon",
            },
            "nodePools": [pool("worker", 3, "guaranteed-medium", "tkg-storage-policy")],
        },
        "network": {
            "cni": "antrea",
            "pods": ["192.0.5.0/24"],
            "services": ["10.97.0.0/24"],
            "serviceDomain": "managedcluster.local",
        },
    }


def test_cluster_doc_example_parses_with_class_variables_and_overrides():
    m = parse_manifest(CLUSTER_DOC_EXAMPLE, namespace_name="namespace1000")

    assert (m.name, m.api_version, m.kind, m.cluster_class) == (
        "cluster1",
        "cluster.x-k8s.io/v1beta1",
        "Cluster",
        "builtin-generic-v3.4.0",
    )
    assert m.spec == {
        "topology": {
            "version": "v1.33.6---vmware.1-fips-vkr.2",
            "controlPlane": {
                "replicas": 1,
                "vmClass": "best-effort-small",
                "storageClass": "vsan-default-storage-policy",
                "osImage": "photon",
            },
            "nodePools": [
                pool("node-pool-1", 3, "best-effort-medium", "vsan-default-storage-policy")
            ],
        },
        "network": {**DEFAULT_NETWORK, "pods": ["192.168.156.0/20"]},
    }


def test_tanzukubernetescluster_class_example_with_ubuntu_and_pool_overrides():
    m = parse_manifest(TKC_CLASS_EXAMPLE, namespace_name="tkg2-cluster-ns")

    assert m.cluster_class == "tanzukubernetescluster"
    assert m.spec["topology"]["controlPlane"] == {
        "replicas": 3,
        "vmClass": "guaranteed-medium",
        "storageClass": "tkg2-storage-policy",
        "osImage": "ubuntu",
    }
    assert m.spec["topology"]["nodePools"] == [
        pool("node-pool-01", 3, "guaranteed-medium", "tkg2-storage-policy"),
        pool("node-pool-02", 1, "guaranteed-medium", "k8s-silver"),  # replicas left out: 1
    ]
    assert m.spec["network"] == {
        **DEFAULT_NETWORK,
        "pods": ["192.101.2.0/16"],
        "services": ["198.52.100.0/12"],
    }


@pytest.mark.parametrize("text", [MINIMAL_TKC, MINIMAL_CLUSTER], ids=["tkc", "cluster"])
def test_defaults_are_the_products(text):
    m = parse_manifest(text, namespace_name="team-a")

    assert m.spec["network"] == DEFAULT_NETWORK
    cp = m.spec["topology"]["controlPlane"]
    assert (cp["replicas"], cp["osImage"]) == (1, "photon")
    assert m.spec["topology"]["nodePools"][0]["replicas"] == 1


def test_tkc_takes_ubuntu_and_calico_from_annotation_and_settings():
    text = MINIMAL_TKC.replace(
        "  name: tkc-min\n",
        "  name: tkc-min\n  annotations:\n"
        "    run.tanzu.vmware.com/resolve-os-image: os-name=ubuntu\n",
    ) + ("  settings:\n    network:\n      cni:\n        name: calico\n")

    m = parse_manifest(text, namespace_name="team-a")

    assert m.spec["topology"]["controlPlane"]["osImage"] == "ubuntu"
    assert m.spec["network"]["cni"] == "calico"


def test_cluster_cni_variable_is_optional():
    text = MINIMAL_CLUSTER + "    - name: cni\n      value: calico\n"

    assert parse_manifest(text, namespace_name="team-a").spec["network"]["cni"] == "calico"


@pytest.mark.parametrize(
    ("given", "release"),
    [
        ("v1.32.7---vmware.3-fips-vkr.1", "v1.32.7---vmware.3-fips-vkr.1"),
        ("v1.32.7+vmware.3-fips-vkr.1", "v1.32.7---vmware.3-fips-vkr.1"),
        ("v1.32.7+vmware.3-fips", "v1.32.7---vmware.3-fips-vkr.1"),
        ("v1.33.6", "v1.33.6---vmware.1-fips-vkr.2"),
        ("v1.33", "v1.33.6---vmware.1-fips-vkr.2"),  # the newest 1.33
        ("v1.99.1+vmware.1", "v1.99.1---vmware.1"),  # nothing matches: admission refuses it
    ],
)
def test_version_in_plus_form_resolves_to_a_release_of_the_namespace(namespace, given, release):
    text = MINIMAL_CLUSTER.replace("v1.32.7---vmware.3-fips-vkr.1", given)

    assert parse_manifest(text, namespace_name="team-a").spec["topology"]["version"] == release


def test_tkc_version_in_plus_form_resolves_too(namespace):
    text = MINIMAL_TKC.replace("v1.32.7---vmware.3-fips-vkr.1", "v1.32.7+vmware.3-fips")

    m = parse_manifest(text, namespace_name="team-a")

    assert m.spec["topology"]["version"] == "v1.32.7---vmware.3-fips-vkr.1"


def test_namespace_given_must_be_the_one_applied_in():
    with pytest.raises(SpecError) as error:
        parse_manifest(TKC_DOC_EXAMPLE, namespace_name="team-a")

    assert error.value.errors == {
        "metadata.namespace": 'the namespace from the provided object "tkg2-cluster-ns" does '
        "not match the namespace \"team-a\". You must pass '--namespace=tkg2-cluster-ns' to "
        "perform this operation."
    }


# ---------------------------------------------------------------- what the API server refuses


def edit(text: str, old: str, new: str) -> str:
    assert old in text
    return text.replace(old, new)


PARSE_ERRORS = [
    (
        "apiVersion: v1\nkind: [Cluster\n",
        "manifest",
        "error parsing YAML: error converting YAML to JSON: yaml: line 3:",
    ),
    (
        MINIMAL_TKC + "  foo: bar\n bad: indent\n",
        "manifest",
        "error parsing YAML: error converting YAML to JSON: yaml: line 18:",
    ),
    ("", "manifest", "error: no objects passed to apply"),
    (
        MINIMAL_TKC + "---\n" + MINIMAL_CLUSTER,
        "manifest",
        "The manifest holds 2 documents; apply one cluster at a time.",
    ),
    ("- just\n- a list\n", "manifest", "error parsing YAML: the document is not an object"),
    (
        "apiVersion: bar/v1\nkind: Foo\nmetadata: {name: x}\n",
        "kind",
        'no matches for kind "Foo" in version "bar/v1"',
    ),
    (
        edit(MINIMAL_TKC, "v1alpha3", "v1alpha1"),
        "kind",
        'no matches for kind "TanzuKubernetesCluster" in version "run.tanzu.vmware.com/v1alpha1"',
    ),
    (
        edit(MINIMAL_CLUSTER, "kind: Cluster\n", ""),
        "kind",
        "Object 'Kind' is missing in the manifest",
    ),
    (
        edit(MINIMAL_CLUSTER, "apiVersion: cluster.x-k8s.io/v1beta1\n", ""),
        "apiVersion",
        "Object 'apiVersion' is missing in the manifest",
    ),
    (
        edit(MINIMAL_TKC, "  name: tkc-min\n", ""),
        "metadata.name",
        "metadata.name: Required value: name or generateName is required",
    ),
    (
        MINIMAL_TKC.split("    nodePools:")[0],
        "spec.topology.nodePools",
        "spec.topology.nodePools: Required value",
    ),
    (
        edit(
            MINIMAL_TKC,
            "      vmClass: best-effort-small\n      storageClass",
            "      storageClass",
        ),
        "spec.topology.controlPlane.vmClass",
        "spec.topology.controlPlane.vmClass: Required value",
    ),
    (
        edit(MINIMAL_TKC, "      storageClass: k8s-gold\n      tkr", "      tkr"),
        "spec.topology.controlPlane.storageClass",
        "spec.topology.controlPlane.storageClass: Required value",
    ),
    (
        edit(MINIMAL_TKC, "    - name: workers\n", "    - replicas: 2\n"),
        "spec.topology.nodePools[0].name",
        "spec.topology.nodePools[0].name: Required value",
    ),
    (
        edit(
            MINIMAL_TKC,
            "      tkr:\n        reference:\n          name: v1.32.7---vmware.3-fips-vkr.1\n",
            "",
        ),
        "spec.topology.controlPlane.tkr.reference.name",
        "spec.topology.controlPlane.tkr.reference.name: Required value",
    ),
    (
        edit(MINIMAL_TKC, "    controlPlane:\n", "    controlPlane:\n      replicas: three\n"),
        "spec.topology.controlPlane.replicas",
        'spec.topology.controlPlane.replicas: Invalid value: "three": must be an integer',
    ),
    (
        edit(MINIMAL_TKC, "    controlPlane:\n", "    controlPlane:\n      replicas: true\n"),
        "spec.topology.controlPlane.replicas",
        "spec.topology.controlPlane.replicas: Invalid value: true: must be an integer",
    ),
    (
        edit(MINIMAL_TKC, "    - name: workers\n", "    - name: workers\n      replicas: 2.5\n"),
        "spec.topology.nodePools[0].replicas",
        "spec.topology.nodePools[0].replicas: Invalid value: 2.5: must be an integer",
    ),
    (
        edit(
            MINIMAL_TKC,
            "      vmClass: best-effort-small\n      storageClass: k8s-gold\n      tkr",
            "      vmClass: 4\n      storageClass: k8s-gold\n      tkr",
        ),
        "spec.topology.controlPlane.vmClass",
        "spec.topology.controlPlane.vmClass: Invalid value: 4: must be a string",
    ),
    (
        edit(
            MINIMAL_TKC,
            "    nodePools:\n    - name: workers\n",
            "    nodePools: workers\n    ignored:\n    - name: workers\n",
        ),
        "spec.topology.nodePools",
        'spec.topology.nodePools: Invalid value: "workers": must be a list',
    ),
    (
        MINIMAL_TKC + "  settings:\n    network:\n      cni:\n        name: flannel\n",
        "spec.settings.network.cni.name",
        'spec.settings.network.cni.name: Unsupported value: "flannel": supported values: '
        '"antrea", "calico"',
    ),
    (
        MINIMAL_TKC + "  settings:\n    network:\n      pods:\n        cidrBlocks: 10.0.0.0/8\n",
        "spec.settings.network.pods.cidrBlocks",
        'spec.settings.network.pods.cidrBlocks: Invalid value: "10.0.0.0/8": must be a list',
    ),
    (
        edit(
            MINIMAL_TKC,
            "  name: tkc-min\n",
            "  name: tkc-min\n  annotations:\n"
            "    run.tanzu.vmware.com/resolve-os-image: os-name=windows\n",
        ),
        "metadata.annotations[run.tanzu.vmware.com/resolve-os-image]",
        'Unsupported value: "os-name=windows": supported values: "os-name=photon", '
        '"os-name=ubuntu"',
    ),
    (
        edit(MINIMAL_CLUSTER, "class: builtin-generic-v3.4.0", "class: my-class"),
        "spec.topology.class",
        'spec.topology.class: Invalid value: "my-class": ClusterClass "my-class" not found '
        'in namespace "vmware-system-vks-public"',
    ),
    (
        edit(MINIMAL_CLUSTER, "    classNamespace: vmware-system-vks-public\n", ""),
        "spec.topology.version",  # the public namespace is implied: no class error
        None,
    ),
    (
        edit(
            MINIMAL_CLUSTER,
            "class: builtin-generic-v3.4.0\n    classNamespace: vmware-system-vks-public",
            "class: tanzukubernetescluster\n    classNamespace: vmware-system-vks-public",
        ),
        "spec.topology.class",
        'ClusterClass "tanzukubernetescluster" not found in namespace "vmware-system-vks-public"',
    ),
    (
        edit(MINIMAL_CLUSTER, "    version: v1.32.7---vmware.3-fips-vkr.1\n", ""),
        "spec.topology.version",
        "spec.topology.version: Required value",
    ),
    (
        edit(MINIMAL_CLUSTER, "class: node-pool", "class: gpu-pool"),
        "spec.topology.workers.machineDeployments[0].class",
        'spec.topology.workers.machineDeployments[0].class: Invalid value: "gpu-pool": '
        'MachineDeploymentClass with name "gpu-pool" does not exist in ClusterClass '
        '"builtin-generic-v3.4.0"',
    ),
    (
        edit(MINIMAL_CLUSTER, "    - name: vmClass\n      value: best-effort-small\n", ""),
        "spec.topology.variables",
        'spec.topology.variables: Required value: required variable with name "vmClass" '
        "must be defined",
    ),
    (
        edit(
            MINIMAL_CLUSTER,
            "    variables:\n    - name: vmClass\n      value: best-effort-small\n"
            "    - name: storageClass\n      value: k8s-gold\n",
            "",
        ),
        "spec.topology.variables",
        'required variable with name "vmClass" must be defined; required variable with '
        'name "storageClass" must be defined',
    ),
    (
        MINIMAL_CLUSTER.replace("kind: Cluster\n", "kind: Cluster\n").split("  topology:")[0]
        + "  controlPlaneRef:\n    kind: KubeadmControlPlane\n",
        "spec.topology",
        "spec.topology: Required value: VKS clusters are created from a ClusterClass",
    ),
    (
        edit(
            MINIMAL_CLUSTER,
            "  topology:\n",
            "  clusterNetwork:\n    apiServerPort: 8443\n  topology:\n",
        ),
        "spec.clusterNetwork.apiServerPort",
        "spec.clusterNetwork.apiServerPort: Invalid value: 8443: the Supervisor's load "
        "balancer serves cluster API servers on port 6443",
    ),
]


@pytest.mark.parametrize(
    ("text", "key", "message"),
    PARSE_ERRORS,
    ids=[f"{i}-{key}" for i, (_, key, _) in enumerate(PARSE_ERRORS)],
)
def test_parse_errors_read_like_the_api_servers(text, key, message):
    if message is None:  # a control: this edit is accepted
        parse_manifest(text, namespace_name="team-a")
        return
    with pytest.raises(SpecError) as error:
        parse_manifest(text, namespace_name="team-a")

    assert key in error.value.errors, error.value.errors
    assert error.value.errors[key].startswith(message) or message in error.value.errors[key]


def test_a_missing_section_is_reported_once_not_with_each_child():
    text = MINIMAL_TKC.split("    controlPlane:")[0] + (
        "    nodePools:\n    - name: workers\n      vmClass: a\n      storageClass: b\n"
    )

    with pytest.raises(SpecError) as error:
        parse_manifest(text, namespace_name="team-a")

    assert error.value.errors == {
        "spec.topology.controlPlane": "spec.topology.controlPlane: Required value"
    }


def test_parse_reports_every_field_problem_at_once():
    text = edit(MINIMAL_TKC, "    controlPlane:\n", "    controlPlane:\n      replicas: three\n")
    text = edit(text, "    - name: workers\n", "    - replicas: x\n")

    with pytest.raises(SpecError) as error:
        parse_manifest(text, namespace_name="team-a")

    assert set(error.value.errors) == {
        "spec.topology.controlPlane.replicas",
        "spec.topology.nodePools[0].name",
        "spec.topology.nodePools[0].replicas",
    }


def test_tkc_node_pools_run_the_control_planes_release():
    text = MINIMAL_TKC + (
        "      tkr:\n        reference:\n          name: v1.31.4---vmware.1-fips-vkr.3\n"
    )

    with pytest.raises(SpecError) as error:
        parse_manifest(text, namespace_name="team-a")

    assert error.value.errors == {
        "spec.topology.nodePools[0].tkr.reference.name": "spec.topology.nodePools[0].tkr."
        'reference.name: Invalid value: "v1.31.4---vmware.1-fips-vkr.3": node pools must run '
        "the control plane's Kubernetes release v1.32.7---vmware.3-fips-vkr.1"
    }


# ---------------------------------------------------------------- export


CONDITIONS = [
    condition(
        "Ready",
        FALSE,
        "WaitingForNodesHealthy",
        "Node pool np: 1 of 3 nodes ready.",
        datetime(2025, 3, 1, 10, 5, tzinfo=UTC),
    ),
    condition("InfrastructureReady", TRUE, "", "", datetime(2025, 3, 1, 10, 1, tzinfo=UTC)),
    condition("ControlPlaneReady", TRUE, "", "", datetime(2025, 3, 1, 10, 4, tzinfo=UTC)),
]


def make_cluster(namespace, text: str, **status) -> VksCluster:
    m = parse_manifest(text, namespace_name=namespace.name)
    return VksCluster.objects.create(
        namespace=namespace,
        name=m.name,
        api_version=m.api_version,
        kind=m.kind,
        cluster_class=m.cluster_class,
        spec=m.spec,
        **status,
    )


ROUND_TRIP = [
    MINIMAL_TKC,
    MINIMAL_CLUSTER,
    edit(TKC_DOC_EXAMPLE, "namespace: tkg2-cluster-ns", "namespace: team-a"),
    edit(CLUSTER_DOC_EXAMPLE, "namespace: namespace1000", "namespace: team-a"),
    edit(TKC_CLASS_EXAMPLE, "namespace: tkg2-cluster-ns", "namespace: team-a"),
    MINIMAL_CLUSTER + "    - name: cni\n      value: calico\n",
    edit(
        MINIMAL_TKC,
        "  name: tkc-min\n",
        "  name: tkc-min\n  annotations:\n"
        "    run.tanzu.vmware.com/resolve-os-image: os-name=ubuntu\n",
    )
    + "  settings:\n    network:\n      cni:\n        name: calico\n",
]


@pytest.mark.parametrize(
    "text",
    ROUND_TRIP,
    ids=["tkc", "cluster", "tkc-doc", "cluster-doc", "tkc-class", "cluster-calico", "tkc-ubuntu"],
)
def test_export_parses_back_to_the_same_spec_and_form(namespace, text):
    cluster = make_cluster(namespace, text)

    exported = export_manifest(cluster)
    again = parse_manifest(exported, namespace_name="team-a")

    assert again.spec == cluster.spec
    assert (again.name, again.api_version, again.kind, again.cluster_class) == (
        cluster.name,
        cluster.api_version,
        cluster.kind,
        cluster.cluster_class,
    )


def test_export_of_a_cluster_has_metadata_class_variables_and_status(namespace):
    cluster = make_cluster(
        namespace,
        edit(CLUSTER_DOC_EXAMPLE, "namespace: namespace1000", "namespace: team-a"),
        phase="Provisioned",
        conditions=CONDITIONS,
        observed_generation=1,
        api_endpoint="10.10.30.65",
    )

    doc = yaml.safe_load(export_manifest(cluster, nodes=[]))

    assert doc["metadata"]["name"] == "cluster1"
    assert doc["metadata"]["namespace"] == "team-a"
    assert doc["metadata"]["generation"] == 1
    assert doc["metadata"]["creationTimestamp"].endswith("Z")
    assert len(doc["metadata"]["uid"]) == 36
    topology = doc["spec"]["topology"]
    assert topology["class"] == "builtin-generic-v3.4.0"
    assert topology["classNamespace"] == "vmware-system-vks-public"
    assert topology["variables"] == [
        {"name": "vmClass", "value": "best-effort-small"},
        {"name": "storageClass", "value": "vsan-default-storage-policy"},
    ]
    assert topology["workers"]["machineDeployments"] == [
        {
            "class": "node-pool",
            "name": "node-pool-1",
            "replicas": 3,
            "variables": {"overrides": [{"name": "vmClass", "value": "best-effort-medium"}]},
        }
    ]
    assert doc["spec"]["controlPlaneEndpoint"] == {"host": "10.10.30.65", "port": 6443}
    assert doc["status"] == {
        "phase": "Provisioned",
        "conditions": [
            {
                "type": "Ready",
                "status": "False",
                "severity": "Info",
                "reason": "WaitingForNodesHealthy",
                "message": "Node pool np: 1 of 3 nodes ready.",
                "lastTransitionTime": "2025-03-01T10:05:00Z",
            },
            {
                "type": "InfrastructureReady",
                "status": "True",
                "lastTransitionTime": "2025-03-01T10:01:00Z",
            },
            {
                "type": "ControlPlaneReady",
                "status": "True",
                "lastTransitionTime": "2025-03-01T10:04:00Z",
            },
        ],
        "controlPlaneReady": True,
        "infrastructureReady": True,
        "observedGeneration": 1,
    }


def test_export_of_a_tkc_has_endpoints_workers_and_version(namespace):
    cluster = make_cluster(
        namespace, MINIMAL_TKC, conditions=CONDITIONS, api_endpoint="10.10.30.66"
    )
    nodes = [
        SimpleNamespace(role="control-plane", release="v1.32.7---vmware.3-fips-vkr.1"),
        SimpleNamespace(role="worker", release="v1.32.7---vmware.3-fips-vkr.1"),
        SimpleNamespace(role="worker", release="v1.32.7---vmware.3-fips-vkr.1"),
    ]

    text = export_manifest(cluster, nodes=nodes)
    doc = yaml.safe_load(text)

    assert "&id" not in text  # the shared tkr reference is written out twice, as kubectl does
    assert doc["apiVersion"] == "run.tanzu.vmware.com/v1alpha3"
    assert doc["kind"] == "TanzuKubernetesCluster"
    cp = doc["spec"]["topology"]["controlPlane"]
    assert cp["tkr"] == {"reference": {"name": "v1.32.7---vmware.3-fips-vkr.1"}}
    assert doc["spec"]["settings"]["network"]["cni"] == {"name": "antrea"}
    status = doc["status"]
    assert status["apiEndpoints"] == [{"host": "10.10.30.66", "port": 6443}]
    assert status["totalWorkerReplicas"] == 2
    assert status["version"] == "v1.32.7+vmware.3-fips"
    # The reconciler's conditions, then the TKr controller's (the TKR COMPATIBLE and UPDATES
    # AVAILABLE columns of `kubectl get tkc`).
    assert [c["type"] for c in status["conditions"]] == [
        "Ready",
        "InfrastructureReady",
        "ControlPlaneReady",
        "TanzuKubernetesReleaseCompatible",
        "UpdatesAvailable",
    ]


def test_export_of_a_new_cluster_has_only_its_release_status_and_reads_its_nodes(namespace):
    cluster = make_cluster(namespace, MINIMAL_TKC)

    doc = yaml.safe_load(export_manifest(cluster))

    # No pass yet: only what the TKr controller says of the release it asks for.
    compatible, updates = doc["status"].pop("conditions")
    assert doc["status"] == {"totalWorkerReplicas": 0, "version": "v1.32.7+vmware.3-fips"}
    assert (compatible["type"], compatible["status"]) == (
        "TanzuKubernetesReleaseCompatible",
        "True",
    )
    assert (updates["type"], updates["status"]) == ("UpdatesAvailable", "True")
    assert updates["message"] == "[v1.33.6+vmware.1-fips-vkr.2 v1.33.3+vmware.1-fips-vkr.1]"


@pytest.mark.parametrize(
    ("release", "version"),
    [
        ("v1.32.7---vmware.3-fips-vkr.1", "v1.32.7+vmware.3-fips"),
        ("v1.29.4---vmware.3-fips.1-tkg.1", "v1.29.4+vmware.3-fips.1"),
        ("v1.35.5---vmware.1-vkr.1", "v1.35.5+vmware.1"),
    ],
)
def test_kubelet_version_drops_the_release_suffix(release, version):
    assert kubelet_version(release) == version
