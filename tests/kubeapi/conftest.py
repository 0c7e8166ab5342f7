"""The Workload Management cast (tests/workloads/conftest.py), for the Kubernetes API tests."""

from __future__ import annotations

from tests.workloads.conftest import (  # noqa: F401  (fixtures)
    cluster,
    editor,
    namespace,
    owner,
    raw_spec,
    storage_class,
    stranger,
    supervisor,
    viewer,
)
