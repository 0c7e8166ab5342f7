"""The Workload Management cast (a running Supervisor, a namespace with a storage class and VM
classes) for the Kubernetes API's tests."""

from tests.workloads.conftest import (  # noqa: F401 (fixtures)
    cluster,
    namespace,
    raw_spec,
    storage_class,
    supervisor,
)
