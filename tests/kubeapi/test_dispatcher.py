"""The dispatcher with a surface of its own (one namespaced, writable type kept in memory): the
paths, verbs, bodies, tables, selectors, pages and errors every resource type shares."""

from __future__ import annotations

import json

import pytest

from kubeapi import surfaces, tokens
from kubeapi.surface import Column, ResourceType, Surface

GROUP = "example.vks.io"
BASE = f"/apis/{GROUP}/v1"
TABLE = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json"


class Store:
    """Widgets by (namespace, name); `spec.size` must be positive."""

    def __init__(self):
        self.items: dict[tuple[str, str], dict] = {}

    def list(self, ctx, namespace):
        return [o for (ns, _), o in self.items.items() if namespace in (None, ns)]

    def get(self, ctx, namespace, name):
        return self.items.get((namespace, name))

    def _save(self, namespace, body, dry_run):
        name = body["metadata"]["name"]
        obj = {**body, "metadata": {**body["metadata"], "resourceVersion": "7"}}
        if not dry_run:
            self.items[(namespace, name)] = obj
        return obj

    def create(self, ctx, namespace, body, *, dry_run):
        return self._save(namespace, body, dry_run)

    def replace(self, ctx, namespace, name, body, *, dry_run):
        return self._save(namespace, body, dry_run)

    def delete(self, ctx, namespace, name, options, *, dry_run):
        if not dry_run:
            del self.items[(namespace, name)]
        return None


SCHEMA = {
    "type": "object",
    "properties": {
        "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
    },
}


@pytest.fixture
def store(monkeypatch):
    store = Store()
    widgets = ResourceType(
        group=GROUP,
        version="v1",
        plural="widgets",
        singular="widget",
        kind="Widget",
        namespaced=True,
        source=store,
        writer=store,
        short_names=("wd",),
        columns=(Column.at("Size", "spec.size", type="integer"), Column.age()),
        schema=SCHEMA,
    )
    surface = Surface("test", git_version="v1.30.1+vmware.1")
    surface.add(widgets)
    monkeypatch.setattr(surfaces, "supervisor_surface", lambda: surface)
    return store


@pytest.fixture
def kube(kube_as, editor):
    return kube_as(editor)


def widget(name: str, size: int = 1, **labels) -> dict:
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Widget",
        "metadata": {"name": name, "labels": labels},
        "spec": {"size": size},
    }


def post(kube, namespace, body, **query):
    url = f"{BASE}/namespaces/{namespace}/widgets"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return kube.post(url, json.dumps(body), content_type="application/json")


def test_discovery_names_the_group_and_its_resources(kube, store):
    assert kube.get("/api").json()["versions"] == ["v1"]
    groups = kube.get("/apis").json()
    assert groups["kind"] == "APIGroupList"
    assert [g["name"] for g in groups["groups"]] == [GROUP]
    resources = kube.get(BASE).json()
    assert resources["groupVersion"] == f"{GROUP}/v1"
    (entry,) = resources["resources"]
    assert entry["name"] == "widgets" and entry["shortNames"] == ["wd"]
    assert set(entry["verbs"]) >= {"get", "list", "watch", "create", "patch", "delete"}
    assert kube.get("/version").json()["gitVersion"] == "v1.30.1+vmware.1"


def test_no_token_is_401_and_an_expired_one_too(client, editor, store, namespace):
    body = client.get(f"{BASE}/namespaces/{namespace.name}/widgets").json()
    assert body["code"] == 401 and body["reason"] == "Unauthorized"
    old = tokens.issue(editor, now=0)
    answer = client.get("/apis", HTTP_AUTHORIZATION=f"Bearer {old}")
    assert answer.status_code == 401


def test_create_get_list_as_table(kube, store, namespace):
    created = post(kube, namespace.name, widget("a", 3, tier="web"))
    assert created.status_code == 201, created.content
    assert created.json()["metadata"]["namespace"] == namespace.name
    post(kube, namespace.name, widget("b", 5, tier="db"))
    listed = kube.get(f"{BASE}/namespaces/{namespace.name}/widgets").json()
    assert listed["kind"] == "WidgetList"
    assert [i["metadata"]["name"] for i in listed["items"]] == ["a", "b"]
    table = kube.get(f"{BASE}/namespaces/{namespace.name}/widgets", HTTP_ACCEPT=TABLE).json()
    assert table["kind"] == "Table"
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Size", "Age"]
    assert [r["cells"][:2] for r in table["rows"]] == [["a", 3], ["b", 5]]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"


def test_selectors_and_pages(kube, store, namespace):
    for name, tier in (("a", "web"), ("b", "db"), ("c", "web")):
        post(kube, namespace.name, widget(name, tier=tier))
    url = f"{BASE}/namespaces/{namespace.name}/widgets"
    web = kube.get(url, {"labelSelector": "tier=web"}).json()["items"]
    assert [i["metadata"]["name"] for i in web] == ["a", "c"]
    notin = kube.get(url, {"labelSelector": "tier notin (web)"}).json()["items"]
    assert [i["metadata"]["name"] for i in notin] == ["b"]
    named = kube.get(url, {"fieldSelector": "metadata.name=b"}).json()["items"]
    assert [i["metadata"]["name"] for i in named] == ["b"]
    first = kube.get(url, {"limit": "2"}).json()
    assert len(first["items"]) == 2 and first["metadata"]["remainingItemCount"] == 1
    rest = kube.get(url, {"limit": "2", "continue": first["metadata"]["continue"]}).json()
    assert [i["metadata"]["name"] for i in rest["items"]] == ["c"]
    assert kube.get(url, {"labelSelector": "tier in web"}).status_code == 400


def test_merge_patch_json_patch_and_apply(kube, store, namespace):
    post(kube, namespace.name, widget("a", 1))
    url = f"{BASE}/namespaces/{namespace.name}/widgets/a"
    merged = kube.patch(
        url, json.dumps({"spec": {"size": 4}}), content_type="application/merge-patch+json"
    )
    assert merged.status_code == 200 and merged.json()["spec"]["size"] == 4
    ops = [{"op": "replace", "path": "/spec/size", "value": 6}]
    patched = kube.patch(url, json.dumps(ops), content_type="application/json-patch+json")
    assert patched.json()["spec"]["size"] == 6
    strategic = kube.patch(url, "{}", content_type="application/strategic-merge-patch+json")
    assert strategic.status_code == 415
    applied = kube.patch(
        f"{url}?fieldManager=kubectl",
        "spec:\n  size: 9\n",
        content_type="application/apply-patch+yaml",
    )
    assert applied.json()["spec"]["size"] == 9
    new = kube.patch(
        f"{BASE}/namespaces/{namespace.name}/widgets/z?fieldManager=kubectl",
        json.dumps(widget("z", 2)),
        content_type="application/apply-patch+yaml",
    )
    assert new.status_code == 201


def test_dry_run_and_strict_validation(kube, store, namespace):
    assert post(kube, namespace.name, widget("a"), dryRun="All").status_code == 201
    assert store.items == {}
    bad = widget("a")
    bad["spec"]["colour"] = "red"
    refused = post(kube, namespace.name, bad, fieldValidation="Strict")
    assert refused.status_code == 400
    assert 'unknown field "spec.colour"' in refused.json()["message"]
    assert post(kube, namespace.name, bad).status_code == 201  # no Strict: dropped silently


def test_body_checks(kube, store, namespace):
    other = widget("a")
    other["kind"] = "Gadget"
    assert post(kube, namespace.name, other).status_code == 400
    elsewhere = widget("a")
    elsewhere["metadata"]["namespace"] = "elsewhere"
    assert post(kube, namespace.name, elsewhere).status_code == 400
    url = f"{BASE}/namespaces/{namespace.name}/widgets"
    assert kube.post(url, "{", content_type="application/json").status_code == 400
    assert kube.post(url, "x", content_type="text/plain").status_code == 415


@pytest.mark.parametrize(
    ("metadata", "field"),
    [
        ({"name": 5}, "metadata.name"),
        ({"name": "a", "generateName": ["x"]}, "metadata.generateName"),
        ({"name": "a", "resourceVersion": 7}, "metadata.resourceVersion"),
        ({"name": "a", "labels": "tier=web"}, "metadata.labels"),
        ({"name": "a", "annotations": {"note": 1}}, "metadata.annotations"),
        ("a", "metadata"),
    ],
)
def test_metadata_of_the_wrong_type_is_a_400_naming_it(kube, store, namespace, metadata, field):
    """As the API server's decoder refuses it, before any rule (it used to be a 500)."""
    body = {**widget("a"), "metadata": metadata}
    answer = post(kube, namespace.name, body)
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["message"]
    assert store.items == {}


def test_a_patch_that_breaks_metadata_is_a_400(kube, store, namespace):
    post(kube, namespace.name, widget("a"))
    url = f"{BASE}/namespaces/{namespace.name}/widgets/a"
    for kind, patch in (
        ("application/merge-patch+json", {"metadata": "x"}),
        ("application/json-patch+json", [{"op": "replace", "path": "/metadata", "value": 1}]),
        ("application/merge-patch+json", {"metadata": {"labels": {"a": 1}}}),
    ):
        answer = kube.patch(url, json.dumps(patch), content_type=kind)
        assert answer.status_code == 400, answer.content
        assert "metadata" in answer.json()["message"]


def test_a_json_patch_sent_as_a_merge_patch_is_told_so(kube, store, namespace):
    """CustomObjectsApi.patch_* sends merge-patch+json whatever the body: say what to send."""
    post(kube, namespace.name, widget("a"))
    operations = [{"op": "replace", "path": "/spec/size", "value": 2}]
    url = f"{BASE}/namespaces/{namespace.name}/widgets/a"
    answer = kube.patch(url, json.dumps(operations), content_type="application/merge-patch+json")
    assert answer.status_code == 400
    assert "application/json-patch+json" in answer.json()["message"]
    answer = kube.patch(url, json.dumps(operations), content_type="application/json-patch+json")
    assert answer.json()["spec"]["size"] == 2


def test_a_namespace_without_a_role_is_not_found(kube_as, stranger, store, namespace):
    body = kube_as(stranger).get(f"{BASE}/namespaces/{namespace.name}/widgets").json()
    assert body["code"] == 404 and body["message"] == f'namespaces "{namespace.name}" not found'


def test_delete_and_unknown_paths(kube, store, namespace):
    post(kube, namespace.name, widget("a"))
    gone = kube.delete(f"{BASE}/namespaces/{namespace.name}/widgets/a")
    assert gone.json()["status"] == "Success"
    missing = kube.get(f"{BASE}/namespaces/{namespace.name}/widgets/a").json()
    assert missing["code"] == 404
    assert missing["message"] == f'widgets.{GROUP} "a" not found'
    assert kube.get("/apis/nothing.io/v1").status_code == 404


def test_openapi_v3_lists_the_group_and_its_schema(kube, store):
    root = kube.get("/openapi/v3").json()["paths"]
    url = root[f"apis/{GROUP}/v1"]["serverRelativeURL"]
    document = kube.get(url).json()
    schema = document["components"]["schemas"]["io.vks.example.v1.Widget"]
    assert schema["x-kubernetes-group-version-kind"] == [
        {"group": GROUP, "kind": "Widget", "version": "v1"}
    ]
    patch = document["paths"][f"{BASE}/namespaces/{{namespace}}/widgets/{{name}}"]["patch"]
    assert "fieldValidation" in [p["name"] for p in patch["parameters"]]


def watch_lines(answer) -> list[dict]:
    """The events of a watch that ends (timeoutSeconds), read as a client reads the stream."""
    from asgiref.sync import async_to_sync

    async def read():
        return b"".join([chunk async for chunk in answer.streaming_content])

    return [json.loads(line) for line in async_to_sync(read)().splitlines()]


def test_a_table_watch_prints_each_age_as_of_its_event(kube, store, namespace):
    """kubectl get -w: an event's AGE is the object's age when the event is sent, not when the
    watch began (a watch lasts up to 30 minutes)."""
    import time_machine

    post(kube, namespace.name, widget("a", 3))
    store.items[(namespace.name, "a")]["metadata"]["creationTimestamp"] = "2026-01-01T00:00:00Z"
    with time_machine.travel("2026-01-01T00:00:30Z", tick=False) as clock:
        answer = kube.get(
            f"{BASE}/namespaces/{namespace.name}/widgets?watch=1&timeoutSeconds=0",
            HTTP_ACCEPT=TABLE,
        )
        clock.shift(600)  # the event is made as the stream is read
        (event,) = watch_lines(answer)
    assert event["type"] == "ADDED"
    table = event["object"]
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Size", "Age"]
    assert table["rows"][0]["cells"] == ["a", 3, "10m"]


@pytest.mark.django_db(transaction=True)  # the stream reads the log on a thread of its own
def test_a_watch_from_a_pruned_resource_version_ends_with_410_expired(kube, store, namespace):
    """What client-go and the Python client's Watch look for to list again."""
    from django.utils import timezone

    from kubeapi import changes

    old = changes.record("widgets", namespace.name, "a", changes.ADDED)
    changes.record("widgets", namespace.name, "a", changes.MODIFIED)
    changes.record("widgets", namespace.name, "b", changes.ADDED)
    changes.prune(keep_seconds=0, keep_rows=1, now=timezone.now())
    answer = kube.get(
        f"{BASE}/namespaces/{namespace.name}/widgets?watch=1&resourceVersion={old}&timeoutSeconds=5"
    )
    (event,) = watch_lines(answer)
    assert event["type"] == "ERROR"
    status = event["object"]
    assert (status["kind"], status["code"], status["reason"]) == ("Status", 410, "Expired")
    assert status["message"].startswith(f"too old resource version: {old}")


@pytest.mark.django_db(transaction=True)  # the stream reads the log on a thread of its own
def test_a_watch_resumed_from_a_resource_version_sends_what_changed_since(kube, store, namespace):
    """The client holds what existed at its resourceVersion: a change to it is MODIFIED, an
    object made since is ADDED, one removed since is DELETED with its last state."""
    from kubeapi import changes

    key, ns = f"widgets.{GROUP}", namespace.name
    for name in ("kept", "gone"):
        post(kube, ns, widget(name))
        changes.record(key, ns, name, changes.ADDED)
    start = changes.current()
    store.items[(ns, "kept")]["spec"]["size"] = 7
    changes.record(key, ns, "kept", changes.MODIFIED)
    post(kube, ns, widget("new"))
    changes.record(key, ns, "new", changes.ADDED)
    del store.items[(ns, "gone")]
    changes.record(key, ns, "gone", changes.DELETED)
    answer = kube.get(
        f"{BASE}/namespaces/{ns}/widgets?watch=1&resourceVersion={start}&timeoutSeconds=0"
    )
    events = [(e["type"], e["object"]["metadata"]["name"]) for e in watch_lines(answer)]
    assert events == [("MODIFIED", "kept"), ("ADDED", "new"), ("DELETED", "gone")]
