"""kubectl 1.32, unmodified, against `make run`'s stack over HTTPS, as a developer of the demo
uses it: log in, discover, read with the real columns, apply (create, unchanged, changed,
server-side, server dry run), watch, delete --wait; the Supervisor's other resources; a VKS
cluster's own API before and after a scale; and who is refused what."""

from __future__ import annotations

import threading
import time

import pytest
import yaml
from django.contrib.auth import get_user_model

from kubeapi import tokens
from tests.integration.stack import running_stack
from tests.kubeapi.live import (
    columns,
    demo_lab,
    guest_kubectl,
    require_kubectl,
    rows,
    supervisor_kubectl,
)
from workloads import reconcilers
from workloads.models import Namespace, NamespaceAccess, Supervisor, VksCluster
from workloads.services import namespace_self_service_activate

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

NS = "payments"


def tkc(name: str, release: str, workers: int = 1) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": "run.tanzu.vmware.com/v1alpha3",
            "kind": "TanzuKubernetesCluster",
            "metadata": {"name": name, "namespace": NS},
            "spec": {
                "topology": {
                    "controlPlane": {
                        "replicas": 1,
                        "vmClass": "best-effort-xsmall",
                        "storageClass": "vsan-default-storage-policy",
                        "tkr": {"reference": {"name": release}},
                    },
                    "nodePools": [
                        {
                            "name": "workers",
                            "replicas": workers,
                            "vmClass": "best-effort-xsmall",
                            "storageClass": "vsan-default-storage-policy",
                        }
                    ],
                },
            },
        },
        sort_keys=False,
    )


def eventually(what: str, predicate, deadline: float = 60.0):
    until = time.monotonic() + deadline
    while True:
        found = predicate()
        if found:
            return found
        if time.monotonic() > until:
            pytest.fail(f"no {what} within {deadline:.0f}s")
        time.sleep(0.2)


def test_kubectl_against_the_supervisor_and_a_vks_cluster(tmp_path):
    binary = require_kubectl()
    get_user_model().objects.create_user("vera@vsphere.local")
    demo_lab("alice", "carol", "vera")
    NamespaceAccess.objects.create(
        namespace=Namespace.objects.get(name=NS), subject_type="USER", subject="vera", role="VIEW"
    )
    release = VksCluster.objects.get(name="payments-prod").spec["topology"]["version"]
    # Namespace self-service on the demo's Supervisor, for carol only.
    service = namespace_self_service_activate(
        supervisor=Supervisor.objects.get(),
        user=get_user_model().objects.get(username="administrator@vsphere.local"),
        template="sandbox",
        spec={"permissions": [{"subject_type": "USER", "subject": "carol", "domain": ""}]},
    )
    while reconcilers.self_service_reconcile(service.pk) is not None:
        pass
    with running_stack(tmp_path) as stack:
        k = supervisor_kubectl(binary, stack, tmp_path, "alice", NS)

        # Discovery: the real names and short names.
        resources = k("api-resources")
        for line in ("tanzukubernetesclusters", "tkc", "virtualmachines", "vmclass", "tkr"):
            assert line in resources, resources
        assert "run.tanzu.vmware.com/v1alpha3" in k("api-versions")
        assert "TanzuKubernetesCluster" in k("explain", "tkc.spec.topology")

        # Read with the CRDs' printer columns.
        clusters = k("get", "cl")
        assert columns(clusters) == ["NAME", "CLUSTERCLASS", "PHASE", "AGE", "VERSION"]
        assert "payments-prod" in rows(clusters)

        # Apply: created, unchanged, configured, server-side, server dry run.
        path = tmp_path / "web.yaml"
        path.write_text(tkc("web", release))
        assert "created" in k("apply", "-f", str(path))
        assert "unchanged" in k("apply", "-f", str(path))
        watch = k.popen("get", "tkc", "--watch", "--output-watch-events")
        printed: list[str] = []  # the watch's lines as kubectl prints them, read as they come
        reader = threading.Thread(target=lambda: printed.extend(watch.stdout), daemon=True)
        reader.start()
        path.write_text(tkc("web", release, workers=2))
        assert "configured" in k("apply", "-f", str(path))
        assert "serverside-applied" in k("apply", "--server-side", "-f", str(path))
        path.write_text(tkc("web", release, workers=3))
        assert "(server dry run)" in k("apply", "--dry-run=server", "-f", str(path))
        listed = k("get", "tkc", "web", "-o", "yaml")
        assert yaml.safe_load(listed)["spec"]["topology"]["nodePools"][0]["replicas"] == 2

        table = k("get", "tkc")
        assert columns(table) == [
            "NAME",
            "CONTROL PLANE",
            "WORKER",
            "TKR NAME",
            "AGE",
            "READY",
            "TKR COMPATIBLE",
            "UPDATES AVAILABLE",
        ]
        eventually("web Ready", lambda: rows(k("get", "tkc"))["web"][5] == "True", 90)

        # delete --wait ends when the reconciler has really removed it.
        assert "deleted" in k("delete", "tkc", "web", "--wait", "--timeout=90s")
        assert not VksCluster.objects.filter(name="web").exists()
        # This watch is another client than delete's own: its DELETED may come a moment later.
        eventually(
            "the watch to print DELETED",
            lambda: any(line.startswith("DELETED") and " web " in line for line in list(printed)),
        )
        watch.terminate()
        reader.join(timeout=10)
        events = "".join(printed)
        seen = {line.split()[0] for line in events.splitlines()[1:] if " web " in line}
        assert events.split()[:2] == ["EVENT", "NAME"], events
        assert {"ADDED", "MODIFIED", "DELETED"} <= seen, events

        # The Supervisor's other resources.
        assert "payments-prod" in k("get", "machines")
        assert columns(k("get", "vm"))[:3] == ["NAME", "POWER-STATE", "AGE"]
        assert "best-effort-xsmall" in k("get", "vmclass")
        assert release in k("get", "tkr")
        assert "vsan-default-storage-policy" in k("get", "storageclasses")
        assert "payments-prod-kubeconfig" in k("get", "secret", "payments-prod-kubeconfig")
        # Events: the namespace's own and its clusters', besides their nodes'.
        events = k("get", "events")
        assert columns(events) == ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], events
        objects = {line.split()[3] for line in events.splitlines()[1:]}
        assert {"namespace/payments", "cluster/payments-prod"} <= objects, events
        services = k("get", "svc")
        assert columns(services) == ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
        assert rows(services)["payments-prod-control-plane-service"][1] == "LoadBalancer"
        assert "payments-prod-control-plane-service" in k("get", "all")

        # A VKS cluster's own API, before and after a scale.
        g = guest_kubectl(binary, stack, tmp_path, "alice", NS, "payments-prod")
        assert "Kubernetes control plane is running at" in g("cluster-info")
        nodes = g("get", "nodes", "-o", "wide")
        assert columns(nodes)[:5] == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
        before = len(rows(nodes))
        assert all(r[1] == "Ready" for r in rows(nodes).values()), nodes
        assert "kube-system" in g("get", "pods", "-A")
        document = yaml.safe_load(k("get", "cl", "payments-prod", "-o", "yaml"))
        pools = document["spec"]["topology"]["workers"]["machineDeployments"]
        pools[0]["replicas"] += 1
        k("replace", "-f", "-", stdin=yaml.safe_dump(document))
        eventually(
            "one more Ready node",
            lambda: sum(r[1] == "Ready" for r in rows(g("get", "nodes")).values()) == before + 1,
            90,
        )
        assert "Forbidden" in g.fails("delete", "node", next(iter(rows(nodes))))

        # Can view: Forbidden on apply. No role: the namespace is not found. `auth can-i`
        # (a protobuf SelfSubjectAccessReview) says so beforehand; its exit status is 1 for no.
        assert k("auth", "can-i", "create", "tkc").strip() == "yes"
        assert "yes" in g("auth", "can-i", "list", "pods", "-A")
        assert g.run("auth", "can-i", "delete", "nodes", check=False).stdout.strip() == "no"
        assert "sso:alice@vsphere.local" in k("auth", "whoami")  # a protobuf SelfSubjectReview
        assert "sso:alice@vsphere.local" in g("auth", "whoami")
        viewer = supervisor_kubectl(binary, stack, tmp_path, "vera", NS)
        denied = viewer.run("auth", "can-i", "create", "tkc", check=False).stdout
        assert denied.startswith("no - ") and "Can view" in denied, denied
        assert "forbidden" in viewer.fails("apply", "-f", str(path)).lower()
        stranger = supervisor_kubectl(binary, stack, tmp_path, "carol", NS)
        assert stranger.run("auth", "can-i", "get", "tkc", check=False).stdout.strip() == "no"
        refused = stranger.fails("get", "tkc")
        assert f'namespaces "{NS}" not found' in refused, refused

        # Namespace self-service: carol, whom the template allows, creates a namespace and, its
        # Owner, deletes it; vera, whom it does not, is Forbidden.
        assert "namespace/carol-sandbox created" in stranger("create", "namespace", "carol-sandbox")
        assert "carol-sandbox" in rows(stranger("get", "namespaces"))
        assert "forbidden" in viewer.fails("create", "namespace", "vera-sandbox").lower()
        deleted = stranger("delete", "namespace", "carol-sandbox", "--wait", "--timeout=60s")
        assert "deleted" in deleted
        assert not Namespace.objects.filter(name="carol-sandbox").exists()

        # An expired token: 401, as kubectl words it.
        alice = get_user_model().objects.get(username="alice@vsphere.local")
        old = tokens.issue(alice, now=time.time() - tokens.LIFETIME_SECONDS - 1)
        k("config", "set-credentials", "wcp:alice", f"--token={old}")
        assert "Unauthorized" in k.fails("get", "tkc")
