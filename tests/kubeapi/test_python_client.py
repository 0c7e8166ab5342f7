"""The `kubernetes` Python client, unmodified, against `make run`'s stack over HTTPS: a
developer's script that logs in with `/wcp/login`, lists, creates, patches, watches and deletes
a TanzuKubernetesCluster, reads the Supervisor's VMs and a VKS cluster's nodes, and gets the
API server's errors as ApiException with their Status."""

from __future__ import annotations

import base64
import json
import threading

import pytest
import yaml
from kubernetes import client, watch
from kubernetes.client.rest import ApiException

from tests.integration.stack import running_stack
from tests.kubeapi.live import ca_file, demo_lab, wcp_login
from tests.kubeapi.test_kubectl import NS, eventually, tkc
from workloads.models import VksCluster

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

GROUP, VERSION, PLURAL = "run.tanzu.vmware.com", "v1alpha3", "tanzukubernetesclusters"


def api_client(server: str, token: str, ca: str) -> client.ApiClient:
    config = client.Configuration(host=server)
    config.ssl_ca_cert = ca
    config.api_key = {"authorization": token}
    config.api_key_prefix = {"authorization": "Bearer"}
    return client.ApiClient(config)


def test_the_python_client_against_the_supervisor_and_a_vks_cluster(tmp_path):
    demo_lab("alice", "carol")
    release = VksCluster.objects.get(name="payments-prod").spec["topology"]["version"]
    with running_stack(tmp_path) as stack:
        ca = ca_file(stack)
        alice = api_client(stack.https_url, wcp_login(stack, "alice")["session_id"], ca)
        custom = client.CustomObjectsApi(alice)

        names = [n.metadata.name for n in client.CoreV1Api(alice).list_namespace().items]
        assert NS in names

        body = yaml.safe_load(tkc("py", release))
        created = custom.create_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, body)
        assert created["metadata"]["uid"] and created["metadata"]["resourceVersion"]
        start = created["metadata"]["resourceVersion"]

        seen: list[str] = []

        def follow():
            stream = watch.Watch().stream(
                custom.list_namespaced_custom_object,
                GROUP,
                VERSION,
                NS,
                PLURAL,
                resource_version=start,
                timeout_seconds=60,
            )
            for event in stream:
                if event["object"]["metadata"]["name"] == "py":
                    seen.append(event["type"])
                    if event["type"] == "DELETED":
                        return

        follower = threading.Thread(target=follow, daemon=True)
        follower.start()

        patch = {"spec": {"topology": {"nodePools": body["spec"]["topology"]["nodePools"]}}}
        patch["spec"]["topology"]["nodePools"][0]["replicas"] = 2
        patched = custom.patch_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "py", patch)
        assert patched["spec"]["topology"]["nodePools"][0]["replicas"] == 2
        assert int(patched["metadata"]["resourceVersion"]) > int(start)

        with pytest.raises(ApiException) as taken:
            custom.create_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, body)
        assert taken.value.status == 409
        assert json.loads(taken.value.body)["reason"] == "AlreadyExists"

        eventually("the watch to see the patch", lambda: "MODIFIED" in seen)

        vms = custom.list_namespaced_custom_object(
            "vmoperator.vmware.com", "v1alpha3", NS, "virtualmachines"
        )
        assert any(v["metadata"]["name"].startswith("payments-prod") for v in vms["items"])

        custom.delete_namespaced_custom_object(GROUP, VERSION, NS, PLURAL, "py")
        follower.join(timeout=90)
        assert seen[0] == "MODIFIED" and seen[-1] == "DELETED", seen
        eventually("py gone", lambda: not VksCluster.objects.filter(name="py").exists())

        # A VKS cluster's nodes through its own API, with the token /wcp/login gave for it.
        guest = wcp_login(stack, "alice", cluster="payments-prod", namespace=NS)
        guest_ca = tmp_path / "guest-ca.crt"
        guest_ca.write_bytes(base64.b64decode(guest["guest_cluster_ca"]))
        nodes = client.CoreV1Api(
            api_client(guest["guest_cluster_server"], guest["session_id"], str(guest_ca))
        ).list_node()
        assert nodes.items and all(n.status.node_info.kubelet_version for n in nodes.items)

        # No role in the namespace: not found, with the API server's Status.
        carol = client.CustomObjectsApi(
            api_client(stack.https_url, wcp_login(stack, "carol")["session_id"], ca)
        )
        with pytest.raises(ApiException) as missing:
            carol.list_namespaced_custom_object(GROUP, VERSION, NS, PLURAL)
        assert missing.value.status == 404
        assert json.loads(missing.value.body)["message"] == f'namespaces "{NS}" not found'
