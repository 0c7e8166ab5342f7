"""The Workload Management cast (a running Supervisor, `team-a` with an owner, an editor, a
viewer through a group and a stranger, the converged cluster `web`), shared with tests/workloads."""

from tests.workloads.conftest import (  # noqa: F401 (fixtures)
    cluster,
    editor,
    namespace,
    owner,
    raw_spec,
    storage_class,
    stranger,
    supervisor,
    viewer,
    web,
)
