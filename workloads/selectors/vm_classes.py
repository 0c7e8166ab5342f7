"""Reads for the VM Service and the Kubernetes Service: VM classes with their namespace counts,
the Services tab's two cards, and the Kubernetes releases page. Query counts are fixed, however
many classes, libraries or releases there are."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count
from django.http import Http404

from inventory.models import ContentLibrary
from workloads.models import Supervisor, VirtualMachineClass
from workloads.releases import KubernetesRelease, releases_in, updates_available


def vm_class_rows() -> list[VirtualMachineClass]:
    """Every VM class by name, each with `namespace_count`: one query."""
    return list(
        VirtualMachineClass.objects.annotate(namespace_count=Count("namespaces")).order_by("name")
    )


def vm_class_get(name: str) -> VirtualMachineClass:
    vm_class = VirtualMachineClass.objects.filter(name=name).first()
    if vm_class is None:
        raise Http404(f"No VM class {name}")
    return vm_class


def vm_class_namespaces(vm_class: VirtualMachineClass) -> list[str]:
    return sorted(vm_class.namespaces.values_list("name", flat=True))


# ---------------------------------------------------------------- Kubernetes releases


def _library_id(sup: Supervisor) -> str:
    return str(sup.spec.get("size", {}).get("content_library") or "")


def release_libraries() -> list[ContentLibrary]:
    """Content libraries holding at least one Kubernetes node image: one query."""
    return list(
        ContentLibrary.objects.filter(items__name__contains="---vmware.")
        .distinct()
        .order_by("name")
    )


def _supervisors() -> list[Supervisor]:
    return list(Supervisor.objects.only("name", "spec", "kubernetes_version").order_by("name"))


def _pick(
    libraries: list[ContentLibrary], supervisors: list[Supervisor], library_id: str | None
) -> tuple[ContentLibrary | None, Supervisor | None]:
    """The library asked for, else the first Supervisor's, else the first one; and the
    Supervisor whose releases they are (compatibility is judged against its Kubernetes)."""
    by_id = {str(lib.library_id): lib for lib in libraries}
    library = by_id.get(str(library_id or ""))
    if library is None:
        library = next(
            (by_id[_library_id(s)] for s in supervisors if _library_id(s) in by_id),
            libraries[0] if libraries else None,
        )
    supervisor = next(
        (s for s in supervisors if library and _library_id(s) == str(library.library_id)), None
    )
    return library, supervisor


@dataclass(frozen=True)
class ReleaseRow:
    release: KubernetesRelease
    updates: list[KubernetesRelease]


@dataclass(frozen=True)
class ReleasePage:
    libraries: list[ContentLibrary]
    library: ContentLibrary | None
    supervisor: Supervisor | None  # None: judged against a new Supervisor's Kubernetes
    rows: list[ReleaseRow]

    @property
    def compatible_count(self) -> int:
        return sum(1 for r in self.rows if r.release.compatible)


def kubernetes_release_page(library_id: str | None = None) -> ReleasePage:
    """`kubectl get tkr` for one library, with UPDATES AVAILABLE: three queries (libraries,
    Supervisors, the library's items)."""
    libraries = release_libraries()
    library, supervisor = _pick(libraries, _supervisors(), library_id)
    releases = releases_in(library, supervisor=supervisor)
    rows = [ReleaseRow(r, updates_available(r, releases)) for r in releases]
    return ReleasePage(libraries, library, supervisor, rows)


# ---------------------------------------------------------------- Workload Management › Services


@dataclass(frozen=True)
class ServicesSummary:
    vm_class_count: int
    library_count: int
    kubernetes_library: ContentLibrary | None
    supervisor: Supervisor | None
    release_count: int
    compatible_count: int


def services_summary() -> ServicesSummary:
    """The VM Service and Kubernetes Service cards: five queries."""
    supervisors = _supervisors()
    library, supervisor = _pick(release_libraries(), supervisors, None)
    releases = releases_in(library, supervisor=supervisor)
    return ServicesSummary(
        vm_class_count=VirtualMachineClass.objects.count(),
        library_count=ContentLibrary.objects.count(),
        kubernetes_library=library,
        supervisor=supervisor,
        release_count=len(releases),
        compatible_count=sum(1 for r in releases if r.compatible),
    )
