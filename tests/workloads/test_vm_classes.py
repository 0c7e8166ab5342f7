"""VM classes: the 16 defaults, create/edit/delete and their rules, and the VM Service and
Kubernetes Service pages under Workload Management › Services."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from inventory.models import Event
from tests.workloads.conftest import settle
from workloads import services
from workloads.models import VirtualMachineClass, VksCluster
from workloads.specs import SpecError
from workloads.vm_classes import ensure_default_classes

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
LIST = "/workload-management/services/vm-service/vm-classes/"
CREATE = LIST + "new/"
RELEASES = "/workload-management/services/kubernetes-service/releases/"
GIB = 1024


def create(user, **changes) -> VirtualMachineClass:
    values = {"name": "custom-medium", "cpu_count": 4, "memory_mib": 8 * GIB} | changes
    return services.vm_class_create(**values, user=user)


def field_error(html: str, name: str) -> str:
    """The error shown at form field `name`, or ''."""
    block = re.search(rf'data-field="{name}">(.*?)(?=data-field="|</form>)', html, re.S)
    assert block, f"no field {name!r} on the page"
    error = re.search(r'class="field-error"[^>]*>(.*?)</div>', block.group(1), re.S)
    return unescape(re.sub(r"<[^>]+>", "", error.group(1)).strip()) if error else ""


# ---------------------------------------------------------------- the defaults


@pytest.mark.parametrize(
    ("size", "cpus", "memory_gib"),
    [
        ("xsmall", 2, 2),
        ("small", 2, 4),
        ("medium", 2, 8),
        ("large", 4, 16),
        ("xlarge", 4, 32),
        ("2xlarge", 8, 64),
        ("4xlarge", 16, 128),
        ("8xlarge", 32, 128),
    ],
)
def test_default_classes_have_the_real_sizes_and_reservations(size, cpus, memory_gib):
    best = VirtualMachineClass.objects.get(name=f"best-effort-{size}")
    guaranteed = VirtualMachineClass.objects.get(name=f"guaranteed-{size}")
    for c in (best, guaranteed):
        assert (c.cpu_count, c.memory_mib, c.is_default) == (cpus, memory_gib * GIB, True)
        assert c.config_status == "READY"
    assert (best.cpu_reservation, best.memory_reservation) == (None, None)
    assert (guaranteed.cpu_reservation, guaranteed.memory_reservation) == (100, 100)


def test_there_are_sixteen_defaults():
    assert VirtualMachineClass.objects.filter(is_default=True).count() == 16


# ---------------------------------------------------------------- create, edit, delete


def test_administrator_creates_a_class_and_an_event_is_logged(admin):
    c = create(admin, cpu_reservation="50", memory_reservation=100, description=" web tier ")
    c.refresh_from_db()
    assert (c.cpu_count, c.memory_mib, c.cpu_reservation, c.memory_reservation) == (
        4,
        8 * GIB,
        50,
        100,
    )
    assert (c.description, c.is_default, c.config_status) == ("web tier", False, "READY")
    event = Event.objects.get(event_type="com.vmware.wcp.VirtualMachineClassCreated")
    assert "custom-medium" in event.message and event.target_moid == "group-d1"
    assert event.user_name == "VSPHERE.LOCAL\\administrator"


def test_blank_reservations_are_best_effort(admin):
    c = create(admin, cpu_reservation="", memory_reservation=None)
    assert (c.cpu_reservation, c.memory_reservation) == (None, None)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": " "}, "name", "Enter a name for the VM class."),
        ({"name": "Custom_Medium"}, "name", "lowercase letters"),
        ({"name": "-custom"}, "name", "starting and ending"),
        ({"name": "a" * 64}, "name", "at most 63 characters"),
        ({"name": "best-effort-small"}, "name", "A VM class named 'best-effort-small' already"),
        ({"cpu_count": 0}, "cpu_count", "from 1 to 768"),
        ({"cpu_count": 769}, "cpu_count", "from 1 to 768"),
        ({"cpu_count": "two"}, "cpu_count", "from 1 to 768"),
        ({"memory_mib": 2}, "memory_mib", "from 4 MB to 24 TB"),
        ({"memory_mib": 24 * 1024 * GIB + 4}, "memory_mib", "from 4 MB to 24 TB"),
        ({"memory_mib": 4098}, "memory_mib", "multiple of 4 MB"),
        ({"memory_mib": "1.5"}, "memory_mib", "from 4 MB to 24 TB"),
        ({"cpu_reservation": 101}, "cpu_reservation", "from 0 to 100"),
        ({"cpu_reservation": -1}, "cpu_reservation", "from 0 to 100"),
        ({"memory_reservation": "full"}, "memory_reservation", "from 0 to 100"),
    ],
)
def test_each_rule_has_its_field_message_and_nothing_is_written(admin, changes, field, message):
    before = VirtualMachineClass.objects.count()
    with pytest.raises(SpecError) as error:
        create(admin, **changes)
    assert message in error.value.errors[field]
    assert VirtualMachineClass.objects.count() == before
    assert not Event.objects.filter(event_type__startswith="com.vmware.wcp.VirtualMachine").exists()


def test_limits_themselves_are_allowed(admin):
    create(admin, name="tiny", cpu_count=1, memory_mib=4, cpu_reservation=0)
    create(admin, name="huge", cpu_count=768, memory_mib=24 * 1024 * GIB, memory_reservation=100)


def test_every_bad_field_is_reported_at_once(admin):
    with pytest.raises(SpecError) as error:
        create(admin, name="Bad", cpu_count=0, memory_mib=5, cpu_reservation=200)
    assert set(error.value.errors) == {"name", "cpu_count", "memory_mib", "cpu_reservation"}


def test_update_changes_the_class_but_never_its_name(admin):
    c = VirtualMachineClass.objects.get(name="best-effort-large")
    services.vm_class_update(
        vm_class=c, cpu_count=6, memory_mib=24 * GIB, memory_reservation=50, user=admin
    )
    c.refresh_from_db()
    assert (c.name, c.cpu_count, c.memory_mib, c.cpu_reservation, c.memory_reservation) == (
        "best-effort-large",
        6,
        24 * GIB,
        None,
        50,
    )
    event = Event.objects.get(event_type="com.vmware.wcp.VirtualMachineClassUpdated")
    assert "best-effort-large" in event.message


def test_update_without_change_logs_nothing_and_bad_input_changes_nothing(admin):
    c = VirtualMachineClass.objects.get(name="guaranteed-small")
    same = {"cpu_count": 2, "memory_mib": 4 * GIB, "cpu_reservation": 100}
    services.vm_class_update(vm_class=c, **same, memory_reservation=100, user=admin)
    assert not Event.objects.filter(event_type__endswith="VirtualMachineClassUpdated").exists()
    with pytest.raises(SpecError, match="multiple of 4 MB"):
        services.vm_class_update(vm_class=c, cpu_count=8, memory_mib=4097, user=admin)
    c.refresh_from_db()
    assert (c.cpu_count, c.memory_mib) == (2, 4 * GIB)


def test_only_administrators_change_classes(auditor):
    c = VirtualMachineClass.objects.get(name="best-effort-small")
    with pytest.raises(PermissionDenied):
        create(auditor)
    with pytest.raises(PermissionDenied):
        services.vm_class_update(vm_class=c, cpu_count=8, memory_mib=4 * GIB, user=auditor)
    with pytest.raises(PermissionDenied):
        services.vm_class_delete(vm_class=c, user=auditor)
    c.refresh_from_db()
    assert c.cpu_count == 2 and not VirtualMachineClass.objects.filter(name="custom-medium")


def test_delete_is_refused_while_namespaces_offer_it_and_names_them(admin, namespace):
    web = services.namespace_create(supervisor=namespace.supervisor, name="web", user=admin)
    settle(web)
    for ns in (web, namespace):
        services.namespace_vm_classes_set(
            namespace=ns, names=["best-effort-large", "best-effort-small"], user=admin
        )
    c = VirtualMachineClass.objects.get(name="best-effort-large")
    with pytest.raises(services.VmClassInUseError) as error:
        services.vm_class_delete(vm_class=c, user=admin)
    assert str(error.value) == (
        "VM class best-effort-large is in use by namespaces: team-a, web. "
        "Remove it from them first."
    )
    assert VirtualMachineClass.objects.filter(name="best-effort-large").exists()


def test_delete_is_refused_while_a_vks_cluster_asks_for_it(admin, namespace):
    VksCluster.objects.create(
        name="payments",
        namespace=namespace,
        spec={"topology": {"controlPlane": {"vmClass": "guaranteed-medium"}}},
    )
    c = VirtualMachineClass.objects.get(name="guaranteed-medium")
    with pytest.raises(services.VmClassInUseError, match="VKS clusters: team-a/payments"):
        services.vm_class_delete(vm_class=c, user=admin)


def test_a_default_may_be_deleted_and_comes_back_at_the_next_migrate(admin):
    c = VirtualMachineClass.objects.get(name="best-effort-8xlarge")
    services.vm_class_delete(vm_class=c, user=admin)
    assert not VirtualMachineClass.objects.filter(name="best-effort-8xlarge").exists()
    assert Event.objects.filter(
        event_type="com.vmware.wcp.VirtualMachineClassDeleted", message__contains="8xlarge"
    ).exists()
    ensure_default_classes()  # what post_migrate runs
    assert VirtualMachineClass.objects.get(name="best-effort-8xlarge").is_default


# ---------------------------------------------------------------- the VM classes page


def test_everyone_who_sees_the_inventory_sees_the_classes(admin_client, client, auditor):
    html = admin_client.get(LIST).content.decode()
    assert html.count("data-vm-class=") == 16
    assert "Create VM Class" in html and f"{LIST}best-effort-small/edit/" in html
    assert f"{LIST}best-effort-small/delete/" in html
    client.force_login(auditor)
    page = client.get(LIST)
    assert page.status_code == 200 and page.content.count(b"data-vm-class=") == 16
    assert b"Create VM Class" not in page.content and b"/edit/" not in page.content


def test_page_shows_hardware_reservations_and_namespace_counts(admin, admin_client, namespace):
    services.namespace_vm_classes_set(namespace=namespace, names=["guaranteed-large"], user=admin)
    html = admin_client.get(LIST).content.decode()
    card = re.search(r'data-vm-class="guaranteed-large">(.*?)</dl>', html, re.S).group(1)
    assert ">4<" in card and "16 GB" in card and card.count("100%") == 2
    assert 'data-namespace-count="1"' in card and "Ready" in card
    other = re.search(r'data-vm-class="best-effort-large">(.*?)</dl>', html, re.S).group(1)
    assert 'data-namespace-count="0"' in other and "--" in other


def test_outsider_gets_403(client, outsider):
    client.force_login(outsider)
    assert client.get(LIST).status_code == 403
    assert client.get(RELEASES).status_code == 403
    assert client.post(CREATE, {"name": "x", "cpu_count": "1", "memory": "1"}).status_code == 403


def test_auditor_may_not_open_dialogs_or_post(client, auditor):
    client.force_login(auditor)
    assert client.get(CREATE).status_code == 403
    post = {"name": "sneaky", "cpu_count": "2", "memory": "4", "memory_unit": "GB"}
    assert client.post(CREATE, post).status_code == 403
    assert client.post(CREATE, post, **HTMX).status_code == 403
    edit = f"{LIST}best-effort-small/edit/"
    assert client.post(edit, post | {"cpu_count": "8"}).status_code == 403
    assert client.post(f"{LIST}best-effort-small/delete/").status_code == 403
    assert not VirtualMachineClass.objects.filter(name="sneaky").exists()
    assert VirtualMachineClass.objects.get(name="best-effort-small").cpu_count == 2


def test_create_dialog_opens_and_a_plain_post_creates_then_redirects(admin_client):
    html = admin_client.get(CREATE).content.decode()
    assert "<html" in html and re.search(r'<dialog [^>]*data-dialog="create" open>', html)
    alone = admin_client.get(CREATE, HTTP_HX_TARGET="modal", **HTMX).content.decode()
    assert alone.lstrip().startswith("<dialog") and "Create VM Class" in alone
    post = {
        "name": "gpu-large",
        "cpu_count": "8",
        "memory": "1.5",
        "memory_unit": "GB",
        "cpu_reservation": "",
        "memory_reservation": "100",
        "description": "ML inference",
    }
    response = admin_client.post(CREATE, post)
    assert response.status_code == 302 and response["Location"] == LIST
    c = VirtualMachineClass.objects.get(name="gpu-large")
    assert (c.cpu_count, c.memory_mib, c.cpu_reservation, c.memory_reservation) == (
        8,
        1536,
        None,
        100,
    )
    assert "VM class gpu-large created." in admin_client.get(LIST).content.decode()


def test_htmx_create_swaps_main_and_pushes_the_list_url(admin_client):
    post = {"name": "web-small", "cpu_count": "2", "memory": "2048", "memory_unit": "MB"}
    post |= {"cpu_reservation": "", "memory_reservation": "", "description": ""}
    response = admin_client.post(CREATE, post, HTTP_HX_TARGET="dialog-form", **HTMX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#main" and response["HX-Push-Url"] == LIST
    html = response.content.decode()
    assert html.lstrip().startswith('<main id="main"') and 'data-vm-class="web-small"' in html
    assert "<dialog" not in html


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": "Web"}, "name", "lowercase letters"),
        ({"name": "best-effort-small"}, "name", "already exists"),
        ({"cpu_count": "1000"}, "cpu_count", "from 1 to 768"),
        ({"memory": "4098", "memory_unit": "MB"}, "memory", "multiple of 4 MB"),
        ({"memory": "lots"}, "memory", "from 4 MB to 24 TB"),
        ({"memory_reservation": "150"}, "memory_reservation", "from 0 to 100"),
    ],
)
def test_bad_input_is_shown_at_the_field_and_creates_nothing(admin_client, changes, field, message):
    post = {"name": "web", "cpu_count": "2", "memory": "4", "memory_unit": "GB"}
    post |= {"cpu_reservation": "", "memory_reservation": "", "description": ""} | changes
    before = VirtualMachineClass.objects.count()
    response = admin_client.post(CREATE, post, HTTP_HX_TARGET="dialog-form", **HTMX)
    html = response.content.decode()
    assert response.status_code == 400 and html.lstrip().startswith('<form id="dialog-form"')
    assert message in field_error(html, field)
    assert message in html.split('id="dialog-alerts"')[1].split("</div>")[0]  # the summary
    assert f'value="{post["name"]}"' in html  # what was typed stays
    plain = admin_client.post(CREATE, post)
    assert plain.status_code == 400 and "<html" in plain.content.decode()
    assert message in field_error(plain.content.decode(), field)
    assert VirtualMachineClass.objects.count() == before


def test_edit_dialog_shows_values_and_saves(admin_client):
    url = f"{LIST}best-effort-xlarge/edit/"
    html = admin_client.get(url).content.decode()
    assert "Edit VM Class best-effort-xlarge" in html and "readonly" in html
    assert 'name="memory" value="32"' in html
    whole = {"cpu_reservation": "", "memory_reservation": "", "description": ""}
    response = admin_client.post(
        url, {"cpu_count": "6", "memory": "48", "memory_unit": "GB", "name": "renamed"} | whole
    )
    assert response.status_code == 302
    c = VirtualMachineClass.objects.get(name="best-effort-xlarge")
    assert (c.cpu_count, c.memory_mib) == (6, 48 * GIB)
    assert not VirtualMachineClass.objects.filter(name="renamed").exists()
    bad = admin_client.post(
        url, {"cpu_count": "0", "memory": "48", "memory_unit": "GB"} | whole, **HTMX
    )
    assert "from 1 to 768" in field_error(bad.content.decode(), "cpu_count")


def test_delete_confirms_then_deletes(admin_client):
    url = f"{LIST}best-effort-xsmall/delete/"
    html = admin_client.get(url).content.decode()
    assert "Delete the VM class" in html and "best-effort-xsmall" in html
    assert admin_client.post(url).status_code == 302
    assert not VirtualMachineClass.objects.filter(name="best-effort-xsmall").exists()


def test_delete_in_use_is_refused_with_the_reason(admin, admin_client, namespace):
    services.namespace_vm_classes_set(namespace=namespace, names=["best-effort-large"], user=admin)
    url = f"{LIST}best-effort-large/delete/"
    assert "associated with namespaces team-a" in admin_client.get(url).content.decode()
    response = admin_client.post(url, **HTMX)
    reason = "VM class best-effort-large is in use by namespaces: team-a."
    assert response.status_code == 409 and response["HX-Retarget"] == "#alerts"
    assert reason in response.content.decode()
    plain = admin_client.post(url, follow=True)
    assert reason in plain.content.decode()
    assert VirtualMachineClass.objects.filter(name="best-effort-large").exists()


def test_unknown_class_is_404_and_list_takes_only_get(admin_client):
    assert admin_client.get(f"{LIST}no-such-class/edit/").status_code == 404
    assert admin_client.post(LIST).status_code == 405


def test_vm_classes_page_query_count_is_constant(admin, admin_client, django_assert_num_queries):
    admin_client.get(LIST)  # warm the session
    # the session, the user, its SSO groups, its role on the root, the
    # VM classes with their namespaces counted
    with django_assert_num_queries(5):
        first = admin_client.get(LIST, HTTP_HX_TARGET="main", **HTMX)
    for i in range(20):
        create(admin, name=f"extra-{i}")
    with django_assert_num_queries(5):
        more = admin_client.get(LIST, HTTP_HX_TARGET="main", **HTMX)
    assert first.content.count(b"data-vm-class=") == 16
    assert more.content.count(b"data-vm-class=") == 36


# ---------------------------------------------------------------- Services tab and releases


def test_services_tab_shows_the_vm_service_and_kubernetes_service(admin_client, supervisor):
    html = admin_client.get(reverse("workloads:home-tab", args=["services"])).content.decode()
    assert 'data-service="vm-service"' in html and 'data-service="kubernetes-service"' in html
    assert 'data-count="vm-classes">16<' in html
    assert "Kubernetes Service Content Library" in html
    assert 'data-count="releases">17<' in html and 'data-count="compatible-releases">14' in html
    assert LIST in html and RELEASES in html


def test_releases_page_is_like_kubectl_get_tkr(admin_client, supervisor):
    html = admin_client.get(RELEASES).content.decode()
    assert "Kubernetes Service Content Library" in html and supervisor.name in html
    for column in ("Name", "Version", "Ready", "Compatible", "Created", "Updates Available"):
        assert f"<th>{column}</th>" in html
    assert html.count("data-release=") == 17
    row = re.search(r'data-release="v1.31.4---vmware.1-fips-vkr.3"(.*?)</tr>', html, re.S)
    assert "v1.31.4+vmware.1-fips-vkr.3" in row.group(1)
    updates = re.findall(r'data-update="([^"]+)">([^<]+)<', row.group(1))
    assert updates == [
        ("v1.32.7---vmware.3-fips-vkr.1", "v1.32.7+vmware.3-fips-vkr.1"),
        ("v1.32.3---vmware.1-fips-vkr.2", "v1.32.3+vmware.1-fips-vkr.2"),
    ]
    assert "photon-5, ubuntu-2204" in row.group(1)
    too_new = re.search(r'data-release="v1.34.2---vmware.2-fips-vkr.1"(.*?)</tr>', html, re.S)
    assert "Requires a Supervisor running Kubernetes 1.33 or later." in too_new.group(1)


def test_releases_page_for_another_library_and_its_query_count(
    admin_client, auditor, client, django_assert_num_queries
):
    client.force_login(auditor)
    client.get(RELEASES)  # warm the session
    # the session, the user, its SSO groups, its role on the root; the libraries holding
    # releases, the Supervisors, the chosen library's items
    with django_assert_num_queries(7):
        html = client.get(RELEASES, HTTP_HX_TARGET="main", **HTMX).content.decode()
    assert html.count("data-release=") == 17 and "a new Supervisor" in html
    templates = admin_client.get(RELEASES + "?library=bogus").content.decode()
    assert templates.count("data-release=") == 17  # unknown: the default library


def test_a_name_taken_meanwhile_is_a_field_error(admin, monkeypatch):
    """Two administrators creating the same name: the unique constraint decides."""
    from workloads.services import vm_classes as module

    create(admin)
    real_filter = module.VirtualMachineClass.objects.filter
    monkeypatch.setattr(
        module.VirtualMachineClass.objects,
        "filter",
        lambda **kw: real_filter(pk=-1) if kw.get("name") else real_filter(**kw),
    )
    with pytest.raises(SpecError, match="already exists"):
        create(admin)
    monkeypatch.undo()
    assert VirtualMachineClass.objects.filter(name="custom-medium").count() == 1
