"""`/api/vcenter/namespace-management/virtual-machine-classes`: Info with `memory_MB`, CRUD for
administrators, delete refused while in use."""

from __future__ import annotations

import pytest

from tests.api.conftest import NM, error
from workloads import services
from workloads.models import VirtualMachineClass

pytestmark = pytest.mark.django_db

URL = f"{NM}/virtual-machine-classes"


def test_the_list_has_the_16_defaults_as_the_real_api_shows_them(admin_api):
    rows = admin_api.get(URL).json()
    assert len(rows) == 16
    small = next(r for r in rows if r["id"] == "best-effort-small")
    assert small == {
        "id": "best-effort-small",
        "cpu_count": 2,
        "memory_MB": 4096,
        "cpu_reservation": None,
        "memory_reservation": None,
        "description": "",
        "namespaces": [],
        "vms": [],
        "config_status": "READY",
        "messages": [],
        "devices": {"vgpu_devices": [], "dynamic_direct_path_IO_devices": []},
    }


def test_create_get_update_and_delete(admin_api):
    spec = {"id": "gpu-less", "cpu_count": 4, "memory_MB": 8192, "cpu_reservation": 50}
    assert admin_api.post(URL, spec).status_code == 204
    info = admin_api.get(f"{URL}/gpu-less").json()
    assert (info["cpu_count"], info["memory_MB"], info["cpu_reservation"]) == (4, 8192, 50)
    assert info["memory_reservation"] is None
    assert admin_api.patch(f"{URL}/gpu-less", {"memory_MB": 16384}).status_code == 204
    info = admin_api.get(f"{URL}/gpu-less").json()
    assert (info["cpu_count"], info["memory_MB"], info["cpu_reservation"]) == (4, 16384, 50)
    admin_api.patch(f"{URL}/gpu-less", {"cpu_reservation": None, "description": "cheap"})
    info = admin_api.get(f"{URL}/gpu-less").json()
    assert (info["cpu_reservation"], info["description"]) == (None, "cheap")
    assert admin_api.delete(f"{URL}/gpu-less").status_code == 204
    response = admin_api.get(f"{URL}/gpu-less")
    assert response.status_code == 404
    assert error(response)[0] == "NOT_FOUND"


def test_a_taken_id_is_already_exists_and_bad_fields_use_the_api_names(admin_api):
    response = admin_api.post(URL, {"id": "best-effort-small", "cpu_count": 2, "memory_MB": 4096})
    assert error(response) == (
        "ALREADY_EXISTS",
        ["id: A VM class named 'best-effort-small' already exists."],
    )
    response = admin_api.post(URL, {"id": "odd", "cpu_count": 2, "memory_MB": 4097})
    assert response.status_code == 400
    assert error(response) == (
        "INVALID_ARGUMENT",
        ["memory_MB: Memory must be a multiple of 4 MB."],
    )
    assert not VirtualMachineClass.objects.filter(name="odd").exists()


def test_devices_are_refused(admin_api):
    spec = {"id": "gpu", "cpu_count": 2, "memory_MB": 4096}
    spec["devices"] = {"vgpu_devices": [{"profile_name": "grid_a100-4c"}]}
    response = admin_api.post(URL, spec)
    assert response.status_code == 400
    assert error(response)[1] == ["devices: vGPU and direct path I/O devices are not simulated."]


def test_delete_is_refused_while_a_namespace_offers_the_class(admin, admin_api, namespace):
    services.namespace_vm_classes_set(namespace=namespace, names=["best-effort-small"], user=admin)
    assert admin_api.get(f"{URL}/best-effort-small").json()["namespaces"] == ["team-a"]
    response = admin_api.delete(f"{URL}/best-effort-small")
    assert response.status_code == 400
    assert error(response) == (
        "RESOURCE_IN_USE",
        ["VM class best-effort-small is in use by namespaces: team-a. Remove it from them first."],
    )
    assert VirtualMachineClass.objects.filter(name="best-effort-small").exists()


def test_read_only_users_read_but_do_not_change_and_developers_get_403(api_as, auditor, viewer):
    client = api_as(auditor)
    assert client.get(URL).status_code == 200
    response = client.post(URL, {"id": "mine", "cpu_count": 2, "memory_MB": 4096})
    assert response.status_code == 403
    assert error(response)[0] == "UNAUTHORIZED"
    assert client.delete(f"{URL}/best-effort-small").status_code == 403
    assert api_as(viewer).get(URL).status_code == 403
