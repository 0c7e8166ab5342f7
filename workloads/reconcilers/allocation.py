"""What reconcilers hand out from a shared pool: IP addresses (node and control plane VM
addresses, API endpoint VIPs) and host memory. Several workers run passes at once, each pass
reading what is free and then taking it, so the database arbitrates: an address is taken by
inserting its IpAllocation row (unique per address), host memory under a row lock on the hosts.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum

from inventory.models import Host, VirtualMachine
from workloads.models import IpAllocation

# Memory a VM holds on its host: a powered-on VM's, and from its creation on that of a VM a
# solution owns (a VKS node, a Supervisor control plane VM): its reconciler powers it on a pass
# later without asking again, so its room is kept from the start.
HOLDS_MEMORY = Q(power_state=VirtualMachine.PowerState.ON) | ~Q(managed_by="")


# ---------------------------------------------------------------- addresses


def taken_among(candidates: Iterable[str]) -> set[str]:
    """The candidates in use now: a VM's address (the estate's VMs have no allocation row) or
    an allocation's. A hint to skip known-taken ones; `claim` is what decides."""
    candidates = list(candidates)
    vms = VirtualMachine.objects.filter(ip_address__in=candidates)
    allocated = IpAllocation.objects.filter(address__in=candidates)
    return set(vms.values_list("ip_address", flat=True)) | set(
        allocated.values_list("address", flat=True)
    )


def claim(address: str, **owner) -> bool:
    """Hold `address` for `owner` (vm=, cluster= or supervisor=; an owner holds one address,
    so its previous one is released). False when another owner holds it, even one whose
    transaction has not committed yet: PostgreSQL makes this insert wait for that one to end.
    The insert runs in a savepoint, so a refusal leaves the caller's transaction usable."""
    mine = IpAllocation.objects.filter(**owner)
    if mine.filter(address=address).exists():
        return True
    mine.delete()
    try:
        with transaction.atomic():
            IpAllocation.objects.create(address=address, **owner)
    except IntegrityError:
        return False
    return True


def allocate(candidates: list[str], *, also_taken: Iterable[str] = (), **owner) -> str | None:
    """The first candidate nobody holds, now held by `owner`; None when none is left. One that
    another pass claims between our read and our insert is skipped for the next."""
    taken = taken_among(candidates) | set(also_taken)
    return next((a for a in candidates if a not in taken and claim(a, **owner)), None)


def holder(address: str) -> str:
    """Who holds the allocation of `address`, for an error message."""
    found = IpAllocation.objects.select_related("vm", "cluster", "supervisor").get(address=address)
    if found.vm is not None:
        return f"virtual machine {found.vm.name}"
    if found.cluster is not None:
        return f"the API endpoint of VKS cluster {found.cluster.name}"
    return f"the API endpoint of Supervisor {found.supervisor.name}"


# ---------------------------------------------------------------- host memory


def lock_hosts(hosts) -> list[Host]:
    """The hosts of the queryset `hosts`, their rows locked, each with `held_mib`: the memory its
    VMs hold now. Locked in pk order, so two passes never wait for each other crosswise; a pass
    placing on the same hosts waits here until this one commits, then reads the VM it placed."""
    locked = list(Host.objects.select_for_update().filter(pk__in=hosts.values("pk")).order_by("pk"))
    held = dict(
        VirtualMachine.objects.filter(HOLDS_MEMORY, host__in=[h.pk for h in locked])
        .values("host")
        .annotate(mib=Sum("memory_mib"))
        .values_list("host", "mib")
    )
    for host in locked:
        host.held_mib = held.get(host.pk, 0)
    return locked
