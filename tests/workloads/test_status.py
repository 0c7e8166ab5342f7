"""Status derivation from conditions: table tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workloads import status

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
T, F, U = status.TRUE, status.FALSE, status.UNKNOWN


def conds(*states: str, error_at: int | None = None) -> list[dict]:
    out = []
    for i, (type_, state) in enumerate(zip(status.STAGE_TYPES, states, strict=False)):
        reason = "ManagementIPInUse" if i == error_at else ("InProgress" if state == F else "Ok")
        out.append(status.condition(type_, state, reason, "", NOW))
    return out


@pytest.mark.parametrize(
    ("conditions", "deleting", "config", "kubernetes"),
    [
        (conds(U, U, U, U, U, U), False, "CONFIGURING", ""),
        (conds(T, F, U, U, U, U), False, "CONFIGURING", ""),
        (conds(T, T, F, U, U, U, error_at=2), False, "ERROR", ""),
        (conds(T, T, T, F, U, U), False, "CONFIGURING", "ERROR"),
        (conds(T, T, T, T, T, F), False, "CONFIGURING", "WARNING"),
        (conds(T, T, T, T, T, T), False, "RUNNING", "READY"),
        (conds(T, T, T, T, T, T), True, "REMOVING", "READY"),
        (conds(T, T, T), False, "CONFIGURING", "ERROR"),
    ],
)
def test_config_and_kubernetes_status(conditions, deleting, config, kubernetes):
    assert status.config_status(conditions, deleting=deleting) == config
    assert status.kubernetes_status(conditions) == kubernetes


def test_transition_time_changes_only_with_status():
    first = [status.condition("HostsConfigured", F, "InProgress", "1 of 4", NOW)]
    later = NOW + timedelta(minutes=5)
    same = status.set_condition(
        first, status.condition("HostsConfigured", F, "InProgress", "2 of 4", later)
    )
    assert same[0]["lastTransitionTime"] == NOW.isoformat() and same[0]["message"] == "2 of 4"
    flipped = status.set_condition(same, status.condition("HostsConfigured", T, "Ok", "", later))
    assert flipped[0]["lastTransitionTime"] == later.isoformat()


def test_progress_climbs_with_true_stages():
    values = [status.progress(conds(*([T] * n + [U] * (6 - n)))) for n in range(7)]
    assert values == sorted(values) and values[0] == 2 and values[-1] == 98
