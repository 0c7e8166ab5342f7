"""A Supervisor spec that the demo estate can satisfy, as the wizard would post it."""

from __future__ import annotations

import pytest

from inventory.models import Cluster
from tests.factories import supervisor_raw_spec


@pytest.fixture
def cluster(db):
    return Cluster.objects.select_related("datacenter").get(name="Workload-Cluster-01")


@pytest.fixture
def raw_spec(cluster):
    return supervisor_raw_spec(cluster)
