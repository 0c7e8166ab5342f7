"""The client shell as a browser (or htmx) talks to it: pages, partials, actions, permissions."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from inventory import services
from inventory.auth import NO_PERMISSION
from inventory.models import (
    Cluster,
    Datacenter,
    Datastore,
    DistributedSwitch,
    Folder,
    Host,
    PortGroup,
    ResourcePool,
    Task,
    VCenter,
    VirtualMachine,
)
from inventory.tasklog import tasks_version
from inventory.views import PANE_SHARE_SECONDS

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
PASSWORD = "VMware1!VMware1!"


def url(moid, tab="summary"):
    return reverse("inventory:object", kwargs={"moid": moid, "tab": tab})


def one_of_each():
    return [
        VCenter.objects.first(),
        Datacenter.objects.first(),
        Folder.objects.filter(kind="vm", parent__isnull=False).first(),
        Cluster.objects.first(),
        Host.objects.first(),
        ResourcePool.objects.filter(parent__isnull=False).first(),
        VirtualMachine.objects.filter(is_template=False).first(),
        Datastore.objects.first(),
        DistributedSwitch.objects.first(),
        PortGroup.objects.first(),
    ]


# ---------------------------------------------------------------- login


def test_login_is_case_insensitive_and_lands_on_vcenter(client):
    response = client.post(
        reverse("login"), {"username": "Administrator@VSPHERE.LOCAL", "password": PASSWORD}
    )
    assert response.status_code == 302
    response = client.get(response["Location"], follow=True)
    assert response.status_code == 200
    assert b"vcsa-01a" in response.content


def test_wrong_password_is_refused(client):
    response = client.post(
        reverse("login"), {"username": "administrator@vsphere.local", "password": "nope"}
    )
    assert response.status_code == 200
    assert b"Invalid credentials" in response.content


def test_user_without_any_role_cannot_log_in(client, outsider):
    response = client.post(
        reverse("login"), {"username": "outsider@vsphere.local", "password": PASSWORD}
    )
    assert NO_PERMISSION.encode() in response.content
    assert "_auth_user_id" not in client.session


def test_pages_need_login(client):
    response = client.get(url("group-d1"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_outsider_session_gets_403(client, outsider):
    client.force_login(outsider)
    assert client.get(url("group-d1")).status_code == 403
    assert client.get(reverse("inventory:tree-root", args=["hosts"])).status_code == 403
    assert client.get(reverse("inventory:search"), {"q": "web"}).status_code == 403


# ---------------------------------------------------------------- object pages


def test_every_tab_of_every_object_type_renders(admin_client):
    from inventory.entities import TABS

    for entity in one_of_each():
        for tab in TABS[type(entity)]:
            response = admin_client.get(url(entity.moid, tab.slug))
            assert response.status_code == 200, (entity.moid, tab.slug)
            assert entity.name.encode() in response.content


def test_unknown_object_and_tab_are_404(admin_client):
    assert admin_client.get(url("vm-999999")).status_code == 404
    assert admin_client.get(url("bogus-1")).status_code == 404
    vm = VirtualMachine.objects.first()
    assert admin_client.get(url(vm.moid, "hosts")).status_code == 404


def test_htmx_gets_only_the_region_it_targets(admin_client, vm_on):
    page = admin_client.get(url(vm_on.moid))
    assert b'id="navigator"' in page.content and b'id="object-header"' in page.content
    header = admin_client.get(url(vm_on.moid), HTTP_HX_TARGET="object-header", **HTMX)
    assert header.content.lstrip().startswith(b'<div id="object-header"')
    assert b'id="tab-body"' not in header.content
    main = admin_client.get(url(vm_on.moid), HTTP_HX_TARGET="main", **HTMX)
    assert main.content.lstrip().startswith(b'<main id="main"')
    assert b'id="navigator"' not in main.content


def test_summary_shows_rollups(admin_client):
    cluster = Cluster.objects.get(name="Workload-Cluster-01")
    response = admin_client.get(url(cluster.moid))
    hosts = cluster.hosts.count()
    assert f"<dt>Hosts</dt><dd>{hosts}".encode() in response.content
    capacity_ghz = sum(h.cpu_cores * h.cpu_mhz for h in cluster.hosts.all()) / 1000
    assert f"{capacity_ghz:,.2f} GHz capacity".encode() in response.content


def test_vm_list_filters_sorts_and_paginates(admin_client, settings):
    settings.VKS_PAGE_SIZE = 5
    vcenter = VCenter.objects.first()
    response = admin_client.get(url(vcenter.moid, "vms"), {"q": "web", "sort": "-name"})
    names = [row.name for row in response.context["page"]]
    assert names and all("web" in n for n in names)
    assert names == sorted(names, reverse=True)
    total = VirtualMachine.objects.count()
    assert response.context["page"].paginator.count < total
    page2 = admin_client.get(url(vcenter.moid, "vms"), {"page": 2})
    assert len(page2.context["page"]) == 5
    assert page2.context["page"].number == 2


def test_unknown_sort_falls_back_to_name(admin_client):
    response = admin_client.get(url("group-d1", "hosts"), {"sort": "password"})
    assert response.status_code == 200
    assert response.context["sort"] == "name"


def test_monitor_shows_tasks_and_events(
    admin_client, admin, vm_on, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.vm_power(vm=vm_on, action="power_off", user=admin)
    tasks = admin_client.get(url(vm_on.moid, "monitor"))
    assert b"Power Off virtual machine" in tasks.content
    events = admin_client.get(url(vm_on.moid, "monitor"), {"sub": "events"})
    assert b"is powered off" in events.content
    cluster = admin_client.get(url(vm_on.host.cluster.moid, "monitor"))
    assert b"Power Off virtual machine" in cluster.content, "containers show their children's tasks"


def test_permissions_tab_lists_inherited_roles(admin_client, vm_on):
    response = admin_client.get(url(vm_on.moid, "permissions"))
    assert b"VSPHERE.LOCAL\\Administrators" in response.content
    assert b"Administrator" in response.content
    assert b"vcsa-01a" in response.content  # defined in


# ---------------------------------------------------------------- navigator and search


def test_tree_expands_level_by_level(admin_client, vm_on):
    host, cluster = vm_on.host, vm_on.host.cluster
    root = admin_client.get(reverse("inventory:tree-root", args=["hosts"]))
    assert b"vcsa-01a" in root.content
    dc = admin_client.get(reverse("inventory:tree-children", args=["hosts", "group-d1"]))
    assert cluster.datacenter.name.encode() in dc.content
    clusters = admin_client.get(
        reverse("inventory:tree-children", args=["hosts", cluster.datacenter.moid])
    )
    assert cluster.name.encode() in clusters.content
    hosts = admin_client.get(reverse("inventory:tree-children", args=["hosts", cluster.moid]))
    assert host.name.encode() in hosts.content
    assert b">Resources<" not in hosts.content, "the root resource pool stays hidden"
    vms = admin_client.get(reverse("inventory:tree-children", args=["hosts", host.moid]))
    assert vm_on.name.encode() in vms.content


def test_tree_pages_long_child_lists(admin_client, settings, vm_on):
    settings.VKS_TREE_PAGE_SIZE = 2
    cluster = vm_on.host.cluster
    first = admin_client.get(reverse("inventory:tree-children", args=["hosts", cluster.moid]))
    assert len(first.context["nodes"]) == 2 and first.context["next_page"] == 1
    seen = [n.moid for n in first.context["nodes"]]
    page, pages = 1, 0
    while page is not None and pages < 100:
        more = admin_client.get(
            reverse("inventory:tree-children", args=["hosts", cluster.moid]), {"page": page}
        )
        seen += [n.moid for n in more.context["nodes"]]
        page, pages = more.context["next_page"], pages + 1
    hosts = cluster.hosts.count()
    root_vms = VirtualMachine.objects.filter(
        resource_pool__cluster=cluster, resource_pool__parent=None
    ).count()
    pools = ResourcePool.objects.filter(cluster=cluster, parent__isnull=False, parent__parent=None)
    assert len(seen) == len(set(seen)) == hosts + pools.count() + root_vms


def test_full_page_navigator_opens_down_to_the_object(admin_client, vm_on):
    tree = admin_client.get(
        reverse("inventory:tree-root", args=["hosts"]), {"reveal": vm_on.moid}
    ).content.decode()
    for container in (vm_on.host.cluster.datacenter, vm_on.host.cluster, vm_on.host):
        node = rf'data-moid="{container.moid}">\s*<a [^>]*class="tree-link"[^>]*>.*?</a>\s*'
        assert re.search(node + "<details open>", tree), container
    assert f'data-moid="{vm_on.moid}"' in tree
    folders = admin_client.get(
        reverse("inventory:tree-root", args=["vms"]), {"reveal": vm_on.moid}
    ).content.decode()
    assert f'data-moid="{vm_on.moid}"' in folders, "VMs and Templates opens its folders"
    stale = admin_client.get(reverse("inventory:tree-root", args=["hosts"]), {"reveal": "vm-0"})
    assert stale.status_code == 200


def test_other_navigator_views(admin_client):
    dc = Datacenter.objects.first()
    for view in ("vms", "storage", "networks"):
        response = admin_client.get(reverse("inventory:tree-children", args=[view, dc.moid]))
        assert response.status_code == 200 and response.context["nodes"], view
    assert admin_client.get(reverse("inventory:tree-root", args=["bogus"])).status_code == 404


def _hits(response) -> dict[str, list[str]]:
    return {g.object_type: [hit.moid for hit in g.hits] for g in response.context["groups"]}


def test_global_search_covers_every_type(admin_client, vm_on):
    host = vm_on.host
    response = admin_client.get(reverse("inventory:search"), {"q": host.name[:6]})
    assert "Host" in _hits(response)
    response = admin_client.get(reverse("inventory:search"), {"q": vm_on.name})
    assert vm_on.moid in _hits(response)["VirtualMachine"]
    response = admin_client.get(reverse("inventory:search"), {"q": "Cluster"})
    assert "Cluster" in _hits(response)
    empty = admin_client.get(reverse("inventory:search"), {"q": "no-such-thing-anywhere"})
    assert b"No results found" in empty.content


def test_search_matches_inside_names_ignoring_case(admin_client, vm_on):
    middle = vm_on.name[2:-1].upper()
    response = admin_client.get(reverse("inventory:search"), {"q": middle})
    assert vm_on.moid in _hits(response)["VirtualMachine"]


def test_search_shows_the_first_of_each_type_then_one_type_page_by_page(admin_client, settings):
    from inventory.views import RESULTS_PER_TYPE

    settings.VKS_PAGE_SIZE = 4
    names = list(VirtualMachine.objects.values_list("name", flat=True))
    # The three letters most VM names share (e.g. "app"): they begin some names, sit inside others.
    threes = Counter(t for n in names for t in {n.lower()[i : i + 3] for i in range(len(n) - 2)})
    term, count = threes.most_common(1)[0]
    assert count > RESULTS_PER_TYPE, "the demo estate has enough VMs to overflow a group"
    starting = sorted((n for n in names if n.lower().startswith(term)), key=str.upper)
    inside = {n for n in names if term in n.lower() and not n.lower().startswith(term)}

    response = admin_client.get(reverse("inventory:search"), {"q": term.upper()})
    vms = next(g for g in response.context["groups"] if g.object_type == "VirtualMachine")
    assert [hit.name for hit in vms.hits] == (starting + sorted(inside, key=str.upper))[
        :RESULTS_PER_TYPE
    ], "names that start with the term first"
    assert vms.more and b"More virtual machines" in response.content
    seen, page = [], 1
    while True:
        more = admin_client.get(
            reverse("inventory:search"), {"q": term, "type": "VirtualMachine", "page": page}
        )
        found = more.context["found"]
        seen += [hit.name for hit in found.group.hits]
        if not found.group.more:
            break
        page += 1
    assert seen[: len(starting)] == starting and set(seen[len(starting) :]) == inside
    assert len(seen) == count
    bogus = admin_client.get(reverse("inventory:search"), {"q": "a", "type": "Nope"})
    assert bogus.status_code == 404


def test_short_terms_match_the_start_of_names(admin_client, vm_on):
    response = admin_client.get(reverse("inventory:search"), {"q": vm_on.name[:2]})
    assert vm_on.moid in _hits(response)["VirtualMachine"]
    inside = vm_on.name[1:3]
    response = admin_client.get(reverse("inventory:search"), {"q": inside})
    names = [hit.name for g in response.context["groups"] for hit in g.hits]
    assert all(name.lower().startswith(inside.lower()) for name in names)


def test_search_term_with_like_wildcards_matches_them_literally(admin_client, vm_on):
    response = admin_client.get(reverse("inventory:search"), {"q": "%"})
    assert response.status_code == 200 and response.context["groups"] == []
    response = admin_client.get(reverse("inventory:search"), {"q": "_"})
    names = [hit.name for g in response.context["groups"] for hit in g.hits]
    assert all("_" in name for name in names)


def test_suggestions_list_matches_as_options(admin_client, vm_on):
    response = admin_client.get(reverse("inventory:search-suggestions"), {"q": vm_on.name}, **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="search-suggestions"')
    assert f'id="suggest-{vm_on.moid}"' in html and 'role="listbox"' in html
    assert 'id="suggest-all"' in html, "the last option opens every result"
    blank = admin_client.get(reverse("inventory:search-suggestions"), {"q": " "}, **HTMX)
    assert b"hidden" in blank.content and b"listbox" not in blank.content


def test_suggestions_need_a_role_on_the_inventory(client, outsider):
    client.force_login(outsider)
    response = client.get(reverse("inventory:search-suggestions"), {"q": "a"}, **HTMX)
    assert response.status_code == 403 and b"suggest-" not in response.content


# ---------------------------------------------------------------- actions and Recent Tasks


def test_htmx_power_off_starts_a_task(admin_client, vm_on, django_capture_on_commit_callbacks):
    action = reverse("inventory:action", args=[vm_on.moid, "power-off"])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(action, **HTMX)
    assert response.status_code == 204
    assert json.loads(response["HX-Trigger"]) == {"task-started": {}}
    vm_on.refresh_from_db()
    assert vm_on.power_state == "poweredOff"
    header = admin_client.get(url(vm_on.moid), HTTP_HX_TARGET="object-header", **HTMX)
    assert b"Power On" in header.content


def test_plain_post_redirects_back_with_message(admin_client, vm_on):
    response = admin_client.post(reverse("inventory:action", args=[vm_on.moid, "power-off"]))
    assert response.status_code == 302
    assert response["Location"] == url(vm_on.moid)


def test_refused_action_shows_the_reason_and_changes_nothing(admin_client, vm_off):
    response = admin_client.post(reverse("inventory:action", args=[vm_off.moid, "reset"]), **HTMX)
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#alerts"
    assert b"cannot be performed in the current state (Powered Off)" in response.content
    assert not Task.objects.exists()


def test_read_only_user_gets_403_on_actions(client, auditor, vm_on):
    client.force_login(auditor)
    assert client.get(url(vm_on.moid)).status_code == 200
    assert b"Power Off" not in client.get(url(vm_on.moid)).content, "no buttons it cannot use"
    response = client.post(reverse("inventory:action", args=[vm_on.moid, "power-off"]), **HTMX)
    assert response.status_code == 403
    assert b"Permission to perform this operation was denied." in response.content
    assert not Task.objects.exists()


def test_actions_need_post_and_a_csrf_token(admin, vm_on):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    action = reverse("inventory:action", args=[vm_on.moid, "power-off"])
    assert client.get(reverse("inventory:action", args=[vm_on.moid, "power-on"])).status_code == 405
    assert client.get(action).status_code == 200, "the confirmation"
    assert client.post(action).status_code == 403
    assert not Task.objects.exists()


def test_action_that_does_not_fit_the_object_is_404(admin_client, workload_host):
    response = admin_client.post(reverse("inventory:action", args=[workload_host.moid, "reset"]))
    assert response.status_code == 404


def test_recent_tasks_poll_answers_204_until_something_changes(
    admin_client, admin, vm_on, django_assert_num_queries, django_capture_on_commit_callbacks
):
    pane = admin_client.get(reverse("inventory:recent-tasks"), **HTMX)
    version = pane.context["tasks_version"]
    # Session and user: the only queries an idle poll makes.
    with django_assert_num_queries(2):
        idle = admin_client.get(reverse("inventory:recent-tasks"), {"v": version}, **HTMX)
    assert idle.status_code == 204

    with django_capture_on_commit_callbacks(execute=True):
        services.vm_power(vm=vm_on, action="power_off", user=admin)
    assert tasks_version() != version
    changed = admin_client.get(reverse("inventory:recent-tasks"), {"v": version}, **HTMX)
    assert changed.status_code == 200
    assert json.loads(changed["HX-Trigger"]) == {"tasks-changed": {}}
    assert b"Power Off virtual machine" in changed.content
    assert b"Completed" in changed.content


def test_open_tabs_share_one_render_of_the_pane_and_summary(
    admin_client, admin, vm_on, django_assert_num_queries, django_capture_on_commit_callbacks
):
    """Many open tabs refreshing at once cost one render. The Summary shows a change at once
    (its renders are per version); the pane once its shared render is PANE_SHARE_SECONDS old."""
    platform_admin = Client()
    platform_admin.force_login(
        get_user_model().objects.get(username="platform-admin@vsphere.local")
    )
    cluster = vm_on.host.cluster
    body = {"HTTP_HX_TARGET": "tab-body", **HTMX}
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = admin_client.get(url(cluster.moid), **body)
        pane = admin_client.get(reverse("inventory:recent-tasks"), {"v": "old"}, **HTMX)
        # The other tab's user, their SSO groups, their role, the session and the cluster: no
        # query for the summary, no render. The pane: the same, without the cluster.
        with django_assert_num_queries(5):
            again = platform_admin.get(url(cluster.moid), **body)
        assert again.content == first.content
        with django_assert_num_queries(4):
            shared = platform_admin.get(reverse("inventory:recent-tasks"), {"v": "old"}, **HTMX)
        assert shared.content == pane.content

        with django_capture_on_commit_callbacks(execute=True):
            services.vm_power(vm=vm_on, action="power_off", user=admin)
        clock.shift(PANE_SHARE_SECONDS)
        after = platform_admin.get(url(cluster.moid), **body)
        assert after.content != first.content  # the powered-off VM no longer counts
        assert (
            b"Power Off virtual machine"
            in platform_admin.get(reverse("inventory:recent-tasks"), {"v": "old"}, **HTMX).content
        )


# ---------------------------------------------------------------- cluster settings (Configure)


def _reconfigure(cluster):
    return reverse("inventory:action", args=[cluster.moid, "reconfigure"])


@pytest.fixture
def management_cluster(db):
    return Cluster.objects.get(name="Management-Cluster")


def test_configure_tab_shows_settings_and_edit_forms_to_admin(admin_client, management_cluster):
    response = admin_client.get(url(management_cluster.moid, "configure"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "vSphere DRS is Turned ON" in html
    assert "Partially Automated" in html
    assert "vSphere HA is Turned ON" in html
    assert html.count(f'action="{_reconfigure(management_cluster)}"') == 2, "DRS and HA forms"


def test_read_only_user_sees_settings_without_forms_and_gets_403(
    client, auditor, management_cluster
):
    client.force_login(auditor)
    html = client.get(url(management_cluster.moid, "configure")).content.decode()
    assert "Partially Automated" in html
    assert _reconfigure(management_cluster) not in html
    response = client.post(
        _reconfigure(management_cluster),
        {"drs_enabled": "on", "drs_automation_level": "fullyAutomated"},
        **HTMX,
    )
    assert response.status_code == 403
    assert response["HX-Retarget"] == "#alerts"
    assert b"Permission to perform this operation was denied." in response.content
    assert not Task.objects.exists()


def test_plain_post_fully_automates_drs_and_makes_the_cluster_compatible(
    admin_client, management_cluster, django_capture_on_commit_callbacks
):
    from workloads.compatibility import compatibility

    assert not compatibility(management_cluster).compatible
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            _reconfigure(management_cluster),
            {"drs_enabled": ["off", "on"], "drs_automation_level": "fullyAutomated"},
        )
    assert response.status_code == 302
    assert response["Location"] == url(management_cluster.moid, "configure")
    management_cluster.refresh_from_db()
    assert management_cluster.drs_automation_level == "fullyAutomated"
    assert management_cluster.ha_enabled, "the DRS form leaves HA alone"
    assert compatibility(management_cluster).compatible
    page = admin_client.get(response["Location"]).content.decode()
    assert "Reconfigure cluster task queued." in page


def test_htmx_post_turns_ha_off_and_starts_a_task(
    admin_client, management_cluster, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            _reconfigure(management_cluster), {"ha_enabled": "off"}, **HTMX
        )
    assert response.status_code == 204
    assert json.loads(response["HX-Trigger"]) == {"task-started": {}}
    management_cluster.refresh_from_db()
    assert not management_cluster.ha_enabled
    assert management_cluster.drs_automation_level == "partiallyAutomated", "HA form: DRS kept"
    card = admin_client.get(
        url(management_cluster.moid, "configure"), HTTP_HX_TARGET="cluster-settings", **HTMX
    )
    html = card.content.decode()
    assert html.lstrip().startswith('<div id="cluster-settings"'), "only the settings cards"
    assert "vSphere HA is Turned OFF" in html


def test_post_without_changes_starts_no_task(admin_client, management_cluster):
    response = admin_client.post(_reconfigure(management_cluster), {"ha_enabled": "on"}, **HTMX)
    assert response.status_code == 204
    assert "HX-Trigger" not in response
    assert not Task.objects.exists()


@pytest.mark.parametrize("htmx", [True, False])
def test_unknown_automation_level_is_400_with_the_message_at_the_field(
    admin_client, management_cluster, htmx
):
    headers = HTMX if htmx else {}
    response = admin_client.post(
        _reconfigure(management_cluster),
        {"drs_enabled": "on", "drs_automation_level": "yolo"},
        **headers,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert re.search(
        r'<p id="drs-automation-level-error" class="field-error" role="alert">'
        r"Choose a DRS automation level: Manual, Partially Automated, Fully Automated.</p>",
        html,
    )
    if htmx:
        assert response["HX-Retarget"] == "#cluster-settings"
        assert html.lstrip().startswith('<div id="cluster-settings"')
    else:
        assert "<nav" in html, "the whole page"
    management_cluster.refresh_from_db()
    assert management_cluster.drs_automation_level == "partiallyAutomated"
    assert not Task.objects.exists()


def test_reconfigure_needs_post_and_a_csrf_token(admin, management_cluster):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    action = _reconfigure(management_cluster)
    assert client.get(action).status_code == 405
    response = client.post(action, {"drs_automation_level": "fullyAutomated"})
    assert response.status_code == 403
    assert not Task.objects.exists()


def test_reconfigure_while_a_task_runs_is_409(admin_client, admin, management_cluster):
    services.cluster_reconfigure(
        cluster=management_cluster,
        drs_enabled=False,
        drs_automation_level="manual",
        ha_enabled=True,
        user=admin,
    )  # no commit in this test: stays queued
    response = admin_client.post(_reconfigure(management_cluster), {"ha_enabled": "off"}, **HTMX)
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#alerts"
    assert b"Another task is already in progress." in response.content


def test_tree_reveals_an_object_beyond_its_parents_first_page(admin_client, settings, vm_on):
    settings.VKS_TREE_PAGE_SIZE = 1
    host = vm_on.host
    last = VirtualMachine.objects.filter(host=host).order_by("-name").first()
    assert VirtualMachine.objects.filter(host=host).count() > 1, "the host has a second page"
    tree = admin_client.get(
        reverse("inventory:tree-root", args=["hosts"]), {"reveal": last.moid}
    ).content.decode()
    host_node = tree[tree.index(f'data-moid="{host.moid}"') :]
    assert f'data-moid="{last.moid}"' in host_node, "shown after the first page"
    assert "Show more" in host_node, "the rest of the page stays a click away"


def test_tree_reveal_of_an_object_outside_the_view_opens_nothing_more(admin_client):
    datastore = Datastore.objects.first()
    tree = admin_client.get(
        reverse("inventory:tree-root", args=["hosts"]), {"reveal": datastore.moid}
    )
    assert datastore.moid.encode() not in tree.content


def test_search_takes_hostile_input_without_a_500(admin_client):
    search = reverse("inventory:search")
    for params in (
        {"q": "esx", "type": "Host", "page": "9" * 40},
        {"q": "esx", "type": "Host", "page": "-3"},
        {"q": "x" * 5000},
        {"q": "\\%_'\""},
        {"q": "\U0010ffff"},
        {"q": "", "type": "Host"},
    ):
        assert admin_client.get(search, params).status_code == 200, params
    assert admin_client.get(search, {"q": "a", "type": "<b>"}).status_code == 404
    assert admin_client.post(search, {"q": "a"}).status_code == 405
