"""The Supervisor vs VKS cluster side-by-side page: both columns with real facts, a live region
that shows a change by anyone (a 204 while nothing changed), who may see which cluster, and a
query count that does not grow with the nodes."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from inventory.entities import object_path
from inventory.models import Host
from inventory.tasklog import task_open
from tests.snapshots import snapshots
from tests.workloads.conftest import drive, spec
from workloads import reconcilers
from workloads.models import Namespace, VksCluster
from workloads.reconcilers.supervisors import control_plane_vms
from workloads.services.clusters import cluster_scale

pytestmark = pytest.mark.django_db

URL = "/workload-management/side-by-side/"
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "sbs-live"}
POLL = 'hx-trigger="every 1s"'
POOL = "node-pool-1"


def page_url(supervisor, cluster=None) -> str:
    url = f"{URL}?supervisor={supervisor.supervisor_id}"
    return f"{url}&cluster={cluster.namespace.name}/{cluster.name}" if cluster else url


def new_cluster(namespace, storage_class, name="web", **kwargs) -> VksCluster:
    return VksCluster.objects.create(
        name=name,
        namespace=namespace,
        cluster_class="builtin-generic-v3.4.0",
        spec=spec(storage_class, **kwargs),
        creator="VSPHERE.LOCAL\\eddie",
        next_reconcile_at=timezone.now(),
    )


@pytest.fixture
def web(namespace, storage_class):
    def build():  # recorded once, replayed as rows (tests/snapshots.py)
        cluster = new_cluster(namespace, storage_class)
        drive(cluster)
        return VksCluster.objects.get(pk=cluster.pk)

    return snapshots("side_by_side.web", build)


def live(client, supervisor, cluster) -> str:
    response = client.get(page_url(supervisor, cluster), **HTMX)
    assert response.status_code == 200
    return response.content.decode()


def poll_url(html: str) -> str:
    """The URL the live region asks again at: its own, with the tasks' stamp it was drawn at."""
    return html.split('hx-get="', 1)[1].split('"', 1)[0].replace("&amp;", "&")


# ---------------------------------------------------------------- the page


def test_url_name():
    assert reverse("workloads:side-by-side") == URL


def test_page_shows_both_columns_with_timestamps_hosts_and_node_vms(admin_client, supervisor, web):
    response = admin_client.get(page_url(supervisor, web))
    assert response.status_code == 200
    html = response.content.decode()
    assert "vSphere Supervisor" in html and "VKS cluster" in html
    for row in ("purpose", "responsibility", "users", "created", "managed-by", "runs-on"):
        assert f'data-row="{row}"' in html
    for row in ("exposure", "architecture", "status", "conditions", "kubernetes-version"):
        assert f'data-row="{row}"' in html
    for row in ("nodes", "usage", "endpoints", "tasks"):
        assert f'data-row="{row}"' in html
    # Real creation times, as the vSphere Client prints them, and machine-readable.
    for obj in (supervisor, web):
        local = timezone.localtime(obj.created_at)
        assert local.strftime("%m/%d/%Y") in html
        assert f'datetime="{local.isoformat()}"' in html
    assert "VSPHERE.LOCAL\\eddie" in html
    assert f'href="{reverse("workloads:cluster-detail", args=["team-a", web.name])}"' in html
    # The ESXi hosts of the vSphere cluster, each a link to its inventory page.
    for host in Host.objects.filter(cluster=supervisor.cluster):
        assert f'data-host="{host.moid}"' in html
        assert f'href="{object_path(host.moid)}"' in html
    # The control plane VMs, and the node VMs with role, host and IP.
    for vm in control_plane_vms(supervisor):
        assert f'data-vm="{vm.moid}"' in html
    nodes = reconcilers.nodes_of(web)
    assert len(nodes) == 3
    for node in nodes:
        assert f'data-node="{node.vm.name}"' in html
        assert f'href="{object_path(node.vm.moid)}"' in html
        assert node.vm.ip_address in html and node.vm.host.name in html
    assert 'data-role="control-plane"' in html and 'data-role="worker"' in html
    # Live facts: status, versions, counts, endpoints.
    assert 'data-phase="Provisioned"' in html and 'data-ready="True"' in html
    assert supervisor.kubernetes_version in html
    assert "v1.32.7---vmware.3-fips-vkr.1" in html and "v1.32.7+vmware.3-fips" in html
    assert f"https://{web.api_endpoint}:6443" in html
    assert f"https://{supervisor.api_endpoint}:6443" in html
    assert "<strong>1 / 1</strong>" in html and "<strong>2 / 2</strong>" in html
    assert "No task running" in html


def test_page_defaults_to_the_first_supervisor_and_cluster(admin_client, supervisor, web):
    html = admin_client.get(URL).content.decode()
    assert f'data-cluster="team-a/{web.name}"' in html
    assert f'<option value="team-a/{web.name}" selected>' in html
    # A cluster alone brings its Supervisor.
    html = admin_client.get(f"{URL}?cluster=team-a/{web.name}").content.decode()
    assert f'data-supervisor="{supervisor.supervisor_id}"' in html


def test_supervisor_page_links_here(admin_client, supervisor):
    url = reverse("workloads:supervisor-summary", args=[supervisor.supervisor_id])
    html = admin_client.get(url).content.decode()
    assert f'href="{URL}?supervisor={supervisor.supervisor_id}"' in html


def test_workload_management_links_here(admin_client, supervisor):
    html = admin_client.get(reverse("workloads:home")).content.decode()
    assert 'data-link="side-by-side"' in html and f'href="{URL}"' in html


def test_supervisor_without_clusters_offers_its_namespaces(admin_client, supervisor, namespace):
    html = admin_client.get(page_url(supervisor)).content.decode()
    assert 'data-empty="no-cluster"' in html
    assert f"/workload-management/supervisors/{supervisor.supervisor_id}/namespaces/" in html
    assert 'id="sbs-live"' not in html


def test_no_supervisor_is_an_empty_state(admin_client):
    html = admin_client.get(URL).content.decode()
    assert 'data-empty="no-supervisor"' in html


def test_unknown_supervisor_or_cluster_is_404(admin_client, supervisor, web):
    assert admin_client.get(f"{URL}?supervisor=not-a-uuid").status_code == 404
    assert admin_client.get(f"{URL}?supervisor={uuid.uuid4()}").status_code == 404
    missing = f"{page_url(supervisor)}&cluster=team-a/nope"
    assert admin_client.get(missing).status_code == 404
    assert admin_client.get(f"{page_url(supervisor)}&cluster=garbage").status_code == 404


def test_wrong_method_is_405(admin_client, supervisor):
    assert admin_client.post(URL).status_code == 405


def test_login_required(client):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response["Location"]


# ---------------------------------------------------------------- live region


def test_live_region_shows_provisioning_progress_and_keeps_asking_once_settled(
    admin, admin_client, supervisor, namespace, storage_class
):
    cluster = new_cluster(namespace, storage_class)
    cluster.task = task_open(
        name="Create VKS cluster",
        description_id="com.vmware.vks.CreateVksCluster",
        operation="cluster.reconcile",
        target=supervisor.cluster,
        user=admin,
    )
    cluster.save()
    # A few passes: infrastructure, then the control plane node is created but not yet booted.
    now = timezone.now()
    for _ in range(3):
        reconcilers.cluster_reconcile(cluster.pk, now=now)
        cluster.refresh_from_db()
        now = cluster.next_reconcile_at

    page = admin_client.get(page_url(supervisor, cluster)).content.decode()
    assert POLL in page  # the page carries the region with its trigger

    html = live(admin_client, supervisor, cluster)
    assert html.lstrip().startswith('<tbody id="sbs-live"')
    assert "<html" not in html and "What each one is" not in html  # only the region
    assert POLL in html and 'data-unsettled="true"' in html
    assert 'data-phase="Provisioning"' in html
    assert "Create VKS cluster" in html and 'data-state="running"' in html
    assert poll_url(html).startswith(page_url(supervisor, cluster) + "&v=")

    drive(cluster)
    html = live(admin_client, supervisor, cluster)
    assert 'data-unsettled="false"' in html
    assert 'data-phase="Provisioned"' in html and "No task running" in html
    # Settled, it still asks: someone else may change either side at any time.
    assert POLL in html


def test_live_region_answers_204_until_anyone_changes_the_cluster(
    admin_client, supervisor, web, editor, django_capture_on_commit_callbacks
):
    url = poll_url(live(admin_client, supervisor, web))
    response = admin_client.get(url, **HTMX)
    assert response.status_code == 204 and response.content == b""

    # A developer scales the cluster the administrator is looking at.
    with django_capture_on_commit_callbacks(execute=True):
        cluster_scale(cluster=web, pool=POOL, replicas=3, generation=web.generation, user=editor)
    response = admin_client.get(url, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Workers <strong>3 / 3</strong>" in html  # ready / desired: the third has joined
    assert html.count('data-role="worker"') == 3
    assert poll_url(html) != url  # drawn at the new stamp


def test_live_region_polls_while_the_supervisor_is_reconfiguring(admin_client, supervisor, web):
    assert 'data-unsettled="false"' in live(admin_client, supervisor, web)
    supervisor.generation += 1  # a spec change no pass has observed yet
    supervisor.save()
    assert 'data-unsettled="true"' in live(admin_client, supervisor, web)


def test_live_region_of_a_deleted_cluster_goes_back_to_the_supervisor(
    admin_client, supervisor, web
):
    url = page_url(supervisor, web)
    VksCluster.objects.filter(pk=web.pk).update(name="renamed")
    response = admin_client.get(url, **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == page_url(supervisor)


# ---------------------------------------------------------------- who sees what


@pytest.fixture
def hidden(admin, supervisor, storage_class):
    """A cluster in a namespace `team-b` that only administrators and read-only users see."""
    other = Namespace.objects.create(name="team-b", supervisor=supervisor)
    return VksCluster.objects.create(name="payroll", namespace=other, spec=spec(storage_class))


def test_viewer_sees_only_clusters_of_their_namespaces(client, viewer, supervisor, web, hidden):
    client.force_login(viewer)
    html = client.get(page_url(supervisor)).content.decode()
    assert f'value="team-a/{web.name}"' in html
    assert "team-b" not in html and "payroll" not in html
    # A developer sees the Supervisor's non-inventory facts, not its hosts or control plane VMs.
    assert supervisor.kubernetes_version in html
    assert f"https://{supervisor.api_endpoint}:6443" in html
    assert 'data-host="' not in html and 'data-vm="' not in html
    assert "shown to vSphere administrators" in html
    assert f'data-node="{reconcilers.nodes_of(web)[0].vm.name}"' in html
    assert "/inventory/" not in html.split('id="main"', 1)[1]  # no link into the inventory
    assert client.get(page_url(supervisor, hidden)).status_code == 404
    # The live region answers for their cluster, and sends them away from one they cannot see.
    assert 'id="sbs-live"' in live(client, supervisor, web)
    response = client.get(page_url(supervisor, hidden), **HTMX)
    assert response["HX-Redirect"] == page_url(supervisor)


def test_auditor_sees_every_cluster(client, auditor, supervisor, web, hidden):
    client.force_login(auditor)
    html = client.get(page_url(supervisor)).content.decode()
    assert f'value="team-a/{web.name}"' in html and 'value="team-b/payroll"' in html


def test_stranger_choosing_a_cluster_of_another_namespace_gets_404(
    client, stranger, supervisor, web
):
    client.force_login(stranger)
    assert client.get(page_url(supervisor, web)).status_code == 404
    assert client.get(f"{URL}?cluster=team-a/{web.name}").status_code == 404
    assert client.get(page_url(supervisor, web), **HTMX).status_code == 200  # client redirect
    # Their own namespace has no cluster: the empty state, not someone else's cluster.
    html = client.get(page_url(supervisor)).content.decode()
    assert 'data-empty="no-cluster"' in html and web.name not in html


def test_outsider_is_refused(client, outsider, supervisor, web):
    client.force_login(outsider)
    assert client.get(page_url(supervisor, web)).status_code == 403


def test_a_visible_cluster_of_another_supervisor_gives_way_to_the_chosen_ones(
    admin_client, supervisor, web, namespace
):
    # The pickers posted without JavaScript after the Supervisor changed: no 404.
    other = VksCluster.objects.create(name="other", namespace=namespace, spec=web.spec)
    url = f"{page_url(supervisor)}&cluster=team-a/{other.name}"
    response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["sbs"].supervisor == supervisor


# ---------------------------------------------------------------- query counts


def test_query_counts_do_not_grow_with_nodes(
    admin_client, supervisor, namespace, storage_class, django_assert_num_queries
):
    small = new_cluster(namespace, storage_class, name="small", cp=1, workers=2)
    big = new_cluster(namespace, storage_class, name="big", cp=3, workers=9)
    drive(small)
    drive(big)
    assert len(reconcilers.nodes_of(small)) == 3 and len(reconcilers.nodes_of(big)) == 12
    admin_client.get(page_url(supervisor, small))  # warm the session
    for cluster in (small, big):
        url = page_url(supervisor, cluster)
        # the session, the user, its SSO groups, its role on the root; the
        # Supervisors the user may see (cluster, datacenter and task joined); the Supervisor's
        # VKS clusters (namespace and task joined); the vSphere cluster's hosts; the control
        # plane VMs (hosts joined); the cluster's nodes (VMs and hosts joined)
        with django_assert_num_queries(9):
            response = admin_client.get(url)
        assert len(response.context["sbs"].right.nodes) == len(reconcilers.nodes_of(cluster))
        # the live region, without the pickers: the session, the user, its groups, its role; the
        # one Supervisor; the one cluster; hosts; control plane VMs; nodes
        with django_assert_num_queries(9):
            response = admin_client.get(url, **HTMX)
        assert response.status_code == 200
