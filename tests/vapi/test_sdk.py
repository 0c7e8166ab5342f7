"""VMware's Python SDK (vmware-vcenter / vmware-vapi-runtime 9.1.1), unmodified, against
`make run`'s stack over HTTPS: `create_vsphere_client` logs in through `POST /api` (vAPI
JSON-RPC), reads its session, and a wrong password is the SDK's Unauthenticated."""

from __future__ import annotations

import traceback

import pytest
import requests

from tests.integration.stack import running_stack
from tests.kubeapi.live import ca_file, demo_lab

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PASSWORD = "VMware1!"


def trusting(stack) -> requests.Session:
    """A requests session that trusts the stack's CA (REQUESTS_CA_BUNDLE in the environment
    would override a session's `verify`: requests reads it first)."""
    http = requests.Session()
    http.trust_env = False
    http.verify = ca_file(stack)
    return http


@pytest.fixture
def sdk():
    client = pytest.importorskip("vmware.vapi.vsphere.client")
    return client


def test_the_sdk_logs_in_reads_its_session_and_is_refused_a_wrong_password(tmp_path, sdk):
    from com.vmware.vapi.std.errors_client import Unauthenticated

    demo_lab("alice")
    with running_stack(tmp_path) as stack:
        server = stack.https_url.removeprefix("https://")
        http = trusting(stack)
        client = sdk.create_vsphere_client(
            server=server, username="alice@vsphere.local", password=PASSWORD, session=http
        )
        info = client.session_svc.get()
        assert info.user == "VSPHERE.LOCAL\\alice"
        assert info.created_time <= info.last_accessed_time

        refused = trusting(stack)
        with pytest.raises(Unauthenticated) as refusal:
            sdk.create_vsphere_client(
                server=server, username="alice@vsphere.local", password="wrong", session=refused
            )
        defuse_half_made_clients(refusal.tb)


def defuse_half_made_clients(tb) -> None:
    """The SDK's VsphereClient whose login failed has no stub factory, and its __del__ then
    recurses without end (its __getattr__ reads self._stub_factory). Collected later inside a
    deep stack, that overflow is fatal: it aborted the pytest worker (seen in CI, core dump).
    With a factory of None its __del__ fails once, which it catches, and closes its session."""
    for frame, _ in traceback.walk_tb(tb):
        half = frame.f_locals.get("self")
        if type(half).__name__ == "VsphereClient" and "_stub_factory" not in vars(half):
            half._stub_factory = None
