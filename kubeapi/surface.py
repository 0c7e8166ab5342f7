"""An API surface: the resource types one Kubernetes API server serves (the Supervisor's, or a
VKS cluster's), each with what discovery, `kubectl get` and the OpenAPI document say of it, and
the source its objects come from.

Objects are plain dicts in the API's JSON shape, built from the models by each source; the
dispatcher (views.py) filters, pages, watches and renders them the same way for every type."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

READ_VERBS = ("get", "list", "watch")
WRITE_VERBS = ("create", "delete", "patch", "update")


@dataclass
class Context:
    """Who asks, and of which API server: the Supervisor's (cluster None) or a VKS cluster's."""

    user: Any
    now: datetime
    cluster: Any = None  # workloads.VksCluster for a VKS cluster's API
    base_path: str = ""  # "" for the Supervisor, "/vks/<ns>/<name>" for a VKS cluster
    request: Any = None  # the HTTP request: where this app's HTTPS endpoint is, for kubeconfigs


def object_uid(kind: str, pk, created: datetime | None = None) -> str:
    """A stable `metadata.uid` for the object of `kind` made from the row `pk`: the same every
    time it is built, and a new one when a row of the same pk is made again (created differs),
    so `kubectl delete --wait` never mistakes a new object for the old."""
    made = created.isoformat() if created else ""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"vks-portal/{kind}/{pk}/{made}"))


def timestamp(value: datetime | None) -> str | None:
    """RFC 3339 in UTC to the second, as the API server writes metav1.Time."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def age(created: str | None, now: datetime) -> str:
    """kubectl's AGE: the two largest units, as apimachinery's HumanDuration writes them."""
    if not created:
        return "<unknown>"
    then = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    seconds = int((now - then).total_seconds())
    if seconds < -1:
        return "<invalid>"
    seconds = max(seconds, 0)
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    if days < 365 * 8:
        return f"{days // 365}y{days % 365}d"
    return f"{days // 365}y"


def path(obj: dict, dotted: str, default: Any = None) -> Any:
    """`a.b.c` of an object; a missing step is `default`."""
    value: Any = obj
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return default
        value = value[key]
    return value


def condition(obj: dict, type_: str, key: str = "status") -> str:
    """A condition's field, as a printer column `.status.conditions[?(@.type=="X")].status`."""
    for c in path(obj, "status.conditions", []) or []:
        if isinstance(c, dict) and c.get("type") == type_:
            return str(c.get(key, ""))
    return ""


@dataclass(frozen=True)
class Column:
    """A printer column (CRD `additionalPrinterColumns` or a built-in type's Table column).
    `cell` makes the value from the object; `json_path` is what the CRD would declare."""

    name: str
    cell: Callable[[dict, Context], Any]
    type: str = "string"  # string | integer | number | boolean | date
    json_path: str = ""
    priority: int = 0  # 1 = only with -o wide
    description: str = ""
    format: str = ""

    @classmethod
    def at(cls, name: str, dotted: str, **kwargs) -> Column:
        def cell(obj: dict, _ctx: Context) -> Any:
            value = path(obj, dotted)
            return "" if value is None else value

        return cls(name, cell, json_path=f".{dotted}", **kwargs)

    @classmethod
    def age(cls) -> Column:
        return cls(
            "Age",
            lambda obj, ctx: age(path(obj, "metadata.creationTimestamp"), ctx.now),
            type="date",
            json_path=".metadata.creationTimestamp",
        )

    @classmethod
    def condition(cls, name: str, type_: str, key: str = "status", **kwargs) -> Column:
        return cls(
            name,
            lambda obj, _ctx: condition(obj, type_, key),
            json_path=f'.status.conditions[?(@.type=="{type_}")].{key}',
            **kwargs,
        )


NAME_COLUMN = Column(
    "Name",
    lambda obj, _ctx: path(obj, "metadata.name", ""),
    format="name",
    description="Name must be unique within a namespace.",
)


class Source(Protocol):
    """Where a resource type's objects come from. Each answers only what `ctx.user` may see;
    `namespace` None means every namespace (or a cluster-scoped type)."""

    def list(self, ctx: Context, namespace: str | None) -> Iterable[dict]: ...

    def get(self, ctx: Context, namespace: str | None, name: str) -> dict | None: ...


class Writer(Protocol):
    """Writes through the services. Each returns the object as it now is; `dry_run` checks
    everything and changes nothing. Errors are domain errors (vksportal.errors)."""

    def create(self, ctx: Context, namespace: str | None, body: dict, *, dry_run: bool) -> dict: ...

    def replace(
        self, ctx: Context, namespace: str | None, name: str, body: dict, *, dry_run: bool
    ) -> dict: ...

    def delete(
        self, ctx: Context, namespace: str | None, name: str, options: dict, *, dry_run: bool
    ) -> dict: ...


@dataclass(frozen=True)
class ResourceType:
    group: str  # "" for the core group
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    source: Source
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    columns: tuple[Column, ...] = ()  # after NAME, as the CRD declares them
    writer: Writer | None = None
    schema: dict | None = None  # the OpenAPI v3 schema of the object (openapi.py)
    # Its objects are derived and the change log names what they derive from: a watch lists
    # them again on a change and sends the difference.
    watch_relists: bool = False
    # The change-log key a watch of it wakes on when its objects follow another resource's
    # changes and nothing is recorded under its own (the Supervisor's services: clusters').
    changes_from: str = ""
    # True when the caller sees the namespace but its role may not read this type there (403).
    forbids: Callable[[Context, str | None], bool] | None = None
    description: str = ""

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        return self.api_version

    @property
    def qualified(self) -> str:
        """`clusters.cluster.x-k8s.io`, `secrets`: how messages and the change log name it."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def table_columns(self) -> tuple[Column, ...]:
        """NAME first, as kubectl prints it, unless the type places it (events put it last)."""
        if any(c.name == "Name" for c in self.columns):
            return self.columns
        return (NAME_COLUMN, *self.columns)

    @property
    def verbs(self) -> tuple[str, ...]:
        return READ_VERBS + (WRITE_VERBS if self.writer else ())

    def details(self, name: str | None = None) -> dict:
        found = {"name": name, "group": self.group, "kind": self.plural}
        return {k: v for k, v in found.items() if v}

    def discovery(self) -> dict:
        """This type's entry in an APIResourceList."""
        entry = {
            "name": self.plural,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": list(self.verbs),
        }
        if self.short_names:
            entry["shortNames"] = list(self.short_names)
        if self.categories:
            entry["categories"] = list(self.categories)
        return entry


@dataclass
class Surface:
    """The resource types of one API server, and its version (`/version`)."""

    name: str
    git_version: str
    types: list[ResourceType] = field(default_factory=list)
    # Group preferred versions when more than one is served: group -> version.
    preferred: dict[str, str] = field(default_factory=dict)

    def add(self, *types: ResourceType) -> None:
        self.types.extend(types)

    def find(self, group: str, version: str, plural: str) -> ResourceType | None:
        for t in self.types:
            if t.group == group and t.version == version and t.plural == plural:
                return t
        return None

    def group_versions(self) -> dict[str, list[str]]:
        """Group -> served versions, preferred first; "" is the core group."""
        found: dict[str, list[str]] = {}
        for t in self.types:
            versions = found.setdefault(t.group, [])
            if t.version not in versions:
                versions.append(t.version)
        for group, versions in found.items():
            first = self.preferred.get(group)
            if first in versions:
                versions.remove(first)
                versions.insert(0, first)
        return found

    # ------------------------------------------------------------ discovery documents

    def version_info(self) -> dict:
        major, minor = self.git_version.lstrip("v").split(".")[:2]
        return {
            "major": major,
            "minor": minor,
            "gitVersion": self.git_version,
            "gitCommit": "0000000000000000000000000000000000000000",
            "gitTreeState": "clean",
            "buildDate": "2026-01-01T00:00:00Z",
            "goVersion": "go1.23.8",
            "compiler": "gc",
            "platform": "linux/amd64",
        }

    def api_versions(self) -> dict:
        return {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": []}

    def group_entry(self, group: str, versions: list[str]) -> dict:
        entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {"name": group, "versions": entries, "preferredVersion": entries[0]}

    def group_list(self) -> dict:
        groups = [
            self.group_entry(group, versions)
            for group, versions in self.group_versions().items()
            if group
        ]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}

    def resource_list(self, group: str, version: str) -> dict | None:
        types = [t for t in self.types if t.group == group and t.version == version]
        if not types:
            return None
        return {
            "kind": "APIResourceList",
            "apiVersion": "v1",
            "groupVersion": f"{group}/{version}" if group else version,
            "resources": [t.discovery() for t in types],
        }
