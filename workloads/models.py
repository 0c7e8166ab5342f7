"""Workload Management: the Supervisor, as desired state (`spec`, written by services) and observed
state (`status` fields, written only by the reconciler)."""

from __future__ import annotations

from django.db import models

from inventory.models import Cluster, Task


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

    # --- spec (services only)
    description = models.TextField(blank=True)
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
