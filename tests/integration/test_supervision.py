"""`make run` keeps serving when a neighbour dies: a worker SIGKILLed mid-operation is restarted
by the supervisor, a Redis stopped mid-operation and started again (empty, as it keeps nothing)
costs only time. Throughout, pages and the API answer; afterwards every operation converges to
exactly its spec, nothing lost, nothing done twice. Operations go through the stack's own API, as
a developer's would."""

from __future__ import annotations

import json
import os
import shutil
import signal

import pytest
import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher

from inventory.estates import demo as estate
from tests.conftest import workload_demo
from tests.integration.stack import Api, RedisServer, free_port, running_stack
from tests.integration.test_cluster_crash import assert_exact, settled
from workloads.cluster_objects import export_manifest
from workloads.models import VksCluster

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PASSWORD = "VMware1!"
COLLECTION = {
    "Cluster": "/apis/cluster.x-k8s.io/v1beta1/namespaces/payments/clusters",
    "TanzuKubernetesCluster": (
        "/apis/run.tanzu.vmware.com/v1alpha3/namespaces/payments/tanzukubernetesclusters"
    ),
}


def developer_alice() -> None:
    """The demo, and alice's password hashed as the stack's settings verify it (the tests' own
    settings hash with MD5, which production settings do not accept)."""
    estate.load()  # an earlier transactional test may have emptied the tables
    workload_demo()
    get_user_model().objects.filter(username="alice@vsphere.local").update(
        password=PBKDF2PasswordHasher().encode(PASSWORD, "integration", iterations=1000)
    )


def small_cluster(name: str) -> dict:
    """payments-prod's manifest as the API exports it, renamed, one control plane node and one
    worker: room in the namespace's limits to scale."""
    manifest = yaml.safe_load(export_manifest(VksCluster.objects.get(name="payments-prod")))
    manifest.pop("status", None)
    manifest["metadata"] = {"name": name, "namespace": "payments"}
    return with_workers(manifest, 1, control_plane=1)


def with_workers(manifest: dict, replicas: int, control_plane: int | None = None) -> dict:
    topology = manifest["spec"]["topology"]
    if control_plane is not None:
        topology["controlPlane"]["replicas"] = control_plane
    pools = topology.get("nodePools") or topology["workers"]["machineDeployments"]
    pools[0]["replicas"] = replicas
    return manifest


def create(api: Api, manifest: dict) -> None:
    code, body = api.call("POST", COLLECTION[manifest["kind"]], manifest)
    assert code == 201, body


def scale(api: Api, kind: str, name: str, replicas: int) -> None:
    path = f"{COLLECTION[kind]}/{name}"
    code, body = api.call("GET", path)
    assert code == 200, body
    code, body = api.call("PUT", path, with_workers(json.loads(body), replicas))
    assert code == 200, body


def answering(api: Api) -> None:
    """A page, a login and an API read all answer as usual."""
    code, _ = api.call("GET", "/login/")
    assert code == 200
    fresh = Api.login(api.base, "alice@vsphere.local", PASSWORD, api.tls)
    code, body = fresh.call("GET", COLLECTION["Cluster"])
    assert code == 200, body


def test_a_worker_killed_mid_operation_is_restarted_and_the_cluster_converges(tmp_path):
    developer_alice()
    with running_stack(tmp_path) as stack:
        # Over HTTPS, trusting only the local CA that `make run` printed.
        api = Api.login(stack.https_url, "alice@vsphere.local", PASSWORD, stack.tls)
        manifest = small_cluster("drill")
        create(api, manifest)
        cluster = VksCluster.objects.get(name="drill")
        stack.wait_for("a first node", lambda: cluster.nodes.exists())

        first = stack.pids("worker")[-1]
        os.kill(first, signal.SIGKILL)
        answering(api)  # the web process carries on while the worker is down
        stack.wait_for("a new worker", lambda: len(stack.pids("worker")) == 2)
        scale(api, manifest["kind"], "drill", 3)
        stack.wait_for("the cluster settled", lambda: settled(cluster))
        assert_exact(cluster)
        assert cluster.nodes.filter(role="worker").count() == 3
        assert f"worker exited with status -{signal.SIGKILL.value}" in stack.log()
        assert "web exited" not in stack.log() and "beat exited" not in stack.log()


def test_redis_stopped_mid_operation_delays_work_and_loses_none(tmp_path):
    if not shutil.which("redis-server"):
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is required in CI")
        pytest.skip("redis-server is not installed")
    developer_alice()
    redis = RedisServer(free_port(), tmp_path)
    redis.start()
    try:
        with running_stack(tmp_path, REDIS_URL=redis.url) as stack:
            api = Api.login(stack.url, "alice@vsphere.local", PASSWORD)
            manifest = small_cluster("outage")
            create(api, manifest)
            cluster = VksCluster.objects.get(name="outage")
            stack.wait_for("a first node", lambda: cluster.nodes.exists())

            redis.stop()
            answering(api)
            scale(api, manifest["kind"], "outage", 2)  # accepted; its message cannot be sent
            answering(api)

            redis.start()  # empty: every queued message of before is gone
            stack.wait_for("the cluster settled", lambda: settled(cluster))
            assert_exact(cluster)
            assert cluster.nodes.filter(role="worker").count() == 2
            answering(api)
            assert "exited with status" not in stack.log(), "every process rode it out"
    finally:
        redis.stop()
