"""`/api/vcenter/namespace-management/supervisors/summaries` and `.../{id}/summary`."""

from __future__ import annotations

import uuid

import pytest

from inventory.selectors import summary_for
from tests.api.conftest import NM, error

pytestmark = pytest.mark.django_db


def test_summaries_list_each_supervisor_with_its_clusters_capacity(admin_api, supervisor):
    body = admin_api.get(f"{NM}/supervisors/summaries").json()
    (item,) = body["items"]
    assert item["supervisor"] == str(supervisor.supervisor_id)
    info = item["info"]
    assert (info["name"], info["config_status"], info["kubernetes_status"]) == (
        "supervisor-01",
        "RUNNING",
        "READY",
    )
    # the same figures as the cluster's Summary tab, in MHz and MiB
    cpu, memory, storage = summary_for(supervisor.cluster).meters
    stats = info["stats"]
    assert stats["cpu_capacity"] == round(cpu.capacity * 1000)
    assert stats["cpu_used"] == round(cpu.used * 1000)
    assert stats["memory_capacity"] == round(memory.capacity * 1024)
    assert stats["memory_used"] == round(memory.used * 1024)
    assert stats["storage_capacity"] == round(storage.capacity * 1024**2)
    assert stats["storage_used"] == round(storage.used * 1024**2)
    assert all(v > 0 for v in stats.values())


def test_one_summary_by_id(admin_api, supervisor):
    info = admin_api.get(f"{NM}/supervisors/{supervisor.supervisor_id}/summary").json()
    assert info["name"] == "supervisor-01"
    response = admin_api.get(f"{NM}/supervisors/{uuid.uuid4()}/summary")
    assert response.status_code == 404
    assert error(response)[0] == "NOT_FOUND"
    response = admin_api.get(f"{NM}/supervisors/not-a-uuid/summary")
    assert response.status_code == 404
    assert error(response)[0] == "NOT_FOUND"


def test_no_supervisor_is_an_empty_list(admin_api):
    assert admin_api.get(f"{NM}/supervisors/summaries").json() == {"items": []}


def test_developers_do_not_see_supervisors(api_as, viewer):
    response = api_as(viewer).get(f"{NM}/supervisors/summaries")
    assert response.status_code == 403
    assert error(response)[0] == "UNAUTHORIZED"
