"""The simulated vSphere estate, with vCenter managed object IDs (`vm-1001`, `domain-c8`).

Capacity and usage are not stored on clusters or datastores: selectors roll them up in SQL from
hosts and VMs, so they can never drift from what the inventory holds.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.db.models import F


class MoidSequence(models.Model):
    """vCenter hands out one counter across all object types; so do we (one row)."""

    value = models.BigIntegerField(default=1000)

    def __str__(self) -> str:
        return str(self.value)


def moid_numbers(count: int) -> range:
    """Reserve `count` fresh managed-object numbers; safe across processes."""
    with transaction.atomic():
        MoidSequence.objects.get_or_create(pk=1)
        MoidSequence.objects.filter(pk=1).update(value=F("value") + count)
        end = MoidSequence.objects.values_list("value", flat=True).get(pk=1)
    return range(end - count + 1, end + 1)


class ManagedEntity(models.Model):
    """Something with a managed object ID and a name, shown in the navigator."""

    PREFIX = ""
    TYPE = ""  # the vSphere API type name, e.g. VirtualMachine

    moid = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=255, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def new_moids(cls, count: int) -> list[str]:
        return [f"{cls.PREFIX}{n}" for n in moid_numbers(count)]

    def assign_moid(self) -> None:
        if not self.moid:
            self.moid = self.new_moids(1)[0]


class VCenter(ManagedEntity):
    """The vCenter Server itself: the root of every inventory view (its root folder is group-d1)."""

    PREFIX = "group-d"
    TYPE = "Folder"

    version = models.CharField(max_length=20, default="8.0.3")
    build = models.CharField(max_length=20, default="24322831")
    instance_uuid = models.UUIDField()

    def assign_moid(self) -> None:
        self.moid = self.moid or "group-d1"  # every vCenter's root folder has this ID


class Datacenter(ManagedEntity):
    PREFIX = "datacenter-"
    TYPE = "Datacenter"

    vcenter = models.ForeignKey(VCenter, on_delete=models.CASCADE, related_name="datacenters")


class Folder(ManagedEntity):
    """An inventory folder. Each datacenter has one root folder per kind (vm, host, datastore,
    network); only VM folders nest user content in the demo estate."""

    class Kind(models.TextChoices):
        VM = "vm", "VMs and Templates"
        HOST = "host", "Hosts and Clusters"
        DATASTORE = "datastore", "Storage"
        NETWORK = "network", "Networking"

    PREFIX = "group-v"
    TYPE = "Folder"
    KIND_PREFIX = {"vm": "group-v", "host": "group-h", "datastore": "group-s", "network": "group-n"}

    kind = models.CharField(max_length=10, choices=Kind.choices)
    datacenter = models.ForeignKey(Datacenter, on_delete=models.CASCADE, related_name="folders")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )

    class Meta(ManagedEntity.Meta):
        indexes = [models.Index(fields=["datacenter", "kind", "parent", "name"])]

    @property
    def is_root(self) -> bool:
        return self.parent_id is None


class Cluster(ManagedEntity):
    class DrsAutomation(models.TextChoices):
        MANUAL = "manual", "Manual"
        PARTIALLY = "partiallyAutomated", "Partially Automated"
        FULLY = "fullyAutomated", "Fully Automated"

    PREFIX = "domain-c"
    TYPE = "ClusterComputeResource"

    datacenter = models.ForeignKey(Datacenter, on_delete=models.CASCADE, related_name="clusters")
    ha_enabled = models.BooleanField(default=True)
    ha_admission_control = models.BooleanField(default=True)
    drs_enabled = models.BooleanField(default=True)
    drs_automation_level = models.CharField(
        max_length=20, choices=DrsAutomation.choices, default=DrsAutomation.FULLY
    )
    vsan_enabled = models.BooleanField(default=False)


class Datastore(ManagedEntity):
    class Type(models.TextChoices):
        VMFS = "VMFS", "VMFS 6"
        NFS = "NFS", "NFS 3"
        NFS41 = "NFS41", "NFS 4.1"
        VSAN = "vsan", "vSAN"
        VVOL = "VVOL", "vVol"

    PREFIX = "datastore-"
    TYPE = "Datastore"

    datacenter = models.ForeignKey(Datacenter, on_delete=models.CASCADE, related_name="datastores")
    type = models.CharField(max_length=10, choices=Type.choices)
    capacity_mib = models.BigIntegerField()
    # Space held by files that are not VM disks (ISOs, logs, vSAN metadata); VM disks are summed.
    other_used_mib = models.BigIntegerField(default=0)
    url = models.CharField(max_length=255, blank=True)
    accessible = models.BooleanField(default=True)


class Host(ManagedEntity):
    class ConnectionState(models.TextChoices):
        CONNECTED = "connected", "Connected"
        DISCONNECTED = "disconnected", "Disconnected"
        NOT_RESPONDING = "notResponding", "Not Responding"

    class PowerState(models.TextChoices):
        ON = "poweredOn", "Powered On"
        OFF = "poweredOff", "Powered Off"
        STANDBY = "standBy", "Standby"

    PREFIX = "host-"
    TYPE = "HostSystem"

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="hosts")
    esxi_version = models.CharField(max_length=20, default="8.0.3")
    esxi_build = models.CharField(max_length=20, default="24280767")
    vendor = models.CharField(max_length=80, default="Dell Inc.")
    model = models.CharField(max_length=80, default="PowerEdge R650")
    cpu_model = models.CharField(max_length=120)
    cpu_packages = models.PositiveSmallIntegerField(default=2)
    cpu_cores = models.PositiveIntegerField()  # physical cores, all packages
    cpu_mhz = models.PositiveIntegerField()  # per core
    memory_mib = models.BigIntegerField()
    management_ip = models.GenericIPAddressField(null=True, blank=True)
    connection_state = models.CharField(
        max_length=20, choices=ConnectionState.choices, default=ConnectionState.CONNECTED
    )
    power_state = models.CharField(max_length=20, choices=PowerState.choices, default=PowerState.ON)
    in_maintenance_mode = models.BooleanField(default=False)
    # What the hypervisor itself uses, on top of its VMs.
    overhead_cpu_mhz = models.PositiveIntegerField(default=0)
    overhead_memory_mib = models.PositiveIntegerField(default=0)
    boot_time = models.DateTimeField(null=True, blank=True)
    # Set once Workload Management has installed Spherelet (the ESXi-native kubelet) on the host.
    spherelet_version = models.CharField(max_length=40, blank=True)
    datastores = models.ManyToManyField(Datastore, related_name="hosts", blank=True)

    class Meta(ManagedEntity.Meta):
        indexes = [models.Index(fields=["cluster", "name"])]

    @property
    def cpu_capacity_mhz(self) -> int:
        return self.cpu_cores * self.cpu_mhz


class DistributedSwitch(ManagedEntity):
    PREFIX = "dvs-"
    TYPE = "VmwareDistributedVirtualSwitch"

    datacenter = models.ForeignKey(Datacenter, on_delete=models.CASCADE, related_name="switches")
    version = models.CharField(max_length=20, default="8.0.3")
    mtu = models.PositiveIntegerField(default=1500)
    uplinks = models.PositiveSmallIntegerField(default=2)
    hosts = models.ManyToManyField(Host, related_name="switches", blank=True)


class PortGroup(ManagedEntity):
    PREFIX = "dvportgroup-"
    TYPE = "DistributedVirtualPortgroup"

    switch = models.ForeignKey(
        DistributedSwitch, on_delete=models.CASCADE, related_name="portgroups"
    )
    vlan_id = models.PositiveIntegerField(default=0)
    is_uplink = models.BooleanField(default=False)
    num_ports = models.PositiveIntegerField(default=128)
    subnet = models.CharField(max_length=43, blank=True)  # e.g. 10.10.20.0/24, for the simulator
    gateway = models.GenericIPAddressField(null=True, blank=True)


class ResourcePool(ManagedEntity):
    """A cluster's root pool is named `Resources` and hidden in the navigator, as in vSphere."""

    class Shares(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"

    PREFIX = "resgroup-"
    TYPE = "ResourcePool"

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="resource_pools")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    cpu_reservation_mhz = models.BigIntegerField(default=0)
    cpu_limit_mhz = models.BigIntegerField(default=-1)  # -1 = unlimited
    cpu_shares = models.CharField(max_length=10, choices=Shares.choices, default=Shares.NORMAL)
    memory_reservation_mib = models.BigIntegerField(default=0)
    memory_limit_mib = models.BigIntegerField(default=-1)
    memory_shares = models.CharField(max_length=10, choices=Shares.choices, default=Shares.NORMAL)
    expandable_reservation = models.BooleanField(default=True)

    class Meta(ManagedEntity.Meta):
        indexes = [models.Index(fields=["cluster", "parent", "name"])]

    @property
    def is_root(self) -> bool:
        return self.parent_id is None


class VirtualMachine(ManagedEntity):
    class PowerState(models.TextChoices):
        ON = "poweredOn", "Powered On"
        OFF = "poweredOff", "Powered Off"
        SUSPENDED = "suspended", "Suspended"

    PREFIX = "vm-"
    TYPE = "VirtualMachine"

    host = models.ForeignKey(Host, on_delete=models.PROTECT, related_name="vms")
    resource_pool = models.ForeignKey(ResourcePool, on_delete=models.PROTECT, related_name="vms")
    folder = models.ForeignKey(Folder, on_delete=models.PROTECT, related_name="vms")
    datastore = models.ForeignKey(Datastore, on_delete=models.PROTECT, related_name="vms")
    # VM Storage Policy; set for VMs a vSphere Namespace places (its storage classes are policies).
    storage_policy = models.ForeignKey(
        "StoragePolicy", null=True, blank=True, on_delete=models.PROTECT, related_name="vms"
    )
    networks = models.ManyToManyField(PortGroup, related_name="vms", blank=True)
    power_state = models.CharField(
        max_length=20, choices=PowerState.choices, default=PowerState.OFF
    )
    is_template = models.BooleanField(default=False)
    num_cpu = models.PositiveSmallIntegerField(default=2)
    memory_mib = models.PositiveIntegerField(default=4096)
    disk_mib = models.BigIntegerField(default=40 * 1024)  # provisioned, thick: counts in full
    guest_os = models.CharField(max_length=100, default="Other Linux (64-bit)")
    guest_id = models.CharField(max_length=50, default="otherLinux64Guest")
    hardware_version = models.CharField(max_length=10, default="vmx-21")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    dns_name = models.CharField(max_length=255, blank=True)
    annotation = models.TextField(blank=True)
    # Set when a solution owns the VM (vSphere Kubernetes Service, Supervisor): the vSphere Client
    # then warns before edits. Empty for ordinary VMs.
    managed_by = models.CharField(max_length=120, blank=True)
    instance_uuid = models.UUIDField()
    # Live usage, written by the simulator on power operations; zero when off.
    cpu_usage_mhz = models.PositiveIntegerField(default=0)
    memory_usage_mib = models.PositiveIntegerField(default=0)
    boot_time = models.DateTimeField(null=True, blank=True)

    class Meta(ManagedEntity.Meta):
        indexes = [
            models.Index(fields=["host", "name"]),
            models.Index(fields=["resource_pool", "name"]),
            models.Index(fields=["folder", "name"]),
            models.Index(fields=["datastore", "name"]),
            # Covers the datastores' used-space sums (a Supervisor's storage stats read every
            # VM on the datastores its cluster mounts) without reading the wide VM rows.
            models.Index(fields=["datastore", "disk_mib"], name="inventory_vm_ds_disk"),
            # ... and the cluster's CPU and memory in use (VMs by host).
            models.Index(
                fields=["host", "cpu_usage_mhz", "memory_usage_mib"], name="inventory_vm_host_usage"
            ),
        ]

    @property
    def is_powered_on(self) -> bool:
        return self.power_state == self.PowerState.ON


class StoragePolicy(models.Model):
    """An SPBM VM storage policy; identified by a UUID, not a managed object ID."""

    policy_id = models.UUIDField(unique=True)
    name = models.CharField(max_length=255, unique=True)
    description = models.TextField(blank=True)
    datastores = models.ManyToManyField(Datastore, related_name="storage_policies", blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "storage policies"

    def __str__(self) -> str:
        return self.name


class ContentLibrary(models.Model):
    class Type(models.TextChoices):
        LOCAL = "LOCAL", "Local"
        SUBSCRIBED = "SUBSCRIBED", "Subscribed"

    library_id = models.UUIDField(unique=True)
    name = models.CharField(max_length=255, unique=True)
    description = models.TextField(blank=True)
    type = models.CharField(max_length=12, choices=Type.choices, default=Type.LOCAL)
    subscription_url = models.URLField(blank=True)
    datastore = models.ForeignKey(Datastore, on_delete=models.PROTECT, related_name="libraries")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "content libraries"

    def __str__(self) -> str:
        return self.name


class ContentLibraryItem(models.Model):
    item_id = models.UUIDField(unique=True)
    library = models.ForeignKey(ContentLibrary, on_delete=models.CASCADE, related_name="items")
    name = models.CharField(max_length=255)
    type = models.CharField(max_length=20, default="ovf")
    size_mib = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["library", "name"], name="unique_item_per_library")
        ]

    def __str__(self) -> str:
        return self.name


class EntityRef(models.Model):
    """Where a task or event happened: the object plus the containers that scope Monitor tabs."""

    # A managed object ID, or for targets outside the inventory their API id (`ns/cluster`).
    target_moid = models.CharField(max_length=128, db_index=True)
    target_name = models.CharField(max_length=255)
    target_type = models.CharField(max_length=40)
    datacenter_moid = models.CharField(max_length=40, blank=True, db_index=True)
    cluster_moid = models.CharField(max_length=40, blank=True, db_index=True)
    host_moid = models.CharField(max_length=40, blank=True, db_index=True)
    # The vSphere Namespace a task or event is about (the namespace itself or one of its VKS
    # clusters), blank for inventory objects: a role on that namespace lets a user see it. A
    # column of its own so that is an index lookup, not an expression over every target id.
    scope_namespace = models.CharField(max_length=63, blank=True, db_index=True)

    class Meta:
        abstract = True


class Task(EntityRef):
    """A vCenter Task (vim.TaskInfo): what Recent Tasks and Monitor › Tasks show.

    `operation` and `params` say what the engine must do; `next_run_at` is when it wants its next
    pass, so beat can re-enqueue work whose message was lost.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCESS = "success", "Completed"
        ERROR = "error", "Failed"

    UNFINISHED = (State.QUEUED, State.RUNNING)

    key = models.CharField(max_length=40, unique=True)
    name = models.CharField(max_length=120)  # as the vSphere Client shows it
    description_id = models.CharField(max_length=120)  # e.g. VirtualMachine.powerOff
    operation = models.CharField(max_length=60)
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=255, blank=True)  # TaskInfo.description
    error = models.TextField(blank=True)
    initiator = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    queued_at = models.DateTimeField(db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)  # failed passes, for back-off

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [models.Index(fields=["state", "next_run_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.target_name})"

    @property
    def is_finished(self) -> bool:
        return self.state not in self.UNFINISHED

    @property
    def queued_for_ms(self) -> int | None:
        if self.started_at is None:
            return None
        return int((self.started_at - self.queued_at).total_seconds() * 1000)


class Event(EntityRef):
    """A vCenter Event: the audit log behind Monitor › Events."""

    class Severity(models.TextChoices):
        INFO = "info", "Information"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"
        USER = "user", "User"

    event_type = models.CharField(max_length=60)  # the vim event class, e.g. VmPoweredOffEvent
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.INFO)
    message = models.TextField()
    user_name = models.CharField(max_length=255, blank=True, db_index=True)  # a user's own
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.message


class Permission(models.Model):
    """A vCenter permission: a principal holds a role on an object, optionally propagating down."""

    class Role(models.TextChoices):
        ADMIN = "Admin", "Administrator"
        READ_ONLY = "ReadOnly", "Read-only"
        NO_ACCESS = "NoAccess", "No access"

    entity_moid = models.CharField(max_length=40, db_index=True)
    principal = models.CharField(max_length=255)  # DOMAIN\name, as vCenter shows it
    is_group = models.BooleanField(default=False)
    role = models.CharField(max_length=20, choices=Role.choices)
    propagate = models.BooleanField(default=True)

    class Meta:
        ordering = ["principal"]
        constraints = [
            models.UniqueConstraint(
                fields=["entity_moid", "principal"], name="one_role_per_principal"
            )
        ]

    def __str__(self) -> str:
        return f"{self.principal}: {self.get_role_display()}"


class LoginLockout(models.Model):
    """Failed logins of one user name, for the vsphere.local lockout policy (inventory.lockout).

    Keyed by the name as typed (stripped, lowercase), not by user: a name that is no account
    locks the same way, so a lock never tells whether the account exists. A row goes on a
    successful login or an administrator's unlock; the policy ignores stale ones."""

    username = models.CharField(max_length=150, unique=True)
    failures = models.PositiveIntegerField(default=0)  # within the window that began at...
    first_failure_at = models.DateTimeField()
    locked_at = models.DateTimeField(null=True, blank=True)  # set by the failure that locked

    def __str__(self) -> str:
        return self.username
