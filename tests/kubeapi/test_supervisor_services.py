"""The Supervisor's `services`: each VKS cluster's API load balancer as `kubectl get svc` and
`kubectl get all` show it, with the cluster's resourceVersion, and a watch that follows the
clusters' changes."""

from __future__ import annotations

import ipaddress
import json

import pytest

from tests.kubeapi.test_dispatcher import watch_lines
from tests.kubeapi.test_supervisor_resources import web  # noqa: F401  (fixture)
from workloads.models import VksCluster

pytestmark = pytest.mark.django_db

SERVICES = "/api/v1/namespaces/team-a/services"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


def test_each_cluster_has_its_api_load_balancer(kube_as, editor, web):  # noqa: F811
    kube = kube_as(editor)
    answer = kube.get(SERVICES)
    assert answer.status_code == 200, answer.content
    (service,) = answer.json()["items"]
    assert service["metadata"]["name"] == "web-control-plane-service"
    assert service["metadata"]["namespace"] == "team-a"
    assert service["spec"]["type"] == "LoadBalancer"
    assert service["spec"]["ports"] == [
        {"name": "apiserver", "port": 6443, "protocol": "TCP", "targetPort": 6443}
    ]
    assert web.api_endpoint
    assert service["status"]["loadBalancer"]["ingress"] == [{"ip": web.api_endpoint}]
    address = ipaddress.ip_address(service["spec"]["clusterIP"])
    assert address in ipaddress.ip_network("10.96.0.0/23") and address.is_private
    # stable: the same address on the next read
    again = kube.get(f"{SERVICES}/web-control-plane-service").json()
    assert again["spec"]["clusterIP"] == service["spec"]["clusterIP"]
    assert again["metadata"]["resourceVersion"] == service["metadata"]["resourceVersion"]
    # its resourceVersion is its cluster's
    cluster = kube.get("/apis/cluster.x-k8s.io/v1beta1/namespaces/team-a/clusters/web").json()
    assert service["metadata"]["resourceVersion"] == cluster["metadata"]["resourceVersion"]


def test_kubectl_get_svc_prints_its_built_in_columns(kube_as, viewer, web):  # noqa: F811
    table = kube_as(viewer).get(SERVICES, HTTP_ACCEPT=TABLE).json()
    shown = [c["name"] for c in table["columnDefinitions"] if c["priority"] == 0]
    assert shown == ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age"]
    (row,) = table["rows"]
    assert row["cells"][:5] == [
        "web-control-plane-service",
        "LoadBalancer",
        row["cells"][2],
        web.api_endpoint,
        "6443/TCP",
    ]
    assert row["cells"][2].startswith("10.96.")


def test_services_are_in_category_all_and_read_only(kube_as, editor, web):  # noqa: F811
    kube = kube_as(editor)
    (entry,) = [r for r in kube.get("/api/v1").json()["resources"] if r["name"] == "services"]
    assert entry["categories"] == ["all"] and entry["shortNames"] == ["svc"]
    assert entry["verbs"] == ["get", "list", "watch"]
    answer = kube.delete(f"{SERVICES}/web-control-plane-service")
    assert answer.status_code == 405, answer.content
    assert kube.get(f"{SERVICES}/web").status_code == 404
    assert kube.get(f"{SERVICES}/nope-control-plane-service").status_code == 404


def test_no_role_no_services(kube_as, stranger, web):  # noqa: F811
    kube = kube_as(stranger)
    assert kube.get(SERVICES).status_code == 404
    assert kube.get("/api/v1/services").json()["items"] == []


def test_a_load_balancer_without_its_vip_is_pending(kube_as, editor, web):  # noqa: F811
    VksCluster.objects.filter(pk=web.pk).update(api_endpoint=None)
    table = kube_as(editor).get(SERVICES, HTTP_ACCEPT=TABLE).json()
    assert table["rows"][0]["cells"][3] == "<pending>"


@pytest.mark.django_db(transaction=True)  # the stream reads the log on a thread of its own
def test_a_watch_of_services_follows_the_clusters_changes(kube_as, editor, web):  # noqa: F811
    kube = kube_as(editor)
    listed = kube.get(SERVICES).json()
    since = listed["metadata"]["resourceVersion"]
    watch = f"{SERVICES}?watch=1&timeoutSeconds=0&resourceVersion={since}"
    assert watch_lines(kube.get(watch)) == []  # nothing changed
    cluster = VksCluster.objects.get(pk=web.pk)
    cluster.api_endpoint = "10.99.7.7"
    cluster.save()  # records the cluster's change, nothing of its service
    (event,) = watch_lines(kube.get(watch))
    service = event["object"]
    assert service["status"]["loadBalancer"]["ingress"] == [{"ip": "10.99.7.7"}]
    assert int(service["metadata"]["resourceVersion"]) > int(since)
    json.dumps(service)
