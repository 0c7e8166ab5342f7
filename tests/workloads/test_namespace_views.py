"""vSphere Namespace pages in the browser's terms: the Namespaces tabs, Create Namespace, the
namespace's page and tabs, each dialog's success and refusal, and who sees and may do what."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.models import ContentLibrary, ResourcePool, Task
from tests.conftest import PASSWORD
from tests.workloads.conftest import settle
from workloads import selectors, services
from workloads.models import Namespace, NamespaceAccess, NamespaceStorage, VksCluster
from workloads.reconcilers.common import NAMESPACES

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
POLL = 'hx-trigger="tasks-changed from:body"'


def page(name: str, tab: str = "summary") -> str:
    if tab == "summary":
        return reverse("workloads:namespace-summary", args=[name])
    return reverse("workloads:namespace-detail", args=[name, tab])


def dialog(kind: str, name: str = "team-a", *args) -> str:
    return reverse(f"workloads:namespace-{kind}", args=[name, *args])


def htmx(target: str) -> dict:
    return {**HTMX, "HTTP_HX_TARGET": target}


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# The Edit Limits form as a browser sends it with every field empty: no limits.
NO_LIMITS = {
    "cpu_limit_mhz": "",
    "cpu_unit": "GHz",
    "memory_limit_mib": "",
    "memory_unit": "GB",
    "storage_limit_mib": "",
    "storage_unit": "GB",
}


def field_error(response, name: str) -> str:
    """The message shown at the field `name` (data-field), or ''."""
    html = response.content.decode()
    start = html.find(f'data-field="{name}"')
    assert start >= 0, f"no field {name!r} on the page"
    error = re.search(r'class="field-error"[^>]*>(.*?)</div>', html[start:], re.S)
    return unescape(re.sub(r"<[^>]+>", "", error.group(1)).strip()) if error else ""


def triggers(response) -> dict:
    return json.loads(response.get("HX-Trigger") or "{}")


@pytest.fixture
def developer(admin, namespace):
    """dev@vsphere.local: no vCenter role; Can edit in `namespace` through the group DevTeam."""
    user = get_user_model().objects.create_user("dev@vsphere.local", password=PASSWORD)
    user.groups.add(Group.objects.create(name="DevTeam"))
    services.namespace_access_set(
        namespace=namespace, subject_type="GROUP", subject="DevTeam", role="EDIT", user=admin
    )
    return user


@pytest.fixture
def loner(db):
    """A developer who holds no role in any namespace (and no vCenter role)."""
    return get_user_model().objects.create_user("loner@vsphere.local", password=PASSWORD)


@pytest.fixture
def offered(namespace):
    """A storage policy with a datastore on the Supervisor's cluster."""
    return selectors.namespace_storage_choices(namespace)[0]


# ---------------------------------------------------------------- the namespace page


def test_namespace_page_and_its_regions(admin_client, namespace):
    full = admin_client.get(page("team-a"))
    assert full.status_code == 200
    html = full.content.decode()
    assert "<html" in html and 'id="main"' in html
    for card in ("Status", "Permissions", "Storage", "Capacity and Usage", "VM Service"):
        assert f'<div class="card-header">{card}</div>' in html
    assert "vSphere Kubernetes Service" in html
    main = admin_client.get(page("team-a"), **htmx("main"))
    assert main.content.decode().lstrip().startswith('<main id="main"')
    body = admin_client.get(page("team-a", "permissions"), **htmx("tab-body"))
    assert body.content.decode().lstrip().startswith('<section id="tab-body"')
    assert "<main" not in body.content.decode()


@pytest.mark.parametrize("tab", ["summary", "permissions", "storage", "compute"])
def test_every_tab_renders(admin_client, namespace, tab):
    response = admin_client.get(page("team-a", tab))
    assert response.status_code == 200
    assert f'class="tab-body tab-{tab}"' in response.content.decode()


def test_compute_tab_says_no_vks_clusters_until_there_are(admin_client, namespace):
    assert b"No VKS clusters" in admin_client.get(page("team-a", "compute")).content
    VksCluster.objects.create(namespace=namespace, name="tkc-01")
    response = admin_client.get(page("team-a", "compute"))
    assert b"No VKS clusters" not in response.content and b"tkc-01" in response.content


def test_unknown_tab_and_wrong_method(admin_client, namespace):
    assert admin_client.get(page("team-a", "network")).status_code == 404
    assert admin_client.post(page("team-a")).status_code == 405
    assert admin_client.put(dialog("limits-edit")).status_code == 405


def test_status_card_links_to_the_cli_tools(admin_client, namespace):
    # This application's page for the namespace: the simulated Supervisor address serves nothing.
    html = admin_client.get(page("team-a")).content.decode()
    url = "http://testserver/wcp/cli-tools/?namespace=team-a"
    assert f'data-copy="{url}"' in html
    assert f'href="{url}"' in html
    assert admin_client.get(url).status_code == 200


def test_status_polls_only_while_configuring(admin, admin_client, supervisor):
    ns = services.namespace_create(supervisor=supervisor, name="team-b", user=admin)
    response = admin_client.get(page("team-b"))
    card = re.search(r'<div id="namespace-status"[^>]*>', response.content.decode()).group(0)
    assert 'data-config-status="CONFIGURING"' in card and POLL in card
    settle(ns)
    polled = admin_client.get(page("team-b"), **htmx("namespace-status"))
    html = polled.content.decode()
    assert html.lstrip().startswith('<div id="namespace-status"')
    assert 'data-config-status="RUNNING"' in html and POLL not in html


def test_status_poll_of_a_removed_namespace_goes_back_to_the_list(admin_client, namespace):
    url = page("team-a")
    Namespace.objects.filter(pk=namespace.pk).update(config_status="REMOVING")
    NamespaceAccess.objects.filter(namespace=namespace).delete()
    namespace.delete()
    response = admin_client.get(url, **htmx("namespace-status"))
    assert response.status_code == 200 and response["HX-Redirect"] == "/workload-management/"
    assert admin_client.get(url).status_code == 404


def test_summary_queries_do_not_grow_with_permissions(admin, admin_client, namespace, owner):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(page("team-a")).status_code == 200
        return len(captured)

    before = queries()
    for name in ("p1", "p2", "p3"):
        get_user_model().objects.create_user(f"{name}@vsphere.local", password=PASSWORD)
        services.namespace_access_set(
            namespace=namespace, subject_type="USER", subject=name, role="VIEW", user=admin
        )
    assert queries() == before


# ---------------------------------------------------------------- who sees what


def test_viewer_sees_the_summary_without_edit_buttons(viewer, namespace):
    client = logged_in(viewer)
    html = client.get(page("team-a")).content.decode()
    assert "Capacity and Usage" in html
    for button in (
        "Add Permissions",
        "Edit Storage",
        "Edit Limits",
        "Manage VM Classes",
        "Manage Content Libraries",
        "Delete Namespace",
    ):
        assert button not in html
    assert "Your role: Can view" in html


def test_owner_sees_permissions_and_delete_but_not_configuration(owner, namespace):
    html = logged_in(owner).get(page("team-a")).content.decode()
    assert "Add Permissions" in html and "Delete Namespace" in html
    assert "Edit Limits" not in html and "Edit Storage" not in html


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("limits-edit", {"cpu_limit_mhz": "1", "cpu_unit": "GHz"}),
        ("storage-edit", {}),
        ("vm-classes-edit", {"vm_class": "best-effort-small"}),
        ("libraries-edit", {}),
        ("kubernetes-library-edit", {"library": ""}),
        ("permission-add", {"subject_type": "USER", "subject": "vera", "role": "OWNER"}),
        ("delete", {}),
    ],
)
def test_viewer_gets_403_on_every_dialog(viewer, namespace, kind, data):
    client = logged_in(viewer)
    assert client.get(dialog(kind)).status_code == 403
    assert client.post(dialog(kind), data).status_code == 403
    htmx_post = client.post(dialog(kind), data, **htmx("main"))
    assert htmx_post.status_code == 403 and htmx_post["HX-Retarget"] == "#alerts"
    namespace.refresh_from_db()
    assert namespace.cpu_limit_mhz is None and not namespace.is_deleting


def test_editor_cannot_manage_permissions(editor, namespace):
    client = logged_in(editor)
    entry = NamespaceAccess.objects.get(namespace=namespace, subject="eddie")
    assert client.get(dialog("permission-add")).status_code == 403
    data = {"subject_type": "USER", "subject": "eddie", "role": "OWNER"}
    assert client.post(dialog("permission-add"), data).status_code == 403
    edit = dialog("permission-edit", "team-a", entry.pk)
    assert client.post(edit, {"role": "OWNER"}).status_code == 403
    assert client.post(dialog("permission-remove", "team-a", entry.pk)).status_code == 403
    entry.refresh_from_db()
    assert entry.role == "EDIT"
    assert b"Add Permissions" not in client.get(page("team-a", "permissions")).content


@pytest.mark.parametrize("who", ["outsider", "stranger", "loner"])
def test_no_role_is_404_for_the_page_and_its_dialogs(request, namespace, who):
    client = logged_in(request.getfixturevalue(who))
    for tab in ("summary", "permissions", "compute"):
        assert client.get(page("team-a", tab)).status_code == 404
    for kind in ("permission-add", "storage-edit", "limits-edit", "vm-classes-edit", "delete"):
        assert client.get(dialog(kind)).status_code == 404
        assert client.post(dialog(kind), {"cpu_limit_mhz": "1"}).status_code == 404
    assert client.get(page("no-such-namespace")).status_code == 404


def test_csrf_is_enforced(admin, namespace):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post(dialog("limits-edit"), {"cpu_limit_mhz": "2"}).status_code == 403
    namespace.refresh_from_db()
    assert namespace.cpu_limit_mhz is None
    form = client.get(dialog("limits-edit")).content.decode()
    assert 'name="csrfmiddlewaretoken"' in form


# ---------------------------------------------------------------- Namespaces tabs


def test_namespaces_tab_lists_namespaces_with_usage(admin_client, namespace):
    response = admin_client.get("/workload-management/")
    html = response.content.decode()
    assert response.status_code == 200 and 'data-namespace="team-a"' in html
    assert "New Namespace" in html
    assert response.context["page"][0].cluster_count == 0


def test_developer_sees_only_namespaces_granted_to_their_group(admin, developer, supervisor):
    other = services.namespace_create(supervisor=supervisor, name="team-other", user=admin)
    settle(other)
    client = logged_in(developer)
    response = client.get("/workload-management/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-namespace="team-a"' in html and "team-other" not in html
    assert "New Namespace" not in html
    assert [slug for slug, _label, _url in response.context["tabs"]] == ["namespaces"]
    assert client.get("/workload-management/supervisors/").status_code == 403
    assert client.get(page("team-a")).status_code == 200
    assert client.get(page("team-other")).status_code == 404


def test_namespaces_filter_returns_the_grid(admin, admin_client, namespace, supervisor):
    services.namespace_create(
        supervisor=supervisor, name="payments", description="Payments team", user=admin
    )
    response = admin_client.get("/workload-management/?q=pay", **htmx("namespace-grid"))
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="namespace-grid"')
    assert 'data-namespace="payments"' in html and 'data-namespace="team-a"' not in html
    assert POLL in html  # `payments` is still configuring


def test_supervisor_page_has_a_namespaces_tab(admin_client, namespace):
    sup = namespace.supervisor
    url = reverse("workloads:supervisor-detail", args=[sup.supervisor_id, "namespaces"])
    html = admin_client.get(url).content.decode()
    assert 'data-namespace="team-a"' in html
    assert f"/workload-management/new-namespace/?supervisor={sup.supervisor_id}" in html


# ---------------------------------------------------------------- Create Namespace


def test_create_dialog_preselects_the_supervisor(admin_client, supervisor):
    url = reverse("workloads:namespace-create") + f"?supervisor={supervisor.supervisor_id}"
    response = admin_client.get(url, **htmx("main"))
    assert response.status_code == 200
    assert re.search(rf'value="{supervisor.supervisor_id}" selected', response.content.decode())


def test_create_through_the_dialog_goes_to_the_new_namespace(admin_client, supervisor):
    data = {"supervisor": supervisor.supervisor_id, "name": "team-b", "description": "B team"}
    response = admin_client.post(reverse("workloads:namespace-create"), data, **htmx("main"))
    assert response.status_code == 200
    assert response["HX-Push-Url"] == page("team-b")
    assert "task-started" in triggers(response)
    assert 'data-namespace="team-b"' in response.content.decode()
    ns = Namespace.objects.get(name="team-b")
    assert (ns.description, ns.supervisor_id) == ("B team", supervisor.pk)
    assert Task.objects.filter(name="Create namespace").exists()


def test_create_without_htmx_redirects(admin_client, supervisor):
    data = {"supervisor": supervisor.supervisor_id, "name": "team-b", "description": ""}
    response = admin_client.post(reverse("workloads:namespace-create"), data)
    assert response.status_code == 302 and response["Location"] == page("team-b")


def test_duplicate_name_is_shown_at_the_field(admin_client, namespace, supervisor):
    data = {"supervisor": supervisor.supervisor_id, "name": "team-a", "description": ""}
    response = admin_client.post(reverse("workloads:namespace-create"), data, **htmx("main"))
    assert response.status_code == 400
    assert "already exists in this vCenter Server" in field_error(response, "name")
    assert Namespace.objects.count() == 1


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "Team_B"}, "name", "at most 63 characters"),
        ({"name": ""}, "name", "at most 63 characters"),
        ({"name": "team-b", "supervisor": "nope"}, "supervisor", "Select a running Supervisor"),
    ],
)
def test_bad_create_input_is_shown_at_the_field(admin_client, supervisor, data, field, message):
    data = {"supervisor": supervisor.supervisor_id, "description": "", **data}
    response = admin_client.post(reverse("workloads:namespace-create"), data)
    assert response.status_code == 400
    assert message in field_error(response, field)
    assert not Namespace.objects.exists()


def test_only_administrators_create_namespaces(auditor, developer, supervisor):
    data = {"supervisor": supervisor.supervisor_id, "name": "team-b"}
    for user in (auditor, developer):
        client = logged_in(user)
        assert client.get(reverse("workloads:namespace-create")).status_code == 403
        assert client.post(reverse("workloads:namespace-create"), data).status_code == 403
    assert not Namespace.objects.filter(name="team-b").exists()


# ---------------------------------------------------------------- permissions


def test_owner_adds_a_permission(owner, namespace, viewer):
    client = logged_in(owner)
    form = client.get(dialog("permission-add"), **htmx("main"))
    assert form.status_code == 200 and b'<datalist id="sso-principals">' in form.content
    assert b"vera@vsphere.local" in form.content and b'value="Viewers"' in form.content
    data = {"domain": "vsphere.local", "subject_type": "USER", "subject": "vera", "role": "EDIT"}
    response = client.post(dialog("permission-add") + "?from=permissions", data, **htmx("main"))
    assert response.status_code == 200
    assert response["HX-Push-Url"] == page("team-a", "permissions")
    entry = NamespaceAccess.objects.get(namespace=namespace, subject="vera")
    assert (entry.subject_type, entry.role) == ("USER", "EDIT")


def test_unknown_principal_is_shown_at_the_field(admin_client, namespace):
    data = {"domain": "vsphere.local", "subject_type": "USER", "subject": "nobody", "role": "VIEW"}
    response = admin_client.post(dialog("permission-add"), data)
    assert response.status_code == 400
    assert "was not found in the identity source" in field_error(response, "subject")
    assert not NamespaceAccess.objects.filter(subject="nobody").exists()


def test_edit_role_and_remove(admin_client, namespace, editor):
    entry = NamespaceAccess.objects.get(namespace=namespace, subject="eddie")
    url = dialog("permission-edit", "team-a", entry.pk)
    assert b"Edit Permission" in admin_client.get(url).content
    response = admin_client.post(url + "?from=permissions", {"role": "OWNER"})
    assert response.status_code == 302 and response["Location"] == page("team-a", "permissions")
    entry.refresh_from_db()
    assert entry.role == "OWNER"
    bad = admin_client.post(url, {"role": "ROOT"})
    assert bad.status_code == 400 and "Select Can view" in field_error(bad, "role")
    remove = dialog("permission-remove", "team-a", entry.pk)
    assert admin_client.post(remove).status_code == 302
    assert not NamespaceAccess.objects.filter(pk=entry.pk).exists()
    assert admin_client.get(remove).status_code == 404


# ---------------------------------------------------------------- storage and limits


def test_edit_storage_adds_a_policy_with_a_limit(admin_client, namespace, offered):
    pid = str(offered.policy_id)
    form = admin_client.get(dialog("storage-edit"))
    assert form.status_code == 200 and f'value="{pid}"'.encode() in form.content
    data = {"policy": [pid], f"limit.{pid}": "10", f"unit.{pid}": "GB"}
    response = admin_client.post(dialog("storage-edit"), data, **htmx("main"))
    assert response.status_code == 200 and "task-started" in triggers(response)
    spec = NamespaceStorage.objects.get(namespace=namespace)
    assert (spec.policy_id, spec.limit_mib) == (offered.pk, 10 * 1024)
    assert "10 GB" in response.content.decode()


def test_bad_storage_limit_is_shown_at_the_field(admin_client, namespace, offered):
    pid = str(offered.policy_id)
    data = {"policy": [pid], f"limit.{pid}": "lots", f"unit.{pid}": "GB"}
    response = admin_client.post(dialog("storage-edit"), data)
    assert response.status_code == 400
    assert "Enter a number" in field_error(response, f"limit.{pid}")
    assert not NamespaceStorage.objects.filter(namespace=namespace).exists()
    unknown = admin_client.post(
        dialog("storage-edit"), {"policy": ["", "nope"], "limit.nope": "", "unit.nope": "GB"}
    )
    assert unknown.status_code == 400 and "compatible" in field_error(unknown, "policies")


def test_edit_limits_in_units(admin_client, namespace):
    data = {
        "cpu_limit_mhz": "2.5",
        "cpu_unit": "GHz",
        "memory_limit_mib": "4",
        "memory_unit": "GB",
        "storage_limit_mib": "",
        "storage_unit": "GB",
    }
    response = admin_client.post(dialog("limits-edit"), data)
    assert response.status_code == 302 and response["Location"] == page("team-a")
    namespace.refresh_from_db()
    assert (namespace.cpu_limit_mhz, namespace.memory_limit_mib) == (2500, 4096)
    assert namespace.storage_limit_mib is None
    form = admin_client.get(dialog("limits-edit")).content.decode()
    assert 'value="2500"' in form and 'value="4"' in form  # 2500 MHz, 4 GB


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "greater than 0"),
        ("abc", "Enter a number"),
        ("1e400", "Enter a smaller number"),
        ("NaN", "Enter a smaller number"),
    ],
)
def test_bad_limits_are_shown_at_the_field(admin_client, namespace, value, message):
    data = {**NO_LIMITS, "cpu_limit_mhz": value, "cpu_unit": "MHz"}
    response = admin_client.post(dialog("limits-edit"), data, **htmx("main"))
    assert response.status_code == 400
    assert message in field_error(response, "cpu_limit_mhz")
    namespace.refresh_from_db()
    assert namespace.cpu_limit_mhz is None


def test_limit_below_usage_is_refused_at_the_field(admin_client, namespace, vm_on):
    pool = ResourcePool.objects.get(
        cluster=namespace.supervisor.cluster, parent__name=NAMESPACES, name="team-a"
    )
    vm_on.resource_pool = pool
    vm_on.cpu_usage_mhz = 900
    vm_on.save()
    data = {**NO_LIMITS, "cpu_limit_mhz": "500", "cpu_unit": "MHz"}
    response = admin_client.post(dialog("limits-edit"), data)
    assert response.status_code == 400
    assert "cannot be less than current usage (900 MHz)" in field_error(response, "cpu_limit_mhz")


# ---------------------------------------------------------------- VM Service and VKS


def test_manage_vm_classes(admin_client, namespace):
    chosen = ["best-effort-medium", "best-effort-small"]
    form = admin_client.get(dialog("vm-classes-edit"))
    assert form.content.count(b'type="checkbox" name="vm_class"') == 16
    response = admin_client.post(dialog("vm-classes-edit") + "?from=compute", {"vm_class": chosen})
    assert response.status_code == 302 and response["Location"] == page("team-a", "compute")
    assert sorted(namespace.vm_classes.values_list("name", flat=True)) == chosen
    bad = admin_client.post(dialog("vm-classes-edit"), {"vm_class": ["no-such-class"]})
    assert bad.status_code == 400 and "does not exist" in field_error(bad, "vm_class")
    assert namespace.vm_classes.count() == 2


def test_manage_content_libraries(admin_client, namespace):
    library = ContentLibrary.objects.order_by("name").first()
    data = {"library": [str(library.library_id)]}
    assert admin_client.post(dialog("libraries-edit"), data).status_code == 302
    assert list(namespace.content_libraries.all()) == [library]
    bad = admin_client.post(dialog("libraries-edit"), {"library": ["not-a-library"]})
    assert bad.status_code == 400 and "existing content libraries" in field_error(bad, "library")
    assert list(namespace.content_libraries.all()) == [library]


def test_kubernetes_library(admin_client, namespace):
    library = ContentLibrary.objects.order_by("-name").first()
    response = admin_client.post(
        dialog("kubernetes-library-edit"), {"library": str(library.library_id)}, **htmx("main")
    )
    assert response.status_code == 200
    namespace.refresh_from_db()
    assert namespace.kubernetes_library == library
    assert "available" in response.content.decode()
    bad = admin_client.post(dialog("kubernetes-library-edit"), {"library": "nope"})
    assert bad.status_code == 400 and field_error(bad, "library")
    admin_client.post(dialog("kubernetes-library-edit"), {"library": ""})
    namespace.refresh_from_db()
    assert namespace.kubernetes_library is None


def test_summary_counts_vm_service_and_clusters(admin, admin_client, namespace):
    services.namespace_vm_classes_set(
        namespace=namespace, names=["best-effort-small", "guaranteed-small"], user=admin
    )
    VksCluster.objects.create(namespace=namespace, name="tkc-01")
    counts = admin_client.get(page("team-a")).context["counts"]
    assert (counts.clusters, counts.vm_classes, counts.libraries) == (1, 2, 0)


# ---------------------------------------------------------------- delete


def test_delete_shows_removing_then_the_namespace_is_gone(owner, namespace):
    client = logged_in(owner)
    confirm = client.get(dialog("delete"))
    assert confirm.status_code == 200 and b"Delete the vSphere Namespace" in confirm.content
    response = client.post(dialog("delete"), **htmx("main"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-config-status="REMOVING"' in html and POLL in html
    assert "Delete Namespace" not in html.split('id="namespace-status"')[0].split("<h1>")[1]
    settle(namespace)
    assert not Namespace.objects.filter(pk=namespace.pk).exists()
    gone = client.get(page("team-a"), **htmx("namespace-status"))
    assert gone["HX-Redirect"] == "/workload-management/"


def test_delete_worked_off_on_commit_finishes_the_task(
    admin_client, namespace, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(dialog("delete"), **htmx("main"))
    assert response.status_code == 200 and "task-started" in triggers(response)
    assert not Namespace.objects.filter(pk=namespace.pk).exists()
    assert Task.objects.get(name="Delete namespace").state == "success"


def test_delete_already_finished_goes_to_the_list(admin_client, namespace, monkeypatch):
    """A worker may finish the removal before the page is rendered: then the list it is."""
    delete = services.namespace_delete

    def delete_and_work_off(**kwargs):
        settle(delete(**kwargs))

    monkeypatch.setattr(services, "namespace_delete", delete_and_work_off)
    response = admin_client.post(dialog("delete"), **htmx("main"))
    assert response["HX-Redirect"] == "/workload-management/"
    plain = admin_client.post(dialog("delete"))
    assert plain.status_code == 404  # already gone


def test_delete_is_refused_while_vks_clusters_exist(admin_client, namespace):
    VksCluster.objects.create(namespace=namespace, name="tkc-01")
    response = admin_client.post(dialog("delete"), **htmx("main"))
    assert response.status_code == 409 and b"tkc-01" in response.content
    plain = admin_client.post(dialog("delete"))
    assert plain.status_code == 302
    followed = admin_client.get(plain["Location"])
    assert b"still has VKS clusters" in followed.content
    namespace.refresh_from_db()
    assert not namespace.is_deleting
