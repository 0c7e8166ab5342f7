"""What every estate shares: the vCenter root, its SSO administrator, and bulk inserts that hand out
managed object IDs a block at a time (one sequence call per batch, not per row)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import models

from inventory.models import (
    Datacenter,
    Datastore,
    DistributedSwitch,
    Folder,
    Host,
    ManagedEntity,
    Permission,
    PortGroup,
    ResourcePool,
    VCenter,
    VirtualMachine,
    moid_numbers,
)
from inventory.permissions import ADMINISTRATORS_GROUP
from inventory.tasklog import SSO_DOMAIN

VCENTER_MOID = f"{VCenter.PREFIX}1"  # the root folder of every vCenter is group-d1
VCENTER_NAME = "vcsa-01a.corp.vmbeans.com"
ADMIN_USERNAME = f"administrator@{SSO_DOMAIN}"
BATCH = 5000
MIB_PER_GIB = 1024
MIB_PER_TIB = 1024 * 1024
# Names-to-UUID namespace, so policies, libraries and items keep their IDs across reloads.
ESTATE_NAMESPACE = uuid.UUID("6f1c3b52-8d1e-4c47-9a57-3f0e5d2b7a10")

M = TypeVar("M", bound=models.Model)


@dataclass
class LoadResult:
    """What a loader did, for the command to print."""

    estate: str
    datacenter: str
    created: bool
    counts: dict[str, int] = field(default_factory=dict)


def stable_uuid(*parts: str) -> uuid.UUID:
    """The same name always gets the same UUID (policy, library and item IDs)."""
    return uuid.uuid5(ESTATE_NAMESPACE, "/".join(parts))


def ensure_vcenter() -> VCenter:
    return VCenter.objects.get_or_create(
        moid=VCENTER_MOID,
        defaults={"name": VCENTER_NAME, "instance_uuid": stable_uuid("vcenter", VCENTER_NAME)},
    )[0]


def ensure_user(username: str, *, staff: bool = False):
    """Create the SSO user with the default password; an existing user (and its password) is
    left as it is, so a reload never undoes a password change."""
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first()
    if user is None:
        user = user_model.objects.create_user(
            username=username,
            email=username,
            password=settings.VKS_ADMIN_PASSWORD,
            is_staff=staff,
        )
    return user


@dataclass(frozen=True)
class SsoPerson:
    """A user of the vsphere.local domain that an estate brings, and the SSO groups it joins."""

    name: str  # without the domain
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    groups: tuple[str, ...] = ()

    @property
    def username(self) -> str:
        return f"{self.name}@{SSO_DOMAIN}"


def ensure_sso_people(people: Sequence[SsoPerson], *, password: str) -> None:
    """Make sure the users and their groups exist. A missing user is created with `password`
    and joins its groups; a missing group is created with its members. What exists is left as
    it is (password, names, memberships an administrator changed), so a reload undoes nothing.
    Two queries when everything is there."""
    user_model = get_user_model()
    wanted = {person.username: person for person in people}
    users = {u.username: u for u in user_model.objects.filter(username__in=wanted)}
    new_users = set()
    for username, person in wanted.items():
        if username not in users:
            users[username] = user_model.objects.create_user(
                username=username,
                password=password,
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email,
            )
            new_users.add(username)
    names = {group for person in people for group in person.groups}
    groups = {g.name: g for g in Group.objects.filter(name__in=names)}
    new_groups = names - set(groups)
    for name in sorted(new_groups):
        groups[name] = Group.objects.create(name=name)
    through = user_model.groups.through
    memberships = [
        through(user_id=users[person.username].pk, group_id=groups[name].pk)
        for person in people
        for name in person.groups
        if person.username in new_users or name in new_groups
    ]
    if memberships:
        through.objects.bulk_create(memberships, ignore_conflicts=True)


def ensure_permission(
    *, entity_moid: str, principal: str, role: str, is_group: bool = False
) -> Permission:
    return Permission.objects.get_or_create(
        entity_moid=entity_moid,
        principal=principal,
        defaults={"role": role, "is_group": is_group, "propagate": True},
    )[0]


def ensure_common() -> VCenter:
    """The vCenter root, `administrator@vsphere.local` in the SSO `Administrators` group, and that
    group's Administrator role on the root. Safe to call on every load."""
    vcenter = ensure_vcenter()
    admin = ensure_user(ADMIN_USERNAME, staff=True)
    group = Group.objects.get_or_create(name=ADMINISTRATORS_GROUP)[0]
    admin.groups.add(group)  # no-op when already a member
    ensure_permission(
        entity_moid=vcenter.moid,
        principal=f"{SSO_DOMAIN.upper()}\\{ADMINISTRATORS_GROUP}",
        role=Permission.Role.ADMIN,
        is_group=True,
    )
    return vcenter


def lock_vcenter(vcenter: VCenter) -> None:
    """Serialise loaders on PostgreSQL: two `load_estate` runs at once must not both see "not
    loaded yet". (SQLite's immediate transactions already serialise writers.)"""
    VCenter.objects.select_for_update().filter(pk=vcenter.pk).first()


def _prefix(obj: ManagedEntity) -> str:
    return Folder.KIND_PREFIX[obj.kind] if isinstance(obj, Folder) else obj.PREFIX


def assign_moids(objs: Sequence[ManagedEntity]) -> None:
    """Give each object a fresh moid from one sequence reservation (folders by their kind)."""
    if not objs:
        return
    for obj, number in zip(objs, moid_numbers(len(objs)), strict=True):
        obj.moid = f"{_prefix(obj)}{number}"


def insert(objs: Sequence[M], *, batch_size: int = BATCH) -> list[M]:
    """Bulk-insert model instances, assigning moids per batch for managed entities; the instances
    get their primary keys (RETURNING on PostgreSQL and SQLite 3.35+)."""
    if not objs:
        return []
    model = type(objs[0])
    for start in range(0, len(objs), batch_size):
        batch = objs[start : start + batch_size]
        if issubclass(model, ManagedEntity):
            assign_moids([obj for obj in batch if not obj.moid])  # keep moids given earlier
        model.objects.bulk_create(batch, batch_size=batch_size)
    return list(objs)


def link(through: type[models.Model], rows: Iterable[tuple[int, int]], *fields: str) -> int:
    """Insert many-to-many rows straight into the through table, in batches."""
    batch: list[models.Model] = []
    total = 0
    for left, right in rows:
        batch.append(through(**{fields[0]: left, fields[1]: right}))
        if len(batch) >= BATCH:
            through.objects.bulk_create(batch)
            total += len(batch)
            batch = []
    through.objects.bulk_create(batch)
    return total + len(batch)


ROOT_FOLDER_NAMES = {
    Folder.Kind.VM: "vm",
    Folder.Kind.HOST: "host",
    Folder.Kind.DATASTORE: "datastore",
    Folder.Kind.NETWORK: "network",
}


def create_datacenter(vcenter: VCenter, name: str) -> tuple[Datacenter, dict[str, Folder]]:
    """A datacenter with its four hidden root folders (named `vm`, `host`, `datastore` and
    `network`, as vSphere names them)."""
    datacenter = insert([Datacenter(vcenter=vcenter, name=name)])[0]
    roots = insert(
        [
            Folder(datacenter=datacenter, kind=kind, name=folder_name, parent=None)
            for kind, folder_name in ROOT_FOLDER_NAMES.items()
        ]
    )
    return datacenter, {folder.kind: folder for folder in roots}


def estate_counts(datacenter: Datacenter) -> dict[str, int]:
    """What the summary line reports; one COUNT per kind of object."""
    vms = VirtualMachine.objects.filter(host__cluster__datacenter=datacenter)
    return {
        "clusters": datacenter.clusters.count(),
        "hosts": Host.objects.filter(cluster__datacenter=datacenter).count(),
        "virtual machines": vms.filter(is_template=False).count(),
        "powered on": vms.filter(power_state=VirtualMachine.PowerState.ON).count(),
        "templates": vms.filter(is_template=True).count(),
        "VM folders": datacenter.folders.filter(kind=Folder.Kind.VM, parent__isnull=False).count(),
        "resource pools": ResourcePool.objects.filter(cluster__datacenter=datacenter).count(),
        "datastores": Datastore.objects.filter(datacenter=datacenter).count(),
        "distributed switches": DistributedSwitch.objects.filter(datacenter=datacenter).count(),
        "port groups": PortGroup.objects.filter(switch__datacenter=datacenter).count(),
    }


@dataclass(frozen=True)
class Hardware:
    """A server model: what every host built on it has in common."""

    vendor: str
    model: str
    cpu_model: str
    cores: int
    mhz: int
    memory_gib: int

    def host(self, **fields) -> Host:
        return Host(
            vendor=self.vendor,
            model=self.model,
            cpu_model=self.cpu_model,
            cpu_packages=2,
            cpu_cores=self.cores,
            cpu_mhz=self.mhz,
            memory_mib=self.memory_gib * MIB_PER_GIB,
            **fields,
        )


R650 = Hardware(
    "Dell Inc.", "PowerEdge R650", "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", 64, 2000, 512
)
R750 = Hardware(
    "Dell Inc.", "PowerEdge R750", "Intel(R) Xeon(R) Gold 6348 CPU @ 2.60GHz", 56, 2600, 768
)
DL385 = Hardware(
    "HPE", "ProLiant DL385 Gen10 Plus v2", "AMD EPYC 7543 32-Core Processor", 64, 2800, 768
)
DL380 = Hardware(
    "HPE",
    "ProLiant DL380 Gen10 Plus",
    "Intel(R) Xeon(R) Platinum 8358 CPU @ 2.60GHz",
    64,
    2600,
    768,
)
