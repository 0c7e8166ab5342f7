"""The change log behind the Kubernetes API's resourceVersion and watch (kubeapi.changes).

Every change to an object the API serves is one ResourceChange row, written in the transaction
that made the change; its id is the object's new resourceVersion, one counter for every kind,
as etcd's revision is. The log is pruned after a horizon (kubeapi.changes.prune); an object's
current version outlives its rows in ObjectVersion, folded in when they are pruned."""

from __future__ import annotations

from django.db import models


class TransactionId(models.Func):
    """The writing transaction's id (PostgreSQL's 64-bit xid8, as a bigint), so a reader can
    tell which rows were still uncommitted when it read (kubeapi.changes). SQLite runs one
    writer at a time, so ids there are in commit order and this is 0."""

    function = "pg_current_xact_id"
    template = "(%(function)s()::text::bigint)"
    output_field = models.BigIntegerField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return "0", []


class ResourceChange(models.Model):
    class Type(models.TextChoices):  # a watch event's type
        ADDED = "ADDED"
        MODIFIED = "MODIFIED"
        DELETED = "DELETED"

    id = models.BigAutoField(primary_key=True)  # the resourceVersion
    # ResourceType.qualified (`clusters.cluster.x-k8s.io`, `events`); a VKS cluster's own API
    # prefixes `vks/<cluster pk>/`.
    resource = models.CharField(max_length=120)
    namespace = models.CharField(max_length=63, blank=True)  # "" for cluster-scoped
    name = models.CharField(max_length=253)
    uid = models.CharField(max_length=36, blank=True)
    type = models.CharField(max_length=8, choices=Type.choices)
    object = models.JSONField(null=True, blank=True)  # the last state, for DELETED
    xid = models.BigIntegerField(db_default=TransactionId(), editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["resource", "namespace", "id"], name="change_resource_ns_id"),
            models.Index(fields=["resource", "namespace", "name", "id"], name="change_object_id"),
            models.Index(fields=["xid"], name="change_xid"),
        ]

    def __str__(self) -> str:
        return f"{self.id} {self.type} {self.resource} {self.namespace}/{self.name}"


class ObjectVersion(models.Model):
    """An object's resourceVersion whose log rows were pruned: (resource, namespace, name) ->
    the id of its last change. Written only by the pruning, so recording a change takes no row
    lock that two writers of one object (a cluster and its nodes) could deadlock on."""

    resource = models.CharField(max_length=120)
    namespace = models.CharField(max_length=63, blank=True)
    name = models.CharField(max_length=253)
    rv = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["resource", "namespace", "name"], name="one_version_per_object"
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.namespace}/{self.name} @{self.rv}"


class ChangeLogHorizon(models.Model):
    """One row: every change up to `pruned_through` is gone from the log; a watch from an older
    resourceVersion is answered 410 Gone."""

    pruned_through = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.pruned_through)
