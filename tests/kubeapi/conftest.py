"""The cast of tests/workloads/conftest.py, and Django test clients holding a bearer token."""

from __future__ import annotations

import pytest

from kubeapi import tokens
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


@pytest.fixture
def kube_as(db):
    """`kube_as(user)`: a test client that sends `Authorization: Bearer <token of user>`."""
    from django.test import Client

    def make(user, audience: str = tokens.SUPERVISOR_AUDIENCE) -> Client:
        client = Client()
        client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {tokens.issue(user, audience=audience)}"
        return client

    return make
