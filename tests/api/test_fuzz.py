"""A bounded schemathesis run over /api/openapi.json, as the administrator, against an estate
with something behind every path (a Supervisor, namespace `team-a` with a storage policy and VM
classes, a converged Cluster `web` whose VMs count in the namespace's usage; the vCenter
inventory's VMs, clusters, datastores... and Tasks for the Automation API's routes): every answer
must be no server error and must match the schema (status code, content type, headers, body). The
Kubernetes API is not in this schema: it has its own (/openapi/v3, kubeapi), and its tests are
under tests/kubeapi/.

Deterministic: Hypothesis derandomized, no example database; the requests run in the test's
transaction through Django's WSGI handler (schemathesis' WSGI transport), so the estate is
rolled back after. `-m "not fuzz"` leaves it out.

A bounded run by default (about 1,400 requests, a quarter of schemathesis' defaults): the coverage
phase's negative cases (a wrong type, a missing or unexpected parameter, a value out of range or
not in its enum, a malformed content type, an unexpected HTTP method), each (operation, scenario,
parameter) probed once, then EXAMPLES random valid and invalid cases per operation. The coverage
phase's positive cases (every property with each valid type) are left to the random ones.
`VKS_FUZZ=deep` runs everything schemathesis would, and more random cases: a deep run, minutes.
"""

from __future__ import annotations

import os
import zlib
from contextlib import contextmanager

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.meta import TestPhase
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from inventory.models import Cluster, Datacenter, Datastore, ResourcePool, Task, VirtualMachine
from tests.api.conftest import open_session
from tests.workloads.conftest import drive, spec
from workloads.services import clusters

pytestmark = pytest.mark.fuzz

# A logout ends the session it names: the shared one would leave every later request a 401.
LOGOUTS = ("/api/session", "/rest/com/vmware/cis/session")
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
DEEP = os.environ.get("VKS_FUZZ") == "deep"
# Examples per operation of the fuzzing phase (Hypothesis' random cases; most of the bounded run's
# time goes to generating them).
EXAMPLES = 100 if DEEP else 8
# The coverage phase runs whatever max_examples says: all of it (about 5,700 requests over the
# schema's 64 operations, 37 s of a 2-core CI machine with 8 random cases more) or its negative
# half (about 3,100, each probe with every wrong type), of which _first_probe sends one a probe.
CONFIG = {} if DEEP else {"phases": {"coverage": {"generation": {"mode": "negative"}}}}


@contextmanager
def _connection_kept():
    """Django closes the database connection at the start and end of each request; in a test
    that would end its transaction. Django's test client switches that off as this does."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


class _Closing:
    def __init__(self, response):
        self.response = response

    def __iter__(self):
        return iter(self.response)

    def close(self):
        with _connection_kept():
            self.response.close()  # sends request_finished


class InTestTransaction:
    """Django's WSGI application as the test client runs it."""

    def __init__(self):
        self.handler = WSGIHandler()

    def __call__(self, environ, start_response):
        with _connection_kept():
            return _Closing(self.handler(environ, start_response))


@pytest.fixture(scope="session")
def api_schema(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi(
            "/api/openapi.json", InTestTransaction(), config=SchemathesisConfig.from_dict(CONFIG)
        )


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def estate(admin, supervisor, namespace, storage_class, editor):
    """Objects for the paths to find, and the administrator's session token."""
    web = clusters.cluster_create(
        namespace=namespace, name="web", spec=spec(storage_class), user=editor
    )
    drive(web)
    known = {
        "namespace": ["team-a"],
        "vm_class": ["best-effort-small"],
        "supervisor": [str(supervisor.supervisor_id)],
        "domain": ["vsphere.local"],
        "subject": ["eddie"],
        # The vCenter inventory of the Automation API's routes (vapi/openapi.py).
        **{
            key: list(model.objects.order_by("pk").values_list("moid", flat=True)[:2])
            for key, model in (
                ("vm", VirtualMachine),
                ("cluster", Cluster),
                ("datacenter", Datacenter),
                ("datastore", Datastore),
                ("resource_pool", ResourcePool),
            )
        },
        "task": list(Task.objects.order_by("pk").values_list("key", flat=True)[:2]),
    }
    return {"known": known, "token": open_session(APIClient(), admin.username), "user": admin}


def _aim(case, known: dict[str, list[str]]) -> None:
    """Two cases in three name an object that exists (chosen by a checksum of the generated
    value, so the run stays deterministic); the third keeps what Hypothesis made up."""
    for key, value in (case.path_parameters or {}).items():
        choices = known.get(key)
        if choices:
            pick = zlib.crc32(repr(value).encode("utf-8", "surrogatepass")) % (len(choices) + 1)
            if pick < len(choices):
                case.path_parameters[key] = choices[pick]


_probed: set[tuple] = set()


def _first_probe(case) -> bool:
    """False for a coverage case whose probe (operation, scenario, parameter and where in it) was
    sent already: e.g. `count` as a string, after `count` as null. The phase's order is fixed, so
    the same cases run every time."""
    if case.meta is None or case.meta.phase.name != TestPhase.COVERAGE:
        return True
    data = case.meta.phase.data
    probe = (case.method, case.path, data.scenario, data.parameter_location, data.parameter)
    probe += (data.location,)
    if probe in _probed:
        return False
    _probed.add(probe)
    return True


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_answer_is_no_server_error_and_matches_the_schema(case, estate):
    if not DEEP and not _first_probe(case):
        return
    token = estate["token"]
    if case.method == "DELETE" and case.path in LOGOUTS:  # ends a session of its own
        token = open_session(APIClient(), estate["user"].username)
    _aim(case, estate["known"])
    headers = {"vmware-api-session-id": token}
    response = case.call(headers=headers)
    case.validate_response(response, headers=headers, checks=CHECKS)
