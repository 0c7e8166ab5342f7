"""TanzuKubernetesReleases (run.tanzu.vmware.com v1alpha3): the Kubernetes releases the node
images of the caller's namespaces' libraries make, Ready and Compatible as for the portal."""

from __future__ import annotations

from kubeapi.supervisor.common import (
    CONDITIONS,
    TANZU_GROUP,
    QuerySource,
    array,
    metadata,
    obj,
    resource_schema,
    string,
    visible_namespaces,
)
from kubeapi.surface import Column, Context, ResourceType, age, object_uid, path, timestamp
from workloads.manifests import kubelet_version
from workloads.releases import KubernetesRelease, releases_in_libraries

LEGACY_LABEL = "run.tanzu.vmware.com/legacy-tkr"


def _release_rows(ctx: Context, _namespace, name) -> list[KubernetesRelease]:
    namespaces = list(visible_namespaces(ctx).exclude(kubernetes_library=None))
    if not namespaces:
        return []
    # Compatibility is judged against the Supervisor the caller's namespaces run on.
    supervisor = namespaces[0].supervisor
    libraries = {ns.kubernetes_library_id for ns in namespaces}
    releases = releases_in_libraries(libraries, supervisor=supervisor)
    return [r for r in releases if name is None or r.name == name]


def _condition(type_: str, ok: bool, reason: str, message: str, at) -> dict:
    c = {"type": type_, "status": "True" if ok else "False"}
    if not ok:
        c.update(reason=reason, message=message)
    c["lastTransitionTime"] = timestamp(at)
    return c


def _release_objects(ctx: Context, rows: list[KubernetesRelease]) -> list[dict]:
    objects = []
    for r in rows:
        labels = {LEGACY_LABEL: ""} if r.legacy else {}
        objects.append(
            {
                "apiVersion": f"{TANZU_GROUP}/v1alpha3",
                "kind": "TanzuKubernetesRelease",
                "metadata": metadata(
                    r.name,
                    uid=object_uid("TanzuKubernetesRelease", r.name, r.created_at),
                    created=r.created_at,
                    generation=1,
                    labels=labels,
                ),
                "spec": {
                    "version": r.version,
                    "kubernetes": {
                        "version": kubelet_version(r.name),
                        "imageRepository": "localhost:5000/vmware.io",
                    },
                    "osImages": [{"name": f"{r.name}-{os}"} for os in r.os_images],
                },
                "status": {
                    "conditions": [
                        _condition("Ready", r.ready, "NotCompatible", r.reason, r.created_at),
                        _condition(
                            "Compatible", r.compatible, "NotCompatible", r.reason, r.created_at
                        ),
                    ]
                },
            }
        )
    return objects


RELEASE_SCHEMA = resource_schema(
    TANZU_GROUP,
    "v1alpha3",
    "TanzuKubernetesRelease",
    "A Kubernetes release VKS clusters may run: made from the node images of a content library.",
    spec=obj(
        "What the release is.",
        version=string("The release's version, with `+` where the name has `---`."),
        kubernetes=obj(
            "Its Kubernetes.",
            version=string("The Kubernetes version its nodes report."),
            imageRepository=string("Where its component images come from."),
        ),
        osImages=array(
            "The node OS images it comes in.",
            obj("An OS image.", name=string("The OSImage's name.")),
        ),
    ),
    status=obj(
        "Whether clusters may use it.",
        conditions=CONDITIONS,
    ),
)

RELEASES_TYPE = ResourceType(
    group=TANZU_GROUP,
    version="v1alpha3",
    plural="tanzukubernetesreleases",
    singular="tanzukubernetesrelease",
    kind="TanzuKubernetesRelease",
    namespaced=False,
    source=QuerySource(f"tanzukubernetesreleases.{TANZU_GROUP}", _release_rows, _release_objects),
    short_names=("tkr",),
    columns=(
        Column.at("Version", "spec.version"),
        Column.condition("Ready", "Ready"),
        Column.condition("Compatible", "Compatible"),
        Column(
            "Created",
            lambda o, ctx: age(path(o, "metadata.creationTimestamp"), ctx.now),
            type="date",
            json_path=".metadata.creationTimestamp",
        ),
    ),
    schema=RELEASE_SCHEMA,
    description="Kubernetes releases of the caller's namespaces' libraries.",
)
