"""What a cluster takes from its namespace and what is left, as admission weighs it: the Create
Cluster wizard's Namespace Quota preview shows admission's numbers and admission's refusal, costs
a fixed number of queries, and is for those who may create clusters; the Apply YAML examples and
the wizard's defaults fit what each namespace has left."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import workload_demo
from tests.workloads.test_admission import (  # noqa: F401 (fixtures)
    CLASS,
    errors_of,
    limit,
    ns,
    slow_hosts,
    spec,
    store,
    with_,
)
from tests.workloads.test_cluster_views import logged_in, wizard_form
from workloads import demo
from workloads.admission import admit
from workloads.manifests import parse_manifest
from workloads.models import Namespace, NamespaceStorage, VksCluster
from workloads.quota import cluster_quota, cluster_request
from workloads.views.cluster_create import example_manifest

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "quota-preview"}


def lines(quota) -> dict:
    return {line.key: line for line in quota.lines}


# ---------------------------------------------------------------- the numbers are admission's


def test_the_preview_counts_what_admission_counts(slow_hosts):  # noqa: F811
    team = limit(slow_hosts, cpu_limit_mhz=40000, memory_limit_mib=64 * 1024)
    store(team, "db", spec(workers=1))  # 2 nodes: 8,000 MHz, 8 GiB, 40 GiB on k8s-gold

    quota = cluster_quota(namespace=team, spec=spec())  # 4 nodes

    asks = cluster_request(spec(), team)
    cpu, memory, storage = (
        lines(quota)[k] for k in ("limits.cpu", "limits.memory", "limits.storage")
    )
    assert (cpu.limit, cpu.used, cpu.takes, cpu.left_after) == (40000, 8000, asks.cpu_mhz, 16000)
    assert (memory.used, memory.takes, memory.left_after) == (8192, 16384, 40960)
    assert (storage.limit, storage.used, storage.takes) == (None, 40960, asks.storage_mib)
    gold = lines(quota)["limits.storage.k8s-gold"]
    assert (gold.used, gold.takes, gold.limit) == (40960, 81920, None)
    assert quota.fits
    admit(namespace=team, name="web", spec=spec(), kind="Cluster", cluster_class=CLASS)


def test_an_over_quota_spec_shows_admissions_own_message(slow_hosts):  # noqa: F811
    gold = NamespaceStorage.objects.get(namespace=slow_hosts, policy__name="k8s-gold")
    gold.limit_mib = 100 * 1024
    gold.save()
    team = limit(slow_hosts, cpu_limit_mhz=20000)
    store(team, "db", spec(workers=1))

    quota = cluster_quota(namespace=team, spec=spec())

    assert not quota.fits
    refused = errors_of(team, spec())
    assert {line.key: line.refusal for line in quota.refusals} == refused
    assert set(refused) == {"limits.cpu", "limits.storage.k8s-gold"}
    assert lines(quota)["limits.cpu"].amounts["left_after"] == "4,000 MHz over"


def test_the_preview_costs_five_queries(slow_hosts, django_assert_num_queries):  # noqa: F811
    team = limit(slow_hosts, cpu_limit_mhz=20000)
    for name in ("a", "b", "c"):
        store(team, name, spec(workers=1))
    # the namespace's clusters, its storage policies, the slowest host's clock, the VM classes
    # the specs name, the VM Service VMs by storage policy
    with django_assert_num_queries(5):
        cluster_quota(namespace=team, spec=spec())


# ---------------------------------------------------------------- the wizard's preview


def wizard_post(storage_class: str, **changes) -> dict:
    return wizard_form(storage_class, **{"op": "preview", **changes})


def create_url(namespace: str = "team-a") -> str:
    return reverse("workloads:cluster-create", args=[namespace])


def shown(html: str, key: str, cell: str) -> str:
    row = re.search(rf'<tr data-quota="{re.escape(key)}".*?</tr>', html, re.S).group(0)
    value = re.search(rf"<td data-{cell}>(.*?)</td>", row, re.S).group(1)
    return unescape(re.sub(r"<[^>]+>", "", value)).strip()


def test_preview_over_quota_refuses_with_admissions_message_and_disables_create(slow_hosts, editor):  # noqa: F811
    team = limit(slow_hosts, cpu_limit_mhz=20000)
    client = logged_in(editor)

    response = client.post(create_url(), wizard_post("k8s-gold", pool_replicas=["9"]), **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="quota-preview"')
    assert 'data-fits="false"' in html
    message = errors_of(team, with_(spec(), "topology.nodePools.0.replicas", 9))["limits.cpu"]
    assert f'<li data-path="limits.cpu">{message}</li>' in unescape(html)
    assert shown(html, "limits.cpu", "takes") == "40,000 MHz"
    assert shown(html, "limits.cpu", "left-after") == "20,000 MHz over"
    footer = re.search(r'<div class="form-footer" id="wizard-footer".*?</div>', html, re.S)[0]
    assert 'hx-swap-oob="true"' in footer and "disabled" in footer
    assert not VksCluster.objects.exists()

    fits = client.post(create_url(), wizard_post("k8s-gold", pool_replicas=["3"]), **HTMX)
    html = fits.content.decode()
    assert 'data-fits="true"' in html and "quota-refusal" not in html
    footer = re.search(r'<div class="form-footer" id="wizard-footer".*?</div>', html, re.S)[0]
    assert "disabled" not in footer


def test_without_javascript_the_submit_refuses_with_the_same_message(slow_hosts, editor):  # noqa: F811
    team = limit(slow_hosts, cpu_limit_mhz=20000)
    form = wizard_post("k8s-gold", op="create", pool_replicas=["9"])

    response = logged_in(editor).post(create_url(), form)

    assert response.status_code == 400
    message = errors_of(team, with_(spec(), "topology.nodePools.0.replicas", 9))["limits.cpu"]
    html = unescape(response.content.decode())
    assert html.count(message) == 2  # at the top of the form and in the Namespace Quota region
    footer = re.search(r'<div class="form-footer" id="wizard-footer".*?</div>', html, re.S)[0]
    assert "disabled" not in footer  # the region cannot refresh without JavaScript
    assert not VksCluster.objects.exists()


def test_preview_is_for_can_edit_and_404_without_a_role(slow_hosts, viewer, stranger):  # noqa: F811
    form = wizard_post("k8s-gold")
    assert logged_in(stranger).post(create_url(), form, **HTMX).status_code == 404
    assert logged_in(viewer).post(create_url(), form, **HTMX).status_code == 403
    assert Client().post(create_url(), form, **HTMX).status_code == 302  # to the login page


def test_preview_checks_csrf(slow_hosts, editor):  # noqa: F811
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.post(create_url(), wizard_post("k8s-gold"), **HTMX).status_code == 403


def test_preview_query_count_does_not_grow_with_clusters_or_pools(
    slow_hosts,  # noqa: F811
    editor,
    django_assert_num_queries,
):
    team = limit(slow_hosts, cpu_limit_mhz=10**9)
    client = logged_in(editor)
    client.post(create_url(), wizard_post("k8s-gold"), **HTMX)  # warm the session
    # the session, the user, the namespace (Supervisor and library joined), the user's SSO
    # groups, its vCenter permissions, its access entries in the namespace; then the quota's
    # five: the namespace's storage policies, its clusters, the slowest host's clock, the VM
    # classes the specs name, the VM Service VMs by storage policy
    with django_assert_num_queries(11):
        assert client.post(create_url(), wizard_post("k8s-gold"), **HTMX).status_code == 200
    for name in ("a", "b", "c", "d"):
        store(team, name, spec())
    pools = wizard_post(
        "k8s-gold",
        pool_name=["p1", "p2", "p3"],
        pool_replicas=["1", "2", "3"],
        pool_vm_class=["best-effort-small", "best-effort-medium", "guaranteed-large"],
        pool_storage_class=["k8s-gold", "k8s-silver", "k8s-gold"],
    )
    with django_assert_num_queries(11):
        assert client.post(create_url(), pools, **HTMX).status_code == 200


# ---------------------------------------------------------------- what fits


@pytest.fixture
def demo_namespaces() -> list[Namespace]:
    workload_demo()
    return list(Namespace.objects.filter(name__in=[d.name for d in demo.NAMESPACES]))


def admits(namespace: Namespace, text: str) -> None:
    manifest = parse_manifest(str(text).encode().decode(), namespace_name=namespace.name)
    admit(
        namespace=namespace,
        name=manifest.name,
        spec=manifest.spec,
        kind=manifest.kind,
        cluster_class=manifest.cluster_class,
    )


@pytest.mark.parametrize("which", ["example-tkc", "example-cluster"])
def test_every_example_admits_in_every_demo_namespace(demo_namespaces, which):
    assert len(demo_namespaces) == len(demo.NAMESPACES) >= 2
    for namespace in demo_namespaces:
        text, why_none = example_manifest(namespace, which)
        assert why_none == "" and f"namespace: {namespace.name}" in text
        admits(namespace, text)  # raises SpecError with admission's message if it does not


def test_an_example_shrinks_to_what_is_left(demo_namespaces):
    """storefront has 14,400 MHz left: the docs' three workers (20,800 MHz with the control
    plane) would not fit, one worker does."""
    storefront = next(n for n in demo_namespaces if n.name == "storefront")
    text, _ = example_manifest(storefront, "example-cluster")
    assert re.search(r"^ +replicas: 1 +# fits", text, re.M), text
    assert "value: best-effort-small" in text


def test_no_example_when_nothing_fits_says_why(demo_namespaces):
    storefront = next(n for n in demo_namespaces if n.name == "storefront")
    storefront = limit(storefront, cpu_limit_mhz=16000)  # 400 MHz left: not one node

    text, why_none = example_manifest(storefront, "example-tkc")

    assert text == ""
    assert why_none.startswith("Even the smallest cluster (one control plane node and one worker")
    assert "namespace storefront has 400 MHz left of its 16,000 MHz limit" in why_none


def test_the_apply_page_says_why_instead_of_a_failing_example(demo_namespaces, admin_client):
    storefront = next(n for n in demo_namespaces if n.name == "storefront")
    limit(storefront, cpu_limit_mhz=16000)
    url = reverse("workloads:cluster-apply", args=["storefront"])

    response = admin_client.post(url, {"op": "example-cluster", "manifest": ""})

    html = unescape(response.content.decode())
    assert response.status_code == 200
    assert "No example: Even the smallest cluster" in html
    assert re.search(r'<textarea id="id_manifest"[^>]*></textarea>', html)


def test_the_wizard_defaults_fit_what_is_left(demo_namespaces, admin_client):
    response = admin_client.get(create_url("storefront"))
    html = response.content.decode()
    assert 'name="pool_replicas" value="1"' in html
    assert 'data-fits="true"' in html
