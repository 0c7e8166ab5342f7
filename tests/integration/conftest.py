"""Fixtures shared by the integration tests; the worker helpers live in workers.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from inventory.estates import demo


@pytest.fixture(scope="module", autouse=True)
def _demo_estate_back(django_db_setup, django_db_blocker) -> Iterator[None]:
    """A transactional test ends by emptying every table, the demo estate that conftest loads for
    the session included; load it again for whatever runs after this module."""
    yield
    with django_db_blocker.unblock():
        demo.load()
