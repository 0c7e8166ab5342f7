"""Two deliveries of the same Supervisor pass at the same moment: the row lock makes them take
turns, and the second finds the work done. Real concurrency needs real row locks, so this runs on
PostgreSQL only (CI's second pass); SQLite serialises every writer anyway.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from inventory.estates import demo
from inventory.models import Cluster, VirtualMachine
from workloads import reconcilers, services
from workloads.models import Supervisor
from workloads.reconcilers import supervisors as supervisor_reconcilers
from workloads.services import supervisors as supervisor_services

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks (SELECT ... FOR UPDATE); SQLite has none to test",
    ),
]

THREADS = 2
HOLD = 0.05  # seconds the winner keeps the row locked, so the other delivery surely collides
ROUNDS = 50  # far more than enablement's dozen steps


@pytest.fixture
def cluster(transactional_db):
    """Overrides the package conftest's: a transactional test may start with empty tables."""
    demo.load()
    return Cluster.objects.select_related("datacenter").get(name="Workload-Cluster-01")


@dataclass
class Race:
    """What the threads share: the simulated clock, and what each pass did."""

    now: object
    round: int = 0
    done: bool = False
    steps: dict[int, list[str]] = field(default_factory=dict)  # round -> steps taken
    # round -> (the winning thread, when it let go of the lock)
    held_until: dict[int, tuple[int, float]] = field(default_factory=dict)
    calls: list[tuple[int, int, float, float]] = field(default_factory=list)  # round, thread, ...
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def test_simultaneous_duplicate_passes_create_no_duplicate_vm(
    raw_spec, cluster, settings, monkeypatch
):
    settings.VKS_SIM_SPEED = 1.0  # real durations: each step makes the next pass due later
    monkeypatch.setattr(supervisor_services, "_enqueue", lambda sup: None)  # we drive it
    admin = get_user_model().objects.get(username="administrator@vsphere.local")
    sup = services.supervisor_enable(spec=raw_spec, user=admin)
    race = Race(now=timezone.now())

    next_step = supervisor_reconcilers._next_step

    def recording_next_step(s, now):
        """Runs under the row lock: note the step, hold the lock a moment."""
        step = next_step(s, now)
        time.sleep(HOLD)  # widen the window in which the other delivery must wait
        with race.lock:
            if step is not None:
                race.steps.setdefault(race.round, []).append(step.message)
                race.held_until[race.round] = (threading.get_ident(), time.monotonic())
        return step

    monkeypatch.setattr(supervisor_reconcilers, "_next_step", recording_next_step)

    def end_of_round() -> None:  # one thread runs this once both passes have returned
        race.done = Supervisor.objects.get(pk=sup.pk).config_status == "RUNNING"
        race.round += 1
        race.now += timedelta(seconds=max(reconcilers.DURATION.values()))  # next step due

    start, end = threading.Barrier(THREADS), threading.Barrier(THREADS, action=end_of_round)

    def deliver() -> None:
        try:
            while not race.done and race.round < ROUNDS:
                start.wait(timeout=30)
                began = time.monotonic()
                reconcilers.supervisor_reconcile(sup.pk, now=race.now)
                with race.lock:
                    race.calls.append((race.round, threading.get_ident(), began, time.monotonic()))
                end.wait(timeout=30)
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            race.errors.append(error)
            start.abort()
            end.abort()
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=deliver) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a delivery hung"
    real_errors = [e for e in race.errors if not isinstance(e, threading.BrokenBarrierError)]
    assert not real_errors, real_errors
    assert race.done, f"not RUNNING after {race.round} rounds"

    sup.refresh_from_db()
    assert sup.config_status == "RUNNING"
    vms = list(reconcilers.control_plane_vms(sup))
    assert [vm.name for vm in vms] == [f"SupervisorControlPlaneVM ({i})" for i in (1, 2, 3)]
    assert len({vm.host_id for vm in vms}) == 3
    duplicates = (
        VirtualMachine.objects.values("name").annotate(n=Count("id")).filter(n__gt=1).count()
    )
    assert duplicates == 0

    # Serialised: in every round exactly one of the two passes took a step (none in the last,
    # which only marks RUNNING), and each of enablement's steps happened once.
    hosts = cluster.hosts.count()
    assert all(len(taken) == 1 for taken in race.steps.values()), race.steps
    assert sum(len(taken) for taken in race.steps.values()) == 1 + 3 + 3 + 1 + hosts
    # ... and really at the same moment: the other delivery started while the winner held the
    # lock and returned only after it let go (it waited on the row lock, then found the work done).
    collided = 0
    for rnd, (winner, released) in race.held_until.items():
        others = [(b, e) for r, who, b, e in race.calls if r == rnd and who != winner]
        collided += any(
            began < released - HOLD / 2 and ended >= released for began, ended in others
        )
    print(f"\n{collided} of {len(race.held_until)} rounds: the other delivery waited on the lock")
    assert collided >= len(race.held_until) // 2, (collided, len(race.held_until))
