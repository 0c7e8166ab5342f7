"""Workload Management in the browser's terms: the page and its fragments, the enable wizard step
by step, the Supervisor page with its live status region, edit and disable, and who may do it."""

from __future__ import annotations

import copy
import re
import uuid
from html import unescape as html_unescape

import pytest
from django.test import Client
from django.urls import reverse

from inventory.models import Cluster, Task
from tests.workloads.test_supervisor import converge
from workloads import forms, services
from workloads.models import Supervisor
from workloads.views.supervisors import WIZARD_KEY

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
HOME = "/workload-management/"
ENABLE = "/workload-management/enable/"
SECTIONS = [
    "network_stack",
    "placement",
    "storage",
    "load_balancer",
    "management_network",
    "workload_network",
    "size",
]


def detail(sup: Supervisor, tab: str = "summary") -> str:
    return reverse(
        "workloads:supervisor-detail", kwargs={"supervisor_id": sup.supervisor_id, "tab": tab}
    )


def field_error(html: str, name: str) -> str:
    """The error message shown at field `name`, or ''."""
    block = re.search(rf'data-field="{name}">(.*?)(?=data-field="|</form>)', html, re.S)
    assert block, f"no field {name!r} on the page"
    error = re.search(r'class="field-error"[^>]*>(.*?)</div>', block.group(1), re.S)
    return html_unescape(re.sub(r"<[^>]+>", "", error.group(1)).strip()) if error else ""


def whole_step(section: str) -> dict[str, str]:
    """Every input a browser sends for the step, empty: the other network mode's fields too
    (hidden, still sent)."""
    return dict.fromkeys(forms.sent_always(forms.step_fields(section)), "")


def post_step(client, raw_spec, section: str, action: str = "next", **changes):
    data = whole_step(section) | dict(raw_spec[section], **changes)
    data |= {"step": str(SECTIONS.index(section)), "action": action}
    return client.post(ENABLE, data)


def walk(client, raw_spec, until: str) -> None:
    """NEXT through every step before `until` with the valid demo values."""
    for section in SECTIONS[: SECTIONS.index(until)]:
        response = post_step(client, raw_spec, section)
        assert response.status_code == 302, (section, response.content[:300])


@pytest.fixture
def enabled(admin, raw_spec) -> Supervisor:
    """A Supervisor as the service creates it: CONFIGURING, nothing reconciled yet."""
    return services.supervisor_enable(spec=raw_spec, user=admin)


@pytest.fixture
def running(enabled) -> Supervisor:
    converge(enabled)
    enabled.refresh_from_db()
    assert enabled.config_status == "RUNNING"
    return enabled


# ---------------------------------------------------------------- Workload Management page


def test_page_is_a_full_page_and_htmx_gets_the_tab_body(admin_client):
    page = admin_client.get(HOME)
    assert page.status_code == 200
    assert b'id="navigator"' in page.content and b"Workload Management" in page.content
    fragment = admin_client.get(
        reverse("workloads:home-tab", args=["supervisors"]), HTTP_HX_TARGET="tab-body", **HTMX
    )
    assert fragment.content.lstrip().startswith(b'<section id="tab-body"')
    assert b'id="navigator"' not in fragment.content


def test_without_supervisor_get_started_and_cluster_compatibility(admin_client):
    html = admin_client.get(HOME).content.decode()
    assert "Get Started" in html and ENABLE in html
    assert "Incompatible" in html and "Fully Automated" in html  # Management-Cluster's reason
    assert html.count(">Compatible<") + html.count("Compatible</span>") >= 1


def test_with_supervisor_namespaces_tab_lists_namespaces(admin_client, enabled):
    html = admin_client.get(HOME).content.decode()
    assert 'id="namespace-grid"' in html and "No namespaces yet" in html
    assert reverse("workloads:namespace-create") in html
    grid = admin_client.get(reverse("workloads:home-tab", args=["supervisors"])).content.decode()
    assert "supervisor-01" in grid and detail(enabled) in grid and "Configuring" in grid
    services_tab = admin_client.get(reverse("workloads:home-tab", args=["services"]))
    assert b"No Supervisor Services are registered" in services_tab.content


def test_updates_tab_shows_version_up_to_date(admin_client, running):
    html = admin_client.get(reverse("workloads:home-tab", args=["updates"])).content.decode()
    assert running.kubernetes_version in html and "Up to date" in html


def test_unknown_tab_is_404(admin_client):
    assert admin_client.get("/workload-management/bogus/").status_code == 404


def test_supervisors_list_query_count_is_constant(
    admin_client, django_assert_num_queries, raw_spec
):
    def extra_supervisor(cluster: Cluster) -> None:
        spec = copy.deepcopy(raw_spec)
        Supervisor.objects.create(
            supervisor_id=uuid.uuid4(),
            name=f"sup-{cluster.moid}",
            cluster=cluster,
            spec=spec,
            config_status="RUNNING",
            kubernetes_status="READY",
            api_endpoint="10.10.30.64",
        )

    clusters = list(Cluster.objects.order_by("name"))
    extra_supervisor(clusters[0])
    url = reverse("workloads:home-tab", args=["supervisors"])
    admin_client.get(url)  # warm the session
    # the session, the user, its SSO groups, its role on the root, the
    # Supervisors count, one page of Supervisors with their clusters joined
    with django_assert_num_queries(6):
        one = admin_client.get(url, HTTP_HX_TARGET="tab-body", **HTMX)
    for cluster in clusters[1:]:
        extra_supervisor(cluster)
    with django_assert_num_queries(6):
        several = admin_client.get(url, HTTP_HX_TARGET="tab-body", **HTMX)
    assert one.content.count(b"data-supervisor=") == 1
    assert several.content.count(b"data-supervisor=") == len(clusters)


# ---------------------------------------------------------------- the enable wizard


def test_wizard_starts_at_step_one_with_defaults(admin_client):
    html = admin_client.get(ENABLE).content.decode()
    assert 'data-step="network_stack"' in html
    assert re.search(r'value="VSPHERE_NETWORK" checked', html)
    assert "NSX Advanced Load Balancer" in html and "HAProxy" in html
    assert "Foundation Load Balancer" in html


@pytest.mark.parametrize(
    ("section", "changes", "field", "message"),
    [
        (
            "load_balancer",
            {"address_ranges": "10.10.30.64-10.10.30"},
            "address_ranges",
            "is not a range of IPv4 addresses",
        ),
        (
            "management_network",
            {"starting_address": "10.10.99.100"},
            "starting_address",
            "is outside the subnet 10.10.10.0/24",
        ),
        (
            "management_network",
            {"address_count": "3"},
            "address_count",
            "at least 5 consecutive addresses",
        ),
        (
            "workload_network",
            {"address_ranges": "10.10.20.10-10.10.20.11"},
            "address_ranges",
            "at least 3 addresses",
        ),
        (
            "workload_network",
            {"services_cidr": "10.10.20.0/24"},
            "services_cidr",
            "overlaps the workload network 10.10.20.0/24",
        ),
        ("network_stack", {"network_provider": "NSXT_CONTAINER_PLUGIN"}, "network_provider", "NSX"),
    ],
)
def test_next_validates_the_step_and_shows_the_message_at_the_field(
    admin_client, raw_spec, section, changes, field, message
):
    walk(admin_client, raw_spec, section)
    supervisors, tasks = Supervisor.objects.count(), Task.objects.count()
    response = post_step(admin_client, raw_spec, section, **changes)
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-step="{section}"' in html, "stays on the step"
    assert message in field_error(html, field)
    assert (Supervisor.objects.count(), Task.objects.count()) == (supervisors, tasks)


def test_name_in_use_is_refused_at_the_name(admin_client, raw_spec, enabled):
    other = Cluster.objects.get(name="Workload-Cluster-02")
    walk(admin_client, raw_spec, "placement")
    response = post_step(admin_client, raw_spec, "placement", cluster=other.moid)
    assert "A Supervisor named 'supervisor-01' already exists." in field_error(
        response.content.decode(), "name"
    )
    assert Supervisor.objects.count() == 1


def test_incompatible_cluster_is_listed_disabled_with_reasons_and_refused(admin_client, raw_spec):
    walk(admin_client, raw_spec, "placement")
    html = admin_client.get(ENABLE).content.decode()
    management = Cluster.objects.get(name="Management-Cluster")
    assert re.search(rf'value="{management.moid}"[^>]*disabled', html)
    assert "must be Fully Automated" in html
    response = post_step(admin_client, raw_spec, "placement", cluster=management.moid)
    assert "is incompatible" in field_error(response.content.decode(), "cluster")


def test_back_keeps_values_and_the_password_is_kept_but_not_shown(admin_client, raw_spec):
    walk(admin_client, raw_spec, "management_network")
    response = post_step(admin_client, raw_spec, "management_network", action="back")
    assert response.status_code == 302 and response["Location"].endswith("?step=3")
    html = admin_client.get(response["Location"]).content.decode()
    assert 'data-step="load_balancer"' in html
    assert 'value="10.10.30.64-10.10.30.127"' in html
    assert "VMware1!" not in html and 'placeholder="(unchanged)"' in html
    # NEXT with the password left empty keeps the one typed before
    response = post_step(admin_client, raw_spec, "load_balancer", password="")
    assert response.status_code == 302
    # BACK from management network kept what was typed there, unvalidated
    html = admin_client.get(ENABLE + "?step=4").content.decode()
    assert 'value="10.10.10.100"' in html


def test_steps_not_reached_cannot_be_opened(admin_client):
    html = admin_client.get(ENABLE + "?step=5").content.decode()
    assert 'data-step="network_stack"' in html


def test_htmx_next_swaps_the_step_in_place(admin_client, raw_spec):
    admin_client.get(ENABLE)
    data = dict(raw_spec["network_stack"], step="0", action="next")
    response = admin_client.post(ENABLE, data, HTTP_HX_TARGET="wizard", **HTMX)
    assert response.status_code == 200
    assert response.content.lstrip().startswith(b'<form id="wizard"')
    assert b'data-step="placement"' in response.content
    assert response["HX-Push-Url"] == ENABLE + "?step=1"


def test_full_walk_enables_a_supervisor_and_opens_the_task(admin_client, raw_spec, cluster):
    admin_client.get(ENABLE)
    walk(admin_client, raw_spec, "size")
    assert not Supervisor.objects.exists(), "nothing is created before FINISH"
    response = post_step(admin_client, raw_spec, "size")
    sup = Supervisor.objects.get()
    assert response.status_code == 302 and response["Location"] == detail(sup)
    assert (sup.name, sup.cluster, sup.config_status) == ("supervisor-01", cluster, "CONFIGURING")
    assert sup.spec["size"]["size"] == "TINY"
    assert sup.task.name == "Enable Supervisor"
    assert WIZARD_KEY not in admin_client.session
    assert "VMware1!" not in str(sup.spec), "the password is never stored"


def test_finish_over_htmx_redirects_the_browser(admin_client, raw_spec):
    walk(admin_client, raw_spec, "size")
    data = dict(raw_spec["size"], step="6", action="next")
    response = admin_client.post(ENABLE, data, HTTP_HX_TARGET="wizard", **HTMX)
    assert response["HX-Redirect"] == detail(Supervisor.objects.get())


def test_finish_jumps_to_the_first_step_with_an_error(admin_client, raw_spec):
    # Each step alone is fine; only the whole spec shows the VIPs inside the workload range.
    raw_spec["load_balancer"]["address_ranges"] = "10.10.20.210-10.10.20.220"
    raw_spec["workload_network"]["address_ranges"] = "10.10.20.10-10.10.20.215"
    walk(admin_client, raw_spec, "size")
    response = post_step(admin_client, raw_spec, "size")
    html = response.content.decode()
    assert 'data-step="load_balancer"' in html
    assert "overlap the workload network" in field_error(html, "address_ranges")
    assert not Supervisor.objects.exists()


def test_cancel_forgets_the_wizard(admin_client, raw_spec):
    walk(admin_client, raw_spec, "storage")
    response = admin_client.post(ENABLE, {"step": "2", "action": "cancel"})
    assert response.status_code == 302 and response["Location"] == HOME
    assert WIZARD_KEY not in admin_client.session


def test_wizard_keeps_csrf(admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post(ENABLE, {"step": "0", "action": "next"}).status_code == 403


# ---------------------------------------------------------------- the Supervisor page


def test_supervisor_tabs_render(admin_client, running):
    summary = admin_client.get(detail(running)).content.decode()
    for text in (
        "Running",
        "Ready",
        running.kubernetes_version,
        "Tiny (2 vCPUs, 8 GB memory, 32 GB storage)",
        f"https://{running.api_endpoint}:6443",
        "Workload-Cluster-01",
        "Capacity and Usage",
        "Control plane VMs deployed",
    ):
        assert text in summary, text
    monitor = admin_client.get(detail(running, "monitor")).content.decode()
    assert "Enable Supervisor" in monitor
    events = admin_client.get(detail(running, "monitor") + "?sub=events").content.decode()
    assert "Workload Management enable requested" in events
    configure = admin_client.get(detail(running, "configure")).content.decode()
    assert (
        "10.10.30.64-10.10.30.127" in configure
        and "avi-controller.corp.vmbeans.com:443" in configure
    )
    assert "vSAN Default Storage Policy" in configure and "VMware1!" not in configure


def test_conditions_tree_shows_errors(admin_client, enabled):
    enabled.conditions[2] = {
        **enabled.conditions[2],
        "status": "False",
        "reason": "ManagementIPInUse",
        "message": "IP address 10.10.10.101 is already in use by virtual machine web-01.",
        "severity": "Error",
    }
    enabled.config_status = "ERROR"
    enabled.save()
    html = admin_client.get(detail(enabled)).content.decode()
    assert "ManagementIPInUse" in html and "already in use by virtual machine web-01" in html
    assert 'class="condition condition-false condition-error"' in html


def test_status_region_polls_while_configuring_and_stops_when_running(admin_client, enabled):
    trigger = 'hx-trigger="tasks-changed from:body"'
    region = admin_client.get(detail(enabled), HTTP_HX_TARGET="supervisor-status", **HTMX)
    html = region.content.decode()
    assert html.lstrip().startswith('<div id="supervisor-status"')
    assert trigger in html and "Configuring" in html
    converge(enabled)
    html = admin_client.get(detail(enabled), HTTP_HX_TARGET="supervisor-status", **HTMX)
    assert trigger not in html.content.decode() and b"Running" in html.content


def test_status_refresh_query_count(admin_client, running, django_assert_num_queries):
    url = detail(running)
    admin_client.get(url)
    # the session, the user, its SSO groups, its role on the root, the Supervisor (cluster,
    # datacenter and task joined), then the cluster's Capacity card: hosts, VM usage,
    # datastores, VM disks
    with django_assert_num_queries(9):
        response = admin_client.get(url, HTTP_HX_TARGET="supervisor-status", **HTMX)
    assert response.status_code == 200


def test_removed_supervisor_page_is_404_and_its_refresh_goes_back_to_the_list(
    admin_client, running, admin
):
    url = detail(running)
    services.supervisor_disable(supervisor=running, user=admin)
    assert "REMOVING" in converge(running)
    assert admin_client.get(url).status_code == 404
    response = admin_client.get(url, HTTP_HX_TARGET="supervisor-status", **HTMX)
    assert response["HX-Redirect"] == reverse("workloads:home-tab", args=["supervisors"])


# ---------------------------------------------------------------- edit and disable


def edit_url(sup: Supervisor, section: str) -> str:
    return reverse(
        "workloads:supervisor-edit",
        kwargs={"supervisor_id": sup.supervisor_id, "section": section},
    )


def test_edit_form_shows_only_what_may_change(admin_client, running):
    html = admin_client.get(detail(running, "configure") + "?edit=load_balancer").content.decode()
    assert 'name="address_ranges"' in html and 'name="password"' not in html
    assert 'name="server"' not in html


def test_edit_error_is_shown_at_the_field_and_changes_nothing(admin_client, running, raw_spec):
    data = dict(raw_spec["management_network"], address_count="3")
    response = admin_client.post(edit_url(running, "management_network"), data)
    assert response.status_code == 200
    assert "at least 5" in field_error(response.content.decode(), "address_count")
    running.refresh_from_db()
    assert running.generation == 1


def test_edit_load_balancer_ranges_without_the_password(admin_client, running):
    response = admin_client.post(
        edit_url(running, "load_balancer"), {"address_ranges": "10.10.30.64-10.10.30.80"}
    )
    assert response.status_code == 302 and response["Location"] == detail(running, "configure")
    running.refresh_from_db()
    assert running.generation == 2
    assert running.spec["load_balancer"]["address_ranges"] == [
        {"address": "10.10.30.64", "count": 17}
    ]
    assert running.task.name == "Reconfigure Supervisor"


def test_edit_over_htmx_answers_the_page_and_starts_polling(admin_client, running):
    response = admin_client.post(
        edit_url(running, "load_balancer"),
        {"address_ranges": "10.10.30.64-10.10.30.80"},
        HTTP_HX_TARGET="main",
        **HTMX,
    )
    assert response.status_code == 200 and "task-started" in response["HX-Trigger"]
    assert b'hx-trigger="tasks-changed from:body"' in response.content  # spec not yet observed


def test_disable_asks_first_then_removes(admin_client, running):
    url = reverse("workloads:supervisor-disable", args=[running.supervisor_id])
    confirm = admin_client.get(url)
    assert confirm.status_code == 200 and b"Disable Supervisor" in confirm.content
    running.refresh_from_db()
    assert not running.is_deleting
    response = admin_client.post(url)
    assert response.status_code == 302
    running.refresh_from_db()
    assert running.config_status == "REMOVING" and running.task.name == "Disable Supervisor"


def test_edit_while_removing_is_409_with_the_reason(admin_client, running, admin):
    services.supervisor_disable(supervisor=running, user=admin)
    response = admin_client.post(
        edit_url(running, "load_balancer"), {"address_ranges": "10.10.30.64-10.10.30.80"}, **HTMX
    )
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#alerts"
    assert b"is being disabled" in response.content


# ---------------------------------------------------------------- who may do what


def test_auditor_sees_the_pages_without_buttons(client, auditor, running):
    client.force_login(auditor)
    assert b"Get Started" not in client.get(HOME).content
    html = client.get(detail(running)).content.decode()
    assert "supervisor-01" in html and f"/{running.supervisor_id}/disable/" not in html
    configure = client.get(detail(running, "configure")).content.decode()
    assert "?edit=" not in configure


def test_auditor_gets_403_on_enable_edit_disable_and_nothing_changes(
    client, auditor, running, raw_spec
):
    client.force_login(auditor)
    assert client.get(ENABLE).status_code == 403
    assert client.post(ENABLE, dict(raw_spec["network_stack"], step="0")).status_code == 403
    data = dict(raw_spec["management_network"], starting_address="10.10.10.110")
    assert client.post(edit_url(running, "management_network"), data).status_code == 403
    disable = reverse("workloads:supervisor-disable", args=[running.supervisor_id])
    assert client.get(disable).status_code == 403
    assert client.post(disable).status_code == 403
    htmx = client.post(disable, **HTMX)
    assert htmx.status_code == 403 and htmx["HX-Retarget"] == "#alerts"
    running.refresh_from_db()
    assert (running.generation, running.is_deleting) == (1, False)
    assert Supervisor.objects.count() == 1


def test_outsider_gets_403_everywhere(client, outsider, running):
    client.force_login(outsider)
    for url in (HOME, ENABLE, detail(running), detail(running, "configure")):
        assert client.get(url).status_code == 403, url


def test_pages_need_login(client):
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
