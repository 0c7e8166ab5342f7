"""Workload Management: Supervisors and vSphere Namespaces as desired state (spec fields, written by
services) and observed state (status fields, written only by reconcilers), and the VM classes
namespaces offer."""

from __future__ import annotations

from django.db import models

from inventory.models import Cluster, ContentLibrary, StoragePolicy, Task


class Supervisor(models.Model):
    class ConfigStatus(models.TextChoices):
        CONFIGURING = "CONFIGURING", "Configuring"
        RUNNING = "RUNNING", "Running"
        REMOVING = "REMOVING", "Removing"
        ERROR = "ERROR", "Error"

    class KubernetesStatus(models.TextChoices):
        READY = "READY", "Ready"
        WARNING = "WARNING", "Warning"
        ERROR = "ERROR", "Error"

    supervisor_id = models.UUIDField(unique=True)  # the Automation API's identifier
    name = models.CharField(max_length=63, unique=True)
    cluster = models.OneToOneField(Cluster, on_delete=models.PROTECT, related_name="supervisor")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # --- spec: what the administrator asked for; services only. Each change bumps generation.
    spec = models.JSONField()
    generation = models.PositiveIntegerField(default=1)
    deletion_requested_at = models.DateTimeField(null=True, blank=True)

    # --- status: what the simulation has made real; the reconciler only.
    config_status = models.CharField(
        max_length=12, choices=ConfigStatus.choices, default=ConfigStatus.CONFIGURING
    )
    kubernetes_status = models.CharField(max_length=8, choices=KubernetesStatus.choices, blank=True)
    conditions = models.JSONField(default=list, blank=True)
    observed_generation = models.PositiveIntegerField(default=0)
    control_plane_ips = models.JSONField(default=list, blank=True)  # management network
    api_endpoint = models.GenericIPAddressField(null=True, blank=True)  # load balancer VIP
    kubernetes_version = models.CharField(max_length=40, blank=True)

    # --- engine bookkeeping
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.SET_NULL)
    next_reconcile_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_deleting(self) -> bool:
        return self.deletion_requested_at is not None

    @property
    def control_plane_address(self) -> str:
        """What the Supervisors list shows: the API VIP once the load balancer serves it, the
        floating management IP before that."""
        if self.api_endpoint:
            return self.api_endpoint
        return self.control_plane_ips[0] if self.control_plane_ips else ""

    def condition(self, type_: str) -> dict | None:
        return next((c for c in self.conditions if c["type"] == type_), None)


class Namespace(models.Model):
    """A vSphere Namespace on a Supervisor: a resource pool and folder under `Namespaces` where
    developers' VKS clusters and VMs run. Its name is a Kubernetes namespace name, unique
    across the vCenter."""

    class ConfigStatus(models.TextChoices):
        CONFIGURING = "CONFIGURING", "Configuring"
        RUNNING = "RUNNING", "Running"
        REMOVING = "REMOVING", "Removing"
        ERROR = "ERROR", "Error"

    name = models.CharField(max_length=63, unique=True)
    supervisor = models.ForeignKey(Supervisor, on_delete=models.PROTECT, related_name="namespaces")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    creator = models.CharField(max_length=255, blank=True)  # DOMAIN\name, as vCenter shows it
    # Made by a developer from the Supervisor's namespace template (namespace self-service).
    self_service = models.BooleanField(default=False)

    # --- spec (services only). Limits: None is unlimited, as a new namespace starts.
    description = models.TextField(blank=True)
    cpu_limit_mhz = models.BigIntegerField(null=True, blank=True)
    memory_limit_mib = models.BigIntegerField(null=True, blank=True)
    storage_limit_mib = models.BigIntegerField(null=True, blank=True)
    vm_classes = models.ManyToManyField(
        "VirtualMachineClass", related_name="namespaces", blank=True
    )
    content_libraries = models.ManyToManyField(  # VM Service: images for VMs
        ContentLibrary, related_name="vm_service_namespaces", blank=True
    )
    kubernetes_library = models.ForeignKey(  # VKS: where its Kubernetes releases come from
        ContentLibrary,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="kubernetes_namespaces",
    )
    generation = models.PositiveIntegerField(default=1)
    deletion_requested_at = models.DateTimeField(null=True, blank=True)

    # --- status (the reconciler only)
    config_status = models.CharField(
        max_length=12, choices=ConfigStatus.choices, default=ConfigStatus.CONFIGURING
    )
    observed_generation = models.PositiveIntegerField(default=0)

    # --- engine bookkeeping
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.SET_NULL)
    next_reconcile_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_deleting(self) -> bool:
        return self.deletion_requested_at is not None


class NamespaceSelfService(models.Model):
    """Namespace self-service on a Supervisor: its one namespace template (vSphere 8 allows one
    per Supervisor) and whether developers may make namespaces from it. The row is the
    template: it exists once a template is created, and the service is DEACTIVATED until an
    administrator activates it."""

    class Status(models.TextChoices):
        CONFIGURING = "CONFIGURING", "Configuring"
        RUNNING = "RUNNING", "Running"
        REMOVING = "REMOVING", "Removing"
        DEACTIVATED = "DEACTIVATED", "Deactivated"
        ERROR = "ERROR", "Error"

    supervisor = models.OneToOneField(
        Supervisor, on_delete=models.CASCADE, related_name="self_service"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # --- spec (services only): the template, and whether the service is wanted on.
    template = models.CharField(max_length=63, unique=True)  # a DNS label, unique in vCenter
    activated = models.BooleanField(default=False)
    cpu_limit_mhz = models.BigIntegerField(null=True, blank=True)  # None: unlimited
    memory_limit_mib = models.BigIntegerField(null=True, blank=True)
    storage_limit_mib = models.BigIntegerField(null=True, blank=True)
    # [{"policy": <storage policy id>, "limit": MiB or None}], as Instances.StorageSpec
    storage_specs = models.JSONField(default=list, blank=True)
    # [{"subject_type": "USER" | "GROUP", "subject": name, "domain": "vsphere.local"}]: who
    # may create namespaces from the template
    permissions = models.JSONField(default=list, blank=True)
    vm_classes = models.ManyToManyField(
        "VirtualMachineClass", related_name="self_service_templates", blank=True
    )
    content_libraries = models.ManyToManyField(
        ContentLibrary, related_name="self_service_templates", blank=True
    )
    generation = models.PositiveIntegerField(default=1)

    # --- status (the reconciler only)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DEACTIVATED)
    observed_generation = models.PositiveIntegerField(default=0)

    # --- engine bookkeeping
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.SET_NULL)
    next_reconcile_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = "namespace self-service"

    def __str__(self) -> str:
        return f"{self.template} on {self.supervisor_id}"

    @property
    def is_running(self) -> bool:
        return self.status == self.Status.RUNNING


class NamespaceAccess(models.Model):
    """One entry of a namespace's access list: an SSO user or group and its role."""

    class SubjectType(models.TextChoices):
        USER = "USER", "User"
        GROUP = "GROUP", "Group"

    class Role(models.TextChoices):
        # Ordered by power: each role may do what the ones before it may.
        VIEW = "VIEW", "Can view"
        EDIT = "EDIT", "Can edit"
        OWNER = "OWNER", "Owner"

    namespace = models.ForeignKey(Namespace, on_delete=models.CASCADE, related_name="access")
    subject_type = models.CharField(max_length=5, choices=SubjectType.choices)
    subject = models.CharField(max_length=255)  # user or group name, without the domain
    domain = models.CharField(max_length=255, default="vsphere.local")
    role = models.CharField(max_length=5, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["subject_type", "subject"]
        constraints = [
            models.UniqueConstraint(
                fields=["namespace", "subject_type", "subject", "domain"],
                name="one_role_per_subject",
            )
        ]
        indexes = [models.Index(fields=["subject_type", "subject", "domain"])]

    def __str__(self) -> str:
        return f"{self.principal}: {self.get_role_display()}"

    @property
    def principal(self) -> str:
        return f"{self.domain.upper()}\\{self.subject}"


class NamespaceStorage(models.Model):
    """A storage policy granted to a namespace (a storage class inside it), with its own limit."""

    namespace = models.ForeignKey(Namespace, on_delete=models.CASCADE, related_name="storage")
    policy = models.ForeignKey(StoragePolicy, on_delete=models.PROTECT, related_name="namespaces")
    limit_mib = models.BigIntegerField(null=True, blank=True)  # None = unlimited

    class Meta:
        ordering = ["policy__name"]
        constraints = [
            models.UniqueConstraint(fields=["namespace", "policy"], name="one_spec_per_policy")
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} in {self.namespace_id}"


class VirtualMachineClass(models.Model):
    """A VM class: the vCPUs, memory and reservations a VM Service VM or a VKS node gets. The
    16 defaults ship with vCenter; administrators add their own."""

    class ConfigStatus(models.TextChoices):
        READY = "READY", "Ready"
        REMOVING = "REMOVING", "Removing"

    name = models.CharField(max_length=63, unique=True)  # the API's `id`, a DNS label
    cpu_count = models.PositiveSmallIntegerField()
    memory_mib = models.PositiveIntegerField()
    # Percent of the vCPUs x host frequency, and of memory; None is no reservation (best effort).
    cpu_reservation = models.PositiveSmallIntegerField(null=True, blank=True)
    memory_reservation = models.PositiveSmallIntegerField(null=True, blank=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)
    config_status = models.CharField(
        max_length=8, choices=ConfigStatus.choices, default=ConfigStatus.READY
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "VM class"

    def __str__(self) -> str:
        return self.name

    @property
    def is_guaranteed(self) -> bool:
        return bool(self.cpu_reservation or self.memory_reservation)


class VksCluster(models.Model):
    """A VKS cluster in a vSphere Namespace: a Cluster API `Cluster` (or, created from a
    TanzuKubernetesCluster manifest, that kind) whose nodes are VMs in a child resource pool of
    the namespace. `spec` is one normalised shape whatever the front door:

        {"topology": {"version": <Kubernetes release name>,
                      "controlPlane": {"replicas", "vmClass", "storageClass", "osImage"},
                      "nodePools": [{"name", "replicas", "vmClass", "storageClass"}]},
         "network": {"cni", "pods": [cidr], "services": [cidr], "serviceDomain"}}
    """

    class Phase(models.TextChoices):  # Cluster API's phases, for people; logic reads conditions
        PENDING = "Pending"
        PROVISIONING = "Provisioning"
        PROVISIONED = "Provisioned"
        DELETING = "Deleting"
        FAILED = "Failed"

    name = models.CharField(max_length=63)
    namespace = models.ForeignKey(Namespace, on_delete=models.PROTECT, related_name="clusters")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    creator = models.CharField(max_length=255, blank=True)  # DOMAIN\name

    # --- spec (services only). The manifest form it came in, to export it back the same way.
    api_version = models.CharField(max_length=60, default="cluster.x-k8s.io/v1beta1")
    kind = models.CharField(max_length=40, default="Cluster")
    cluster_class = models.CharField(max_length=63, blank=True)  # topology.class (Cluster only)
    spec = models.JSONField(default=dict)
    # As the Kubernetes API stores an object: its labels and annotations (kubectl's
    # last-applied-configuration among them) and the spec in its kind's own shape as written,
    # defaults filled, fields the simulator does not model included. `spec` is derived from it;
    # a change made elsewhere (the wizard's dialogs) is carried into it. {} for a cluster made
    # by the wizard: its object is built from `spec` alone.
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    manifest_spec = models.JSONField(default=dict, blank=True)
    generation = models.PositiveIntegerField(default=1)
    deletion_requested_at = models.DateTimeField(null=True, blank=True)

    # --- status (the reconciler only)
    phase = models.CharField(max_length=12, choices=Phase.choices, default=Phase.PENDING)
    conditions = models.JSONField(default=list, blank=True)
    observed_generation = models.PositiveIntegerField(default=0)
    api_endpoint = models.GenericIPAddressField(null=True, blank=True)  # a Supervisor LB VIP
    certificate_authority = models.TextField(blank=True)  # PEM, made with the infrastructure

    # --- engine bookkeeping
    task = models.ForeignKey(Task, null=True, blank=True, on_delete=models.SET_NULL)
    next_reconcile_at = models.DateTimeField(null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = "VKS cluster"
        constraints = [
            models.UniqueConstraint(fields=["namespace", "name"], name="one_cluster_name_per_ns")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_deleting(self) -> bool:
        return self.deletion_requested_at is not None

    def condition(self, type_: str) -> dict | None:
        return next((c for c in self.conditions if c["type"] == type_), None)

    def _topology(self) -> list[dict]:
        topology = self.spec.get("topology", {})
        return [topology.get("controlPlane", {}), *topology.get("nodePools", [])]

    @property
    def vm_class_names(self) -> set[str]:
        """Every VM class its control plane and node pools ask for."""
        return {p["vmClass"] for p in self._topology() if p.get("vmClass")}

    @property
    def storage_class_names(self) -> set[str]:
        return {p["storageClass"] for p in self._topology() if p.get("storageClass")}


class VksNode(models.Model):
    """A node of a VKS cluster (a Cluster API Machine): one VM, in a role, from one release.
    Rolling updates replace nodes, so a cluster may briefly hold nodes of two releases."""

    class Role(models.TextChoices):
        CONTROL_PLANE = "control-plane", "Control plane"
        WORKER = "worker", "Worker"

    cluster = models.ForeignKey(VksCluster, on_delete=models.CASCADE, related_name="nodes")
    vm = models.OneToOneField(
        "inventory.VirtualMachine", on_delete=models.PROTECT, related_name="vks_node"
    )
    role = models.CharField(max_length=13, choices=Role.choices)
    pool = models.CharField(max_length=63, blank=True)  # node pool name; blank for control plane
    release = models.CharField(max_length=80)  # Kubernetes release name it was built from
    vm_class = models.CharField(max_length=63)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["cluster", "role", "pool"])]

    def __str__(self) -> str:
        return f"{self.cluster_id}/{self.vm_id}"


class IpAllocation(models.Model):
    """An IP address a reconciler handed out: a VKS node's or a Supervisor control plane VM's
    (`vm`), or the API endpoint VIP of a VKS cluster or a Supervisor. One row per address, and
    the row goes with its owner. Reconcilers pick what they read as free a moment ago, so two
    passes running at once may pick the same address: the unique `address` is what lets only
    one of them have it (the other's insert fails, and it takes the next free one)."""

    address = models.GenericIPAddressField(unique=True)
    vm = models.OneToOneField(
        "inventory.VirtualMachine",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="ip_allocation",
    )
    cluster = models.OneToOneField(
        VksCluster, null=True, blank=True, on_delete=models.CASCADE, related_name="vip_allocation"
    )
    supervisor = models.OneToOneField(
        Supervisor, null=True, blank=True, on_delete=models.CASCADE, related_name="vip_allocation"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["address"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(vm__isnull=False, cluster__isnull=True, supervisor__isnull=True)
                    | models.Q(vm__isnull=True, cluster__isnull=False, supervisor__isnull=True)
                    | models.Q(vm__isnull=True, cluster__isnull=True, supervisor__isnull=False)
                ),
                name="ip_allocation_has_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.address
