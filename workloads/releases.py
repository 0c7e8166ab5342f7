"""Kubernetes releases (TKr / KR), derived from a content library's items.

The library is the source of truth, as on a real Supervisor, where the TKr controller syncs one
release object per node image it finds: nothing is stored here. An item named
`ob-24945258-photon-5-amd64-v1.32.7---vmware.3-fips-vkr.1` is the photon-5 image of release
`v1.32.7---vmware.3-fips-vkr.1` (version `v1.32.7+vmware.3-fips-vkr.1`: object names cannot
hold `+`, so `---` stands in for it). Releases named `...-tkg.N` are legacy (TKG 2 format), those
named `...-vkr.N` are VKS releases (VKS-REFERENCE §3.2).

A release is compatible with a Supervisor when its minor lies between the oldest one VKS still
supports (settings.VKS_KUBERNETES_MIN_MINOR) and the Supervisor's own Kubernetes minor plus
settings.VKS_KUBERNETES_MINORS_AHEAD. Ready follows Compatible, as the TKr controller's Ready
condition does: an incompatible release is never offered for a cluster.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings

from inventory.models import ContentLibrary, ContentLibraryItem

RELEASE_NAME = re.compile(
    r"^v(?P<major>\d+)\.(?P<minor>\d+)\.(?P<patch>\d+)---vmware\.(?P<vmware>\d+)"
    r"(?P<suffix>(?:[-.][a-z0-9]+)*)$"
)
# ob-<build>-<os>-<version>-<arch>[-vmi][-k8s]-<release name>; older items lack the build and
# the architecture (`photon-3-k8s-v1.23.8---vmware.2-tkg.2-zshippable`).
ITEM_NAME = re.compile(
    r"^(?:ob-\d+-)?(?P<os>[a-z]+-\d+)(?:-(?:amd64|arm64))?(?:-vmi)?(?:-k8s)?-"
    r"(?P<release>v\d+\.\d+\.\d+---vmware\.\S+)$"
)
KUBERNETES_VERSION = re.compile(r"^v?(?P<major>\d+)\.(?P<minor>\d+)(?:\.(?P<patch>\d+))?")
REVISION = re.compile(r"(?:tkg|vkr)\.(\d+)")

TOO_NEW = "Requires a Supervisor running Kubernetes {major}.{minor} or later."
TOO_OLD = "No longer supported by this Supervisor."


@dataclass(frozen=True)
class KubernetesRelease:
    name: str  # v1.29.4---vmware.3-fips.1-tkg.1: the TKr object's name
    version: str  # v1.29.4+vmware.3-fips.1-tkg.1: what VERSION shows and a cluster asks for
    kubernetes_version: str  # v1.29.4
    major: int
    minor: int
    patch: int
    os_images: tuple[str, ...] = ()  # photon-5, ubuntu-2204: one per node image in the library
    legacy: bool = False  # a TKG 2 (`-tkg.N`) release rather than a VKS (`-vkr.N`) one
    ready: bool = False
    compatible: bool = False
    reason: str = ""  # why it is not compatible, for people
    created_at: datetime | None = field(default=None, compare=False)

    @property
    def minor_version(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def type(self) -> str:
        """The TYPE column of `kubectl get tkr` (TKG Service 3.1+)."""
        return "legacy" if self.legacy else "vkr"

    @property
    def order(self) -> tuple:
        """Sort key, oldest first: Kubernetes version, then VMware's build and revision."""
        m = RELEASE_NAME.match(self.name)
        vmware = int(m["vmware"]) if m else 0
        revision = REVISION.search(self.name)
        return (
            self.major,
            self.minor,
            self.patch,
            vmware,
            int(revision.group(1)) if revision else 0,
            self.name,
        )


def release_name(text: str) -> str:
    """A release name from a name or a version: `v1.29.4+vmware.3...` -> `v1.29.4---vmware.3...`."""
    return (text or "").strip().replace("+", "---")


def parse_item_name(item_name: str) -> tuple[str, str] | None:
    """(release name, OS image) for a node image's library item name, or None for other items."""
    m = ITEM_NAME.match(item_name)
    if m is None or RELEASE_NAME.match(m["release"]) is None:
        return None
    return m["release"], m["os"]


def supervisor_minor(supervisor=None) -> tuple[int, int]:
    """(major, minor) of the Supervisor's Kubernetes: its reported version once it runs, else
    the version a new Supervisor reports (settings.VKS_SUPERVISOR_K8S_VERSION)."""
    version = getattr(supervisor, "kubernetes_version", "") or settings.VKS_SUPERVISOR_K8S_VERSION
    m = KUBERNETES_VERSION.match(version)
    if m is None:
        m = KUBERNETES_VERSION.match(settings.VKS_SUPERVISOR_K8S_VERSION)
    return int(m["major"]), int(m["minor"])


def compatibility(major: int, minor: int, *, supervisor=None) -> tuple[bool, str]:
    """(compatible, reason) of a Kubernetes major.minor with the Supervisor."""
    sup_major, sup_minor = supervisor_minor(supervisor)
    newest = sup_minor + settings.VKS_KUBERNETES_MINORS_AHEAD
    if (major, minor) > (sup_major, newest):
        needed = max(minor - settings.VKS_KUBERNETES_MINORS_AHEAD, 0)
        return False, TOO_NEW.format(major=major, minor=needed)
    if (major, minor) < (sup_major, settings.VKS_KUBERNETES_MIN_MINOR):
        return False, TOO_OLD
    return True, ""


def release_for(
    name: str,
    *,
    supervisor=None,
    os_images: tuple[str, ...] = (),
    created_at: datetime | None = None,
) -> KubernetesRelease | None:
    """The release a name (or `+` version) stands for, or None if it is not a release name.
    Also describes a release a cluster runs that its library no longer holds."""
    name = release_name(name)
    m = RELEASE_NAME.match(name)
    if m is None:
        return None
    major, minor, patch = int(m["major"]), int(m["minor"]), int(m["patch"])
    compatible, reason = compatibility(major, minor, supervisor=supervisor)
    return KubernetesRelease(
        name=name,
        version=name.replace("---", "+"),
        kubernetes_version=f"v{major}.{minor}.{patch}",
        major=major,
        minor=minor,
        patch=patch,
        os_images=tuple(sorted(set(os_images))),
        legacy=bool(re.search(r"(?:^|[-.])tkg\.\d+", m["suffix"])),
        ready=compatible,
        compatible=compatible,
        reason=reason,
        created_at=created_at,
    )


def _releases(items, *, supervisor=None) -> list[KubernetesRelease]:
    images: dict[str, set[str]] = {}
    created: dict[str, datetime] = {}
    for item_name, item_created in items:
        parsed = parse_item_name(item_name)
        if parsed is None:
            continue
        name, os_image = parsed
        images.setdefault(name, set()).add(os_image)
        # The release exists from its first image on, as the TKr controller creates it then.
        if name not in created or item_created < created[name]:
            created[name] = item_created
    releases = [
        release_for(name, supervisor=supervisor, os_images=tuple(os), created_at=created[name])
        for name, os in images.items()
    ]
    return sorted(releases, key=lambda r: r.order, reverse=True)


def releases_in(library: ContentLibrary | None, *, supervisor=None) -> list[KubernetesRelease]:
    """Every release the library's node images make, newest first. One query."""
    if library is None:
        return []
    items = ContentLibraryItem.objects.filter(library=library, name__contains="---vmware.")
    return _releases(items.values_list("name", "created_at"), supervisor=supervisor)


def releases_in_libraries(libraries, *, supervisor=None) -> list[KubernetesRelease]:
    """Every release the node images of any of `libraries` (ids or a queryset) make, newest
    first: a release found in two libraries is one release. One query."""
    items = ContentLibraryItem.objects.filter(library__in=libraries, name__contains="---vmware.")
    return _releases(items.values_list("name", "created_at"), supervisor=supervisor)


def releases_by_namespace(namespaces) -> dict[int, list[KubernetesRelease]]:
    """`releases_in` for the libraries of many namespaces (their Supervisors loaded): namespace
    pk -> releases. One query, however many namespaces."""
    libraries = {ns.kubernetes_library_id for ns in namespaces} - {None}
    items: dict[int, list] = {library: [] for library in libraries}
    rows = ContentLibraryItem.objects.filter(library__in=libraries, name__contains="---vmware.")
    for library, name, created in rows.values_list("library_id", "name", "created_at"):
        items[library].append((name, created))
    made: dict[tuple, list[KubernetesRelease]] = {}
    found = {}
    for ns in namespaces:
        key = (ns.kubernetes_library_id, ns.supervisor_id)
        if key not in made:
            made[key] = _releases(items.get(key[0], []), supervisor=ns.supervisor)
        found[ns.pk] = made[key]
    return found


def release_named(
    library: ContentLibrary | None, name: str, *, supervisor=None
) -> KubernetesRelease | None:
    """The release called `name` (or with that `+` version) in the library, or None. One query."""
    name = release_name(name)
    if library is None or RELEASE_NAME.match(name) is None:
        return None
    items = ContentLibraryItem.objects.filter(library=library, name__endswith=f"-{name}")
    releases = _releases(items.values_list("name", "created_at"), supervisor=supervisor)
    return next((r for r in releases if r.name == name), None)


def upgrade_error(current: KubernetesRelease, target: KubernetesRelease) -> str | None:
    """Why a cluster on `current` may not move to `target`, or None if it may (or if they are
    the same release: nothing to do). The rules of TKr upgrades: never down, never to another
    major, one minor at a time, and only to a Ready and Compatible release."""
    if target.name == current.name:
        return None
    same_k8s = target.kubernetes_version == current.kubernetes_version
    before, after = (
        (current.version, target.version)
        if same_k8s
        else (current.kubernetes_version, target.kubernetes_version)
    )
    if target.order[:-1] < current.order[:-1]:
        return (
            f"Downgrading from {before} to {after} is not supported; a cluster's Kubernetes "
            "version can only go up."
        )
    if target.major != current.major:
        return (
            f"Upgrading from {before} to {after} changes the major version, which is not supported."
        )
    if target.minor > current.minor + 1:
        skipped = [f"{current.major}.{m}" for m in range(current.minor + 1, target.minor)]
        what = "minor version" if len(skipped) == 1 else "minor versions"
        return (
            f"Upgrading from {before} to {after} skips {what} {', '.join(skipped)}; upgrade one "
            "minor version at a time."
        )
    if not target.compatible:
        return (
            f"Kubernetes release {target.version} is not compatible with this Supervisor: "
            f"{target.reason}"
        )
    if not target.ready:
        return f"Kubernetes release {target.version} is not ready."
    return None


def updates_available(
    release: KubernetesRelease, releases: list[KubernetesRelease]
) -> list[KubernetesRelease]:
    """The UPDATES AVAILABLE column: the next minor's releases `release` may upgrade to, newest
    first."""
    return sorted(
        (
            r
            for r in releases
            if (r.major, r.minor) == (release.major, release.minor + 1)
            and upgrade_error(release, r) is None
        ),
        key=lambda r: r.order,
        reverse=True,
    )
