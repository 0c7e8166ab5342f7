"""VKS cluster pages in the browser's terms: the Compute grid, Create Cluster, Apply YAML, the
cluster's page and tabs, each day-2 dialog's success and refusal, stale changes, the kubeconfig,
who sees and may do what, and what the page and its live poll cost."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
import yaml
from django.test import Client
from django.urls import reverse

from inventory.models import Task
from kubeapi import tokens
from tests.workloads.conftest import NEXT, RELEASE, drive, spec
from workloads.cluster_objects import export_manifest
from workloads.models import VksCluster
from workloads.services import clusters

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
POLL = 'hx-trigger="tasks-changed from:body"'
SKIPPING = "v1.34.2---vmware.2-fips-vkr.1"  # two minors past RELEASE


def htmx(target: str) -> dict:
    return {**HTMX, "HTTP_HX_TARGET": target}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def compute(ns: str = "team-a") -> str:
    return reverse("workloads:namespace-detail", args=[ns, "compute"])


def page(name: str = "web", tab: str = "summary", ns: str = "team-a") -> str:
    args = [ns, name] if tab == "summary" else [ns, name, tab]
    return reverse("workloads:cluster-detail", args=args)


def action(kind: str, name: str = "web", *args, ns: str = "team-a") -> str:
    return reverse(f"workloads:cluster-{kind}", args=[ns, name, *args])


def field_error(response, name: str) -> str:
    """The message shown at the field `name` (data-field), or ''."""
    html = response.content.decode()
    start = html.find(f'data-field="{name}"')
    assert start >= 0, f"no field {name!r} on the page"
    error = re.search(r'class="field-error"[^>]*>(.*?)</div>', html[start:], re.S)
    following = html.find("data-field=", start + 1)
    if error is None or 0 <= following < error.start() + start:
        return ""  # the next field's error, not this one's
    return unescape(re.sub(r"<[^>]+>", "", error.group(1)).strip())


def text(response) -> str:
    return unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))


def triggers(response) -> dict:
    return json.loads(response.get("HX-Trigger") or "{}")


def grid_row(response, name: str) -> str:
    html = response.content.decode()
    return re.search(rf'<tr data-cluster="{name}".*?</tr>', html, re.S).group(0)


@pytest.fixture
def editor_client(editor):
    return logged_in(editor)


def wizard_form(storage_class: str, **changes) -> dict:
    form = {
        "op": "create",
        "name": "shop",
        "version": RELEASE,
        "os_image": "photon",
        "cp_replicas": "1",
        "cp_vm_class": "best-effort-small",
        "cp_storage_class": storage_class,
        "pool_name": ["workers"],
        "pool_replicas": ["2"],
        "pool_vm_class": ["best-effort-small"],
        "pool_storage_class": [storage_class],
        "cni": "antrea",
        "pods_cidr": "192.168.0.0/16",
        "services_cidr": "10.96.0.0/12",
        "service_domain": "cluster.local",
    }
    form.update(changes)
    return form


# ---------------------------------------------------------------- Namespace > Compute


def test_compute_grid_lists_clusters_like_kubectl_get_cluster(editor_client, web):
    response = editor_client.get(compute())
    assert response.status_code == 200
    row = grid_row(response, "web")
    assert 'data-phase="Provisioned"' in row and 'data-ready="True"' in row
    assert 'data-cp="1/1"' in row and 'data-workers="2/2"' in row
    assert "builtin-generic-v3.4.0" in row and RELEASE.replace("---", "+") in row
    assert page() in row  # the name opens the cluster's page
    html = response.content.decode()
    assert "Create Cluster" in html and "Apply YAML" in html
    grid = re.search(r'<div id="cluster-grid"[^>]*>', html).group(0)
    assert POLL not in grid  # every cluster settled: no polling


def test_compute_grid_polls_while_a_cluster_changes_and_stops_when_settled(
    editor, editor_client, namespace, storage_class
):
    cluster = clusters.cluster_create(
        namespace=namespace, name="web", spec=spec(storage_class), user=editor
    )
    html = editor_client.get(compute()).content.decode()
    assert POLL in re.search(r'<div id="cluster-grid"[^>]*>', html).group(0)
    assert 'data-workers="0/2"' in html
    drive(cluster)
    polled = editor_client.get(compute(), **htmx("cluster-grid"))
    fragment = polled.content.decode()
    assert fragment.lstrip().startswith('<div id="cluster-grid"') and "<main" not in fragment
    assert POLL not in fragment.split(">", 1)[0] and 'data-workers="2/2"' in fragment


def test_viewer_sees_the_grid_without_create_buttons(viewer, web):
    html = logged_in(viewer).get(compute()).content.decode()
    assert 'data-cluster="web"' in html
    assert "Create Cluster" not in html and "Apply YAML" not in html


# ---------------------------------------------------------------- Create Cluster


def test_wizard_offers_the_namespaces_releases_classes_and_defaults(
    editor_client, namespace, storage_class
):
    response = editor_client.get(reverse("workloads:cluster-create", args=["team-a"]))
    assert response.status_code == 200
    html = response.content.decode()
    newest = re.search(r'<select id="id_version".*?</select>', html, re.S).group(0)
    first = re.search(r'<option value="([^"]+)"', newest).group(1)
    assert first == NEXT and f'<option value="{NEXT}" selected>' in newest  # newest compatible
    assert f'<option value="{storage_class}" selected>' in html
    assert '<option value="best-effort-small" selected>' in html
    assert 'value="192.168.0.0/16"' in html and 'value="10.96.0.0/12"' in html
    assert 'value="cluster.local"' in html


def test_wizard_creates_the_cluster_and_lands_on_its_page(editor_client, storage_class):
    url = reverse("workloads:cluster-create", args=["team-a"])
    response = editor_client.post(url, wizard_form(storage_class))
    assert response.status_code == 302 and response["Location"] == page("shop")
    cluster = VksCluster.objects.get(name="shop")
    assert (cluster.kind, cluster.cluster_class) == ("Cluster", "builtin-generic-v3.4.0")
    assert cluster.spec["topology"]["nodePools"] == [
        {
            "name": "workers",
            "replicas": 2,
            "vmClass": "best-effort-small",
            "storageClass": storage_class,
        }
    ]
    assert cluster.spec["network"]["pods"] == ["192.168.0.0/16"]
    assert Task.objects.filter(name="Create VKS cluster").exists()


def test_wizard_over_htmx_swaps_in_the_cluster_page_and_nudges_recent_tasks(
    editor_client, storage_class
):
    url = reverse("workloads:cluster-create", args=["team-a"])
    response = editor_client.post(url, wizard_form(storage_class), **htmx("main"))
    assert response.status_code == 200 and response["HX-Push-Url"] == page("shop")
    assert "task-started" in triggers(response)
    assert 'data-cluster="shop"' in response.content.decode()


def test_wizard_shows_admission_errors_at_their_fields_and_stores_nothing(
    editor_client, storage_class
):
    url = reverse("workloads:cluster-create", args=["team-a"])
    form = wizard_form(
        storage_class, cp_replicas="2", pool_vm_class=["guaranteed-8xlarge"], name="Bad_Name"
    )
    response = editor_client.post(url, form)
    assert response.status_code == 400
    assert "odd number" in field_error(response, "cp_replicas")
    assert 'is not bound to namespace "team-a"' in field_error(response, "pool-0-vm_class")
    # People read the rule in words; the regular expression stays with the Kubernetes API.
    name_error = field_error(response, "name")
    assert "lowercase letters, digits and hyphens" in name_error
    assert "regex" not in name_error and "[a-z0-9]" not in response.content.decode()
    assert not VksCluster.objects.exists() and not Task.objects.filter(name__contains="VKS")
    html = response.content.decode()
    assert 'value="Bad_Name"' in html  # what was typed stays
    assert '<option value="guaranteed-8xlarge" selected>' in html


def test_wizard_words_the_service_domain_rule_for_people(editor_client, storage_class):
    url = reverse("workloads:cluster-create", args=["team-a"])
    response = editor_client.post(url, wizard_form(storage_class, service_domain="Bad_Domain"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "hyphens (-) and dots (.)" in html and "regex" not in html


def test_wizard_adds_and_removes_node_pool_rows_without_storing(editor_client, storage_class):
    url = reverse("workloads:cluster-create", args=["team-a"])
    added = editor_client.post(url, wizard_form(storage_class, op="add-pool"))
    assert added.status_code == 200
    html = added.content.decode()
    assert html.count('name="pool_name"') == 2 and 'value="node-pool-1"' in html
    form = wizard_form(
        storage_class,
        op="remove-pool-0",
        pool_name=["workers", "node-pool-1"],
        pool_replicas=["2", "1"],
        pool_vm_class=["best-effort-small"] * 2,
        pool_storage_class=[storage_class] * 2,
    )
    removed = editor_client.post(url, form).content.decode()
    assert removed.count('name="pool_name"') == 1 and 'value="node-pool-1"' in removed
    assert not VksCluster.objects.exists()


def test_wizard_is_for_can_edit(viewer, stranger, namespace):
    url = reverse("workloads:cluster-create", args=["team-a"])
    assert logged_in(viewer).get(url).status_code == 403
    assert logged_in(viewer).post(url, {"name": "x"}).status_code == 403
    assert logged_in(stranger).get(url).status_code == 404


# ---------------------------------------------------------------- Apply YAML


def apply_url(ns: str = "team-a") -> str:
    return reverse("workloads:cluster-apply", args=[ns])


def example(client, which: str) -> str:
    response = client.post(apply_url(), {"op": which, "manifest": ""})
    assert response.status_code == 200
    html = response.content.decode()
    return unescape(re.search(r'<textarea id="id_manifest"[^>]*>(.*?)</textarea>', html, re.S)[1])


@pytest.mark.parametrize(
    ("which", "kind", "name"),
    [
        ("example-tkc", "TanzuKubernetesCluster", "tkc-01"),
        ("example-cluster", "Cluster", "cluster-01"),
    ],
)
def test_apply_the_examples_creates_clusters_of_both_kinds(
    editor_client, storage_class, which, kind, name
):
    manifest = example(editor_client, which)
    assert "namespace: team-a" in manifest and storage_class in manifest
    assert NEXT in manifest and "best-effort-small" in manifest
    response = editor_client.post(apply_url(), {"op": "apply", "manifest": manifest})
    assert response.status_code == 302 and response["Location"] == page(name)
    cluster = VksCluster.objects.get(name=name)
    assert cluster.kind == kind and cluster.spec["topology"]["version"] == NEXT
    drive(cluster)
    cluster.refresh_from_db()
    assert cluster.phase == "Provisioned"


def test_apply_an_uploaded_file(editor_client, storage_class):
    from django.core.files.uploadedfile import SimpleUploadedFile

    manifest = example(editor_client, "example-cluster")
    upload = SimpleUploadedFile("cluster.yaml", manifest.encode(), content_type="application/yaml")
    response = editor_client.post(apply_url(), {"op": "apply", "manifest": "", "file": upload})
    assert response.status_code == 302 and VksCluster.objects.filter(name="cluster-01").exists()


def test_apply_bad_yaml_says_why_and_stores_nothing(editor_client, storage_class):
    response = editor_client.post(apply_url(), {"op": "apply", "manifest": "kind: [Cluster"})
    assert response.status_code == 400
    assert 'data-path="manifest"' in response.content.decode()
    assert "error parsing YAML" in text(response)
    assert "kind: [Cluster" in response.content.decode()  # the text stays to be fixed
    assert not VksCluster.objects.exists()


def test_apply_lists_admission_errors_with_their_field_paths(editor_client, storage_class):
    manifest = example(editor_client, "example-tkc").replace("replicas: 1 ", "replicas: 2 ")
    response = editor_client.post(apply_url(), {"op": "apply", "manifest": manifest})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'data-path="spec.topology.controlPlane.replicas"' in html
    assert "odd number" in text(response)
    assert not VksCluster.objects.exists()


def test_reapplying_an_existing_name_updates_it(editor_client, web):
    document = yaml.safe_load(export_manifest(web))
    document["spec"]["topology"]["workers"]["machineDeployments"][0]["replicas"] = 3
    response = editor_client.post(
        apply_url(), {"op": "apply", "manifest": yaml.safe_dump(document)}
    )
    assert response.status_code == 302 and response["Location"] == page("web")
    web.refresh_from_db()
    assert web.spec["topology"]["nodePools"][0]["replicas"] == 3
    assert web.generation == document["metadata"]["generation"] + 1
    assert Task.objects.filter(name="Scale VKS cluster").exists()


def test_reapplying_a_stale_export_is_refused_with_409(editor, editor_client, web):
    stale = yaml.safe_load(export_manifest(web))
    clusters.cluster_scale(
        cluster=web, pool="node-pool-1", replicas=3, generation=web.generation, user=editor
    )
    stale["spec"]["topology"]["workers"]["machineDeployments"][0]["replicas"] = 1
    response = editor_client.post(
        apply_url(), {"op": "apply", "manifest": yaml.safe_dump(stale)}, **htmx("main")
    )
    assert response.status_code == 409
    assert "the object has been modified" in text(response)
    assert 'hx-swap-oob="innerHTML"' in response.content.decode()
    web.refresh_from_db()
    assert web.spec["topology"]["nodePools"][0]["replicas"] == 3


def test_edit_and_apply_starts_from_the_export(editor_client, web):
    response = editor_client.get(apply_url() + "?cluster=web")
    assert "name: web" in unescape(response.content.decode())


# ---------------------------------------------------------------- the cluster's page


def test_cluster_page_summary_cards(editor_client, web):
    response = editor_client.get(page())
    assert response.status_code == 200
    html = response.content.decode()
    for card in ("Status", "Kubernetes", "Control Plane", "Node Pools", "Capacity"):
        assert f'<div class="card-header">{card}</div>' in html
    assert "Updates Available" in html and f'data-update="{NEXT}"' in html
    assert f"https://{web.api_endpoint}:6443" in html
    assert 'data-condition="Ready" data-status="True"' in html
    assert 'data-condition="ControlPlaneReady"' in html
    assert 'data-cpus="6"' in html  # three best-effort-small nodes, 2 vCPUs each
    assert "v1.32.7+vmware.3-fips" in html  # the kubelet version
    live = re.search(r'<div id="cluster-live"[^>]*>', html).group(0)
    assert POLL not in live  # settled


def test_cluster_page_links_to_the_side_by_side_view(editor_client, web):
    html = editor_client.get(page()).content.decode()
    sup = web.namespace.supervisor.supervisor_id
    assert f"?supervisor={sup}&amp;cluster=team-a/web" in html


def test_cluster_page_follows_the_reconciler_while_unsettled(editor, editor_client, web):
    clusters.cluster_scale(
        cluster=web, pool="node-pool-1", replicas=3, generation=web.generation, user=editor
    )
    html = editor_client.get(page()).content.decode()
    assert POLL in re.search(r'<div id="cluster-live"[^>]*>', html).group(0)
    drive(web)
    polled = editor_client.get(page(), **htmx("cluster-live")).content.decode()
    assert polled.lstrip().startswith('<div id="cluster-live"') and "<main" not in polled
    assert POLL not in polled.split(">", 1)[0]
    assert 'data-replicas="3" data-ready="3"' in polled


def test_live_poll_of_a_deleted_cluster_goes_back_to_the_compute_tab(editor_client, web):
    web.nodes.all().delete()
    web.delete()
    response = editor_client.get(page(), **htmx("cluster-live"))
    assert response.status_code == 200 and response["HX-Redirect"] == compute()


def test_nodes_tab_lists_every_node_with_its_vm(admin_client, web):
    html = admin_client.get(page(tab="nodes")).content.decode()
    nodes = list(web.nodes.select_related("vm__host"))
    assert len(nodes) == 3
    for node in nodes:
        row = re.search(rf'<tr data-node="{node.vm.name}".*?</tr>', html, re.S).group(0)
        assert reverse("inventory:object", args=[node.vm.moid, "summary"]) in row
        assert node.vm.host.name in row and node.vm.ip_address in row
    assert html.count('data-role="control-plane"') == 1 and html.count('data-role="worker"') == 2


def test_yaml_tab_shows_the_export_and_downloads_it(editor_client, web):
    html = unescape(editor_client.get(page(tab="yaml")).content.decode())
    assert "kind: Cluster" in html and "name: web" in html and "class: builtin-generic" in html
    download = editor_client.get(reverse("workloads:cluster-manifest", args=["team-a", "web"]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="web.yaml"'
    assert yaml.safe_load(download.content)["metadata"]["name"] == "web"


def test_unknown_tab_wrong_method_and_strangers(editor_client, stranger, web):
    assert editor_client.get(page(tab="monitor")).status_code == 404
    assert editor_client.post(page()).status_code == 405
    assert editor_client.get(page("nope")).status_code == 404
    assert logged_in(stranger).get(page()).status_code == 404


# ---------------------------------------------------------------- day-2 dialogs


def test_scale_through_its_dialog(editor_client, web):
    dialog = editor_client.get(action("scale") + "?pool=node-pool-1")
    assert dialog.status_code == 200
    assert f'name="generation" value="{web.generation}"' in dialog.content.decode()
    response = editor_client.post(
        action("scale"), {"pool": "node-pool-1", "replicas": "4", "generation": web.generation}
    )
    assert response.status_code == 302 and response["Location"] == page()
    web.refresh_from_db()
    assert web.spec["topology"]["nodePools"][0]["replicas"] == 4
    assert Task.objects.filter(name="Scale VKS cluster").exists()
    drive(web)
    assert web.nodes.filter(role="worker").count() == 4


def test_scale_to_the_same_count_changes_nothing(editor_client, web):
    response = editor_client.post(
        action("scale"),
        {"pool": "node-pool-1", "replicas": "2", "generation": web.generation},
        follow=True,
    )
    assert "No settings were changed." in text(response)
    web.refresh_from_db()
    assert web.generation == 1 and not Task.objects.filter(name="Scale VKS cluster").exists()


def test_scale_refuses_a_bad_count_at_its_field(editor_client, web):
    response = editor_client.post(
        action("scale"), {"pool": "node-pool-1", "replicas": "-1", "generation": web.generation}
    )
    assert response.status_code == 400
    assert "greater than or equal to 0" in field_error(response, "replicas")
    web.refresh_from_db()
    assert web.spec["topology"]["nodePools"][0]["replicas"] == 2


def test_add_and_remove_a_node_pool(editor_client, web, storage_class):
    form = {
        "name": "gpu",
        "replicas": "1",
        "vm_class": "best-effort-medium",
        "storage_class": storage_class,
        "generation": web.generation,
    }
    assert editor_client.post(action("pool-add"), form).status_code == 302
    web.refresh_from_db()
    assert [p["name"] for p in web.spec["topology"]["nodePools"]] == ["node-pool-1", "gpu"]
    drive(web)
    assert web.nodes.filter(pool="gpu").count() == 1
    web.refresh_from_db()
    remove = action("pool-remove", "web", "gpu")
    assert "Remove the node pool" in editor_client.get(remove).content.decode()
    assert editor_client.post(remove, {"generation": web.generation}).status_code == 302
    web.refresh_from_db()
    assert [p["name"] for p in web.spec["topology"]["nodePools"]] == ["node-pool-1"]
    drive(web)
    assert not web.nodes.filter(pool="gpu").exists()


def test_add_node_pool_errors_at_their_fields(editor_client, web, storage_class):
    form = {
        "name": "node-pool-1",
        "replicas": "1",
        "vm_class": "guaranteed-8xlarge",
        "storage_class": storage_class,
        "generation": web.generation,
    }
    response = editor_client.post(action("pool-add"), form)
    assert response.status_code == 400
    assert "Duplicate value" in field_error(response, "name")
    assert "is not bound" in field_error(response, "vm_class")


def test_removing_the_last_node_pool_is_refused(editor_client, web):
    response = editor_client.post(
        action("pool-remove", "web", "node-pool-1"), {"generation": web.generation}
    )
    assert response.status_code == 400 and "at least one node pool" in text(response)
    assert editor_client.get(action("pool-remove", "web", "nope")).status_code == 404


def test_upgrade_to_the_next_minor(editor_client, web):
    dialog = editor_client.get(action("upgrade")).content.decode()
    options = re.findall(r'<option value="([^"]+)"', dialog)
    assert options[0] == NEXT  # updates_available only: the next minor's, newest first
    assert all(o.startswith("v1.33.") for o in options)
    assert "one Kubernetes minor version at a time" in dialog
    response = editor_client.post(
        action("upgrade"), {"version": NEXT, "generation": web.generation}
    )
    assert response.status_code == 302
    web.refresh_from_db()
    assert web.spec["topology"]["version"] == NEXT
    assert Task.objects.filter(name="Upgrade VKS cluster").exists()


def test_upgrade_that_skips_a_minor_is_refused_with_the_rule(editor_client, web):
    response = editor_client.post(
        action("upgrade"), {"version": SKIPPING, "generation": web.generation}
    )
    assert response.status_code == 400
    message = field_error(response, "version")
    assert "skips minor version 1.33" in message and "one minor version at a time" in message
    web.refresh_from_db()
    assert web.spec["topology"]["version"] == RELEASE


def test_delete_through_its_dialog(editor_client, web):
    assert "Delete the VKS cluster" in editor_client.get(action("delete")).content.decode()
    response = editor_client.post(action("delete"), {"generation": web.generation})
    assert response.status_code == 302
    web.refresh_from_db()
    assert web.phase == "Deleting" and web.is_deleting
    assert Task.objects.filter(name="Delete VKS cluster").exists()
    assert editor_client.get(action("scale")).status_code == 302  # no dialogs while deleting
    assert drive(web)[-1] == "GONE"


@pytest.mark.parametrize(
    ("kind", "args", "data"),
    [
        ("scale", (), {"pool": "node-pool-1", "replicas": "1"}),
        ("upgrade", (), {"version": NEXT}),
        ("pool-remove", ("node-pool-1",), {}),
        ("delete", (), {}),
    ],
)
def test_a_stale_generation_is_refused_with_409_and_changes_nothing(
    editor, editor_client, web, kind, args, data
):
    stale = web.generation
    clusters.cluster_scale(
        cluster=web, pool="node-pool-1", replicas=3, generation=web.generation, user=editor
    )
    web.refresh_from_db()
    before = (web.spec, web.generation)
    response = editor_client.post(
        action(kind, "web", *args), {**data, "generation": stale}, **htmx("dialog-form")
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="dialog-form"'), "the open dialog's form again"
    summary = unescape(html.split('id="dialog-alerts"')[1].split("</div>")[0])
    assert "the object has been modified; please apply your changes to the latest version" in (
        summary
    )
    assert f'name="generation" value="{web.generation}"' in html  # the dialog, made fresh
    web.refresh_from_db()
    assert (web.spec, web.generation) == before and not web.is_deleting


def test_a_stale_plain_post_answers_409_with_the_message_on_the_page(editor, editor_client, web):
    stale = web.generation
    clusters.cluster_scale(
        cluster=web, pool="node-pool-1", replicas=3, generation=web.generation, user=editor
    )
    response = editor_client.post(
        action("scale"), {"pool": "node-pool-1", "replicas": "1", "generation": stale}
    )
    assert response.status_code == 409 and "the object has been modified" in text(response)


# ---------------------------------------------------------------- kubeconfig


def test_kubeconfig_for_can_edit(editor_client, viewer, stranger, web):
    url = action("kubeconfig")
    response = editor_client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="web-kubeconfig.yaml"'
    assert "no-store" in response["Cache-Control"]  # credentials: never kept by a cache
    config = yaml.safe_load(response.content)
    assert config["current-context"] == "web-admin@web"
    # Served by this application (the simulated VIP answers nothing), with a token for eddie.
    assert config["clusters"][0]["cluster"]["server"] == "https://testserver:8443/vks/team-a/web"
    token = config["users"][0]["user"]["token"]
    holder = tokens.user_of(token, audience=tokens.cluster_audience(web))
    assert holder.username == "eddie@vsphere.local"
    assert logged_in(viewer).get(url).status_code == 403
    assert logged_in(stranger).get(url).status_code == 404


def test_kubeconfig_waits_for_the_api_endpoint(editor, editor_client, namespace, storage_class):
    clusters.cluster_create(namespace=namespace, name="web", spec=spec(storage_class), user=editor)
    response = editor_client.get(action("kubeconfig"))
    assert response.status_code == 409 and "no API endpoint yet" in text(response)


# ---------------------------------------------------------------- who sees what


def test_viewer_sees_the_pages_without_actions(viewer, web):
    client = logged_in(viewer)
    for tab in ("summary", "nodes", "yaml"):
        html = client.get(page(tab=tab)).content.decode()
        assert client.get(page(tab=tab)).status_code == 200
        for button in ("Scale", "Add Node Pool", "Upgrade", "Download Kubeconfig", "Delete"):
            assert f">{button}</a>" not in html and f">{button}</button>" not in html
    assert "Edit and Apply" not in html
    assert "Your role: Can view" in html


@pytest.mark.parametrize(
    ("kind", "args"),
    [
        ("scale", ()),
        ("pool-add", ()),
        ("pool-remove", ("node-pool-1",)),
        ("upgrade", ()),
        ("delete", ()),
    ],
)
def test_viewer_gets_403_on_every_dialog(viewer, web, kind, args):
    client = logged_in(viewer)
    url = action(kind, "web", *args)
    assert client.get(url).status_code == 403
    data = {"pool": "node-pool-1", "replicas": "5", "version": NEXT, "generation": web.generation}
    assert client.post(url, data).status_code == 403
    assert client.post(url, data, **htmx("main")).status_code == 403
    web.refresh_from_db()
    assert web.generation == 1 and not web.is_deleting


def test_viewer_gets_403_on_create_and_apply_posts(viewer, web):
    client = logged_in(viewer)
    assert client.post(apply_url(), {"op": "apply", "manifest": "x"}).status_code == 403
    assert client.post(reverse("workloads:cluster-create", args=["team-a"])).status_code == 403


def test_strangers_get_404_everywhere(stranger, web):
    client = logged_in(stranger)
    for url in (page(), action("scale"), action("delete"), apply_url(), compute()):
        assert client.get(url).status_code == 404
        assert client.post(url).status_code in (404, 405)


# ---------------------------------------------------------------- what the page costs


def test_cluster_page_and_live_poll_queries_do_not_grow_with_nodes(
    editor, editor_client, web, django_assert_num_queries
):
    editor_client.get(page())  # warm the session
    # the session, the user, the cluster (namespace, Supervisor, vSphere cluster, library, task
    # joined), the user's SSO groups and vCenter permissions (its vCenter role), its access
    # entries in the namespace (its namespace role), the nodes (VMs and hosts joined), the
    # library's release items (the release and its updates)
    with django_assert_num_queries(8):
        assert editor_client.get(page()).status_code == 200
    # the same for the poll: it renders the live region only, from the same reads
    with django_assert_num_queries(8):
        assert editor_client.get(page(), **htmx("cluster-live")).status_code == 200

    clusters.cluster_update(
        cluster=web,
        spec=spec(web.spec["topology"]["controlPlane"]["storageClass"], cp=3, workers=9),
        generation=web.generation,
        user=editor,
    )
    drive(web)
    assert web.nodes.count() == 12
    with django_assert_num_queries(8):
        assert editor_client.get(page()).status_code == 200
    with django_assert_num_queries(8):
        assert editor_client.get(page(), **htmx("cluster-live")).status_code == 200
