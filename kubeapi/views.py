"""The one dispatcher of every Kubernetes path, for the Supervisor's API (at the root) and each
VKS cluster's (under `/vks/<namespace>/<cluster>/`): discovery, OpenAPI, and list / get / watch /
create / replace / patch / delete of any resource type of the surface, as the API server routes
them (`/api/v1/...`, `/apis/<group>/<version>/...`, namespaced or not).

Rules live in the sources and writers (and the services behind them); this module only reads the
request, filters, pages, renders and streams."""

from __future__ import annotations

import base64
import binascii
import copy
import dataclasses
import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator

from asgiref.sync import sync_to_async
from django.core.exceptions import PermissionDenied
from django.db import OperationalError, connection
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from kubeapi import changes, openapi, patches, protobuf
from kubeapi.http import (
    APPLY_PATCH,
    JSON,
    JSON_PATCH,
    MERGE_PATCH,
    NO_STORE,
    KubeError,
    error_response,
    field_selector,
    json_response,
    label_selector,
    media_type,
    read_body,
    table,
    wants_table,
)
from kubeapi.status import status_body
from kubeapi.surface import READ_VERBS, Context, ResourceType, Surface
from kubeapi.surfaces import Scope, guest_scope, supervisor_scope
from vksportal.errors import DomainError
from vksportal.untrusted import MAX_BYTES

logger = logging.getLogger(__name__)

MAX_LIMIT = 500  # kubectl asks for 500 at a time; a bigger limit is cut to it
WATCH_MAX_SECONDS = 1800  # the API server's --min-request-timeout: a watch ends, clients resume
BOOKMARK_SECONDS = 60


@csrf_exempt  # bearer tokens are not ambient; a browser's cookie login is CSRF-checked in http.py
def supervisor_api(request: HttpRequest, rest: str = "") -> HttpResponse:
    return _answer(request, lambda: _dispatch(request, supervisor_scope(request), rest))


@csrf_exempt
def guest_api(request: HttpRequest, namespace: str, cluster: str, rest: str = "") -> HttpResponse:
    return _answer(
        request, lambda: _dispatch(request, guest_scope(request, namespace, cluster), rest)
    )


def _answer(request: HttpRequest, respond) -> HttpResponse:
    """Every answer in the API server's terms, a bug included (an InternalError Status, logged
    with its traceback, rather than an HTML page a client cannot read)."""
    try:
        return respond()
    except KubeError as error:
        return error_response(error)
    except OperationalError:  # the database is busy or away: clients retry a 503
        logger.warning("Kubernetes API: database unavailable: %s %s", request.method, request.path)
        busy = KubeError(
            503,
            "ServiceUnavailable",
            "the server is currently unable to handle the request",
            {"retryAfterSeconds": 1},
        )
        response = error_response(busy)
        response["Retry-After"] = "1"
        return response
    except Exception:
        logger.exception("Kubernetes API: %s %s", request.method, request.path)
        return error_response(
            KubeError(
                500,
                "InternalError",
                "an error on the server has prevented the request from succeeding",
            )
        )


# ---------------------------------------------------------------- routing


def _dispatch(request: HttpRequest, scope: Scope, rest: str) -> HttpResponse:
    parts = [p for p in rest.split("/") if p]
    surface = scope.surface
    if not parts:
        return json_response({"paths": sorted(_paths(surface))})
    head = parts[0]
    if head in ("version", "healthz", "livez", "readyz") and len(parts) == 1:
        return _read_only(request) or (
            json_response(surface.version_info())
            if head == "version"
            else HttpResponse("ok", content_type="text/plain")
        )
    if head == "openapi":
        _read_only(request, raise_=True)
        ctx = scope.context(request)  # the schema is for people who may call the API
        return openapi.respond(request, surface, parts[1:], ctx)
    if head == "api":
        if len(parts) == 1:
            return _discovery(request, scope, surface.api_versions())
        if parts[1] != "v1":
            raise KubeError.not_found(None, "")
        return _resources(request, scope, "", "v1", parts[2:])
    if head == "apis":
        if len(parts) == 1:
            return _discovery(request, scope, surface.group_list())
        group = parts[1]
        versions = surface.group_versions().get(group)
        if not versions:
            raise KubeError.not_found(None, "")
        if len(parts) == 2:
            return _discovery(
                request,
                scope,
                {"kind": "APIGroup", "apiVersion": "v1", **surface.group_entry(group, versions)},
            )
        if parts[2] not in versions:
            raise KubeError.not_found(None, "")
        return _resources(request, scope, group, parts[2], parts[3:])
    raise KubeError.not_found(None, "")


def _paths(surface: Surface) -> set[str]:
    found = {"/api", "/api/v1", "/apis", "/openapi/v3", "/version"}
    for group, versions in surface.group_versions().items():
        if group:
            found.add(f"/apis/{group}")
            found.update(f"/apis/{group}/{v}" for v in versions)
    return found


def _read_only(request: HttpRequest, raise_: bool = False) -> HttpResponse | None:
    if request.method in ("GET", "HEAD"):
        return None
    error = KubeError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
    )
    if raise_:
        raise error
    return error_response(error)


def _discovery(request: HttpRequest, scope: Scope, body: dict | None) -> HttpResponse:
    _read_only(request, raise_=True)
    scope.context(request)  # discovery needs credentials, as on the real API server
    if body is None:
        raise KubeError.not_found(None, "")
    return json_response(body)


def _resources(
    request: HttpRequest, scope: Scope, group: str, version: str, parts: list[str]
) -> HttpResponse:
    surface = scope.surface
    if not parts:
        return _discovery(request, scope, surface.resource_list(group, version))
    namespace = None
    # /namespaces/<ns>/<plural>... is a namespaced path unless it names the namespaces
    # resource itself (/api/v1/namespaces/<name>[/status]).
    if parts[0] == "namespaces" and len(parts) >= 3 and surface.find(group, version, parts[2]):
        namespace, parts = parts[1], parts[2:]
    resource = surface.find(group, version, parts[0])
    if resource is None or len(parts) > 3:
        raise KubeError.not_found(None, "")
    name = parts[1] if len(parts) > 1 else None
    subresource = parts[2] if len(parts) > 2 else None
    if subresource not in (None, "status"):
        raise KubeError.not_found(None, "")
    if namespace is not None and not resource.namespaced:
        raise KubeError.not_found(None, "")
    if resource.namespaced and name is not None and namespace is None:
        raise KubeError.not_found(None, "")
    ctx = scope.context(request)
    if namespace is not None:
        scope.check_namespace(ctx, namespace)
    if resource.forbids is not None and resource.forbids(ctx, namespace):
        verb = VERBS.get((request.method, name is None), "get")
        raise KubeError.forbidden(ctx, verb, resource, name or "", namespace)
    handler = _Handler(request, scope, ctx, resource, namespace, name)
    method = request.method
    verb = _verb(request, name)
    # A verb the type does not serve (a review is only created); a write to a read-only type
    # is the scope's refusal instead (a VKS cluster's API answers 403).
    if verb not in resource.verbs and (verb in READ_VERBS or resource.writer is not None):
        raise KubeError(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    if method in ("GET", "HEAD"):
        if name is None:
            return handler.watch() if _flag(request, "watch") else handler.list()
        return handler.get()
    if subresource is not None:
        raise KubeError(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
    if method == "POST" and name is None:
        return handler.create()
    if method == "PUT" and name is not None:
        return handler.replace()
    if method == "PATCH" and name is not None:
        return handler.patch()
    if method == "DELETE" and name is not None:
        return handler.delete()
    raise KubeError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
    )


VERBS = {  # (method, on the collection) -> the verb RBAC names
    ("GET", True): "list",
    ("GET", False): "get",
    ("HEAD", True): "list",
    ("HEAD", False): "get",
    ("POST", True): "create",
    ("PUT", False): "update",
    ("PATCH", False): "patch",
    ("DELETE", False): "delete",
}


def _verb(request: HttpRequest, name: str | None) -> str:
    if request.method in ("GET", "HEAD") and name is None and _flag(request, "watch"):
        return "watch"
    return VERBS.get((request.method, name is None), "")


def _flag(request: HttpRequest, key: str) -> bool:
    return request.GET.get(key, "").lower() in ("1", "true")


# ---------------------------------------------------------------- verbs


class _Handler:
    def __init__(
        self, request, scope: Scope, ctx: Context, resource: ResourceType, namespace, name
    ):
        self.request, self.scope, self.ctx = request, scope, ctx
        self.resource, self.namespace, self.name = resource, namespace, name

    # ------------------------------------------------------------ reads

    def _selected(self) -> list[dict]:
        objects = list(self.resource.source.list(self.ctx, self.namespace))
        for key, build in (("labelSelector", label_selector), ("fieldSelector", None)):
            text = self.request.GET.get(key, "")
            if not text:
                continue
            match = build(text) if build else field_selector(text, self.resource)
            objects = [o for o in objects if match(o)]
        return sorted(objects, key=_key)

    def list(self) -> HttpResponse:
        rv = changes.current()
        objects = self._selected()
        objects, meta = _page(self.request, objects, rv)
        table_version = wants_table(self.request)
        if table_version:
            include = self.request.GET.get("includeObject", "Metadata")
            body = table(
                self.resource,
                objects,
                self.ctx,
                version=table_version,
                include_object=include,
                list_meta=meta,
            )
            return json_response(body)
        return json_response(
            {
                "apiVersion": self.resource.api_version,
                "kind": f"{self.resource.kind}List",
                "metadata": meta,
                "items": [_typed(self.resource, o) for o in objects],
            }
        )

    def _object(self) -> dict:
        obj = self.resource.source.get(self.ctx, self.namespace, self.name)
        if obj is None:
            raise KubeError.not_found(self.resource, self.name)
        return _typed(self.resource, obj)

    def get(self) -> HttpResponse:
        return self._answer(self._object())

    def _answer(self, obj: dict, status: int = 200) -> HttpResponse:
        table_version = wants_table(self.request)
        if table_version:
            meta = {"resourceVersion": (obj.get("metadata") or {}).get("resourceVersion", "")}
            include = self.request.GET.get("includeObject", "Metadata")
            return json_response(
                table(
                    self.resource,
                    [obj],
                    self.ctx,
                    version=table_version,
                    include_object=include,
                    list_meta=meta,
                ),
                status,
            )
        return json_response(obj, status)

    # ------------------------------------------------------------ writes

    def _writer(self, verb: str):
        writer = self.resource.writer
        if writer is None:
            refusal = self.scope.write_refusal(
                self.ctx, verb, self.resource, self.name or "", self.namespace
            )
            raise refusal
        return writer

    def _dry_run(self) -> bool:
        values = self.request.GET.getlist("dryRun")
        if any(v != "All" for v in values):
            raise KubeError.bad_request(f'Invalid dry run value: {values}: supported values: "All"')
        return bool(values)

    def _body(self) -> dict:
        decode = getattr(self.resource, "from_protobuf", None)
        if decode is not None and media_type(self.request) == protobuf.MEDIA_TYPE:
            body = decode(self.request.body[: MAX_BYTES + 1])
        else:
            body = read_body(self.request)
        if not isinstance(body, dict):
            raise KubeError.bad_request("the body of the request is not an object")
        return body

    def _check_body(self, body: dict, *, name: str | None) -> dict:
        """What the API server's decoder checks before any rule: apiVersion and kind (filled in
        when left out), the namespace and, for a replace, the name."""
        resource = self.resource
        given_version, given_kind = body.get("apiVersion"), body.get("kind")
        if given_version and given_version != resource.api_version:
            raise KubeError.bad_request(
                f"the API version in the data ({given_version}) does not match the expected "
                f"API version ({resource.api_version})"
            )
        if given_kind and given_kind != resource.kind:
            raise KubeError.bad_request(
                f"the kind in the data ({given_kind}) does not match the expected kind "
                f"({resource.kind})"
            )
        metadata = body.get("metadata")
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, dict):
            raise KubeError.bad_request("metadata: must be an object")
        self._check_metadata(metadata)
        given_namespace = metadata.get("namespace")
        if resource.namespaced and given_namespace and given_namespace != self.namespace:
            raise KubeError.bad_request(
                "the namespace of the provided object does not match the namespace sent on "
                "the request"
            )
        if name is not None and metadata.get("name") and metadata["name"] != name:
            raise KubeError.bad_request(
                f"the name of the object ({metadata['name']}) does not match the name on the "
                f"URL ({name})"
            )
        metadata = {**metadata}
        if name is not None:
            metadata.setdefault("name", name)
        if resource.namespaced:
            metadata["namespace"] = self.namespace
        self._strict(body)
        return {
            **body,
            "apiVersion": resource.api_version,
            "kind": resource.kind,
            "metadata": metadata,
        }

    def _check_metadata(self, metadata: dict) -> None:
        """The types ObjectMeta's decoder insists on: a number for a name is a 400 naming the
        field, never something a rule further on trips over."""
        problem = None
        for key in ("name", "generateName", "namespace", "resourceVersion", "uid"):
            if metadata.get(key) is not None and not isinstance(metadata[key], str):
                problem = f"metadata.{key}: must be a string"
                break
        for key in ("labels", "annotations"):
            value = metadata.get(key)
            if value is None or problem:
                continue
            if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                problem = f"metadata.{key}: must be a map of strings to strings"
        if problem:
            kind = self.resource.kind
            raise KubeError.bad_request(
                f'{kind} in version "{self.resource.version}" cannot be handled as a {kind}: '
                f"{problem}"
            )

    def _strict(self, body: dict) -> None:
        """`fieldValidation=Strict` (kubectl's default): an unknown field is a 400."""
        mode = self.request.GET.get("fieldValidation", "")
        if mode not in ("", "Ignore", "Warn", "Strict"):
            raise KubeError.bad_request(
                f"fieldValidation must be one of Ignore, Warn, Strict; got {mode!r}"[:200]
            )
        if mode != "Strict" or not self.resource.schema:
            return
        unknown = openapi.unknown_fields(self.resource.schema, body)
        if unknown:
            fields = ", ".join(f'unknown field "{f}"' for f in unknown[:10])
            raise KubeError.bad_request(
                f'{self.resource.kind} in version "{self.resource.version}" cannot be handled as a '
                f"{self.resource.kind}: strict decoding error: {fields}"
            )

    def _domain(self, call, name: str):
        """A write through the services; their refusals in the API server's terms."""
        try:
            return call()
        except DomainError as error:
            raise self.scope.domain_error(error, self.resource, name) from None
        except Http404:
            raise KubeError.not_found(self.resource, name) from None
        except PermissionDenied:  # RBAC names the object, or for a create only the collection
            verb = VERBS.get((self.request.method, self.name is None), "update")
            named = name if self.name is not None else ""
            raise KubeError.forbidden(
                self.ctx, verb, self.resource, named, self.namespace
            ) from None

    def create(self) -> HttpResponse:
        writer = self._writer("create")
        body = self._check_body(self._body(), name=None)
        name = body["metadata"].get("name") or ""
        dry_run = self._dry_run()
        obj = self._domain(
            lambda: writer.create(self.ctx, self.namespace, body, dry_run=dry_run), name
        )
        return self._answer(_typed(self.resource, obj), 201)

    def replace(self) -> HttpResponse:
        writer = self._writer("update")
        body = self._check_body(self._body(), name=self.name)
        self._object()  # 404 before any rule
        dry_run = self._dry_run()
        obj = self._domain(
            lambda: writer.replace(self.ctx, self.namespace, self.name, body, dry_run=dry_run),
            self.name,
        )
        return self._answer(_typed(self.resource, obj))

    def patch(self) -> HttpResponse:
        writer = self._writer("patch")
        kind = media_type(self.request)
        if kind not in (MERGE_PATCH, JSON_PATCH, APPLY_PATCH):
            raise KubeError.unsupported(JSON_PATCH, MERGE_PATCH, APPLY_PATCH)
        body = read_body(self.request)
        dry_run = self._dry_run()
        if kind == APPLY_PATCH:
            if not self.request.GET.get("fieldManager"):
                raise KubeError.bad_request(
                    'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
                    "is required for apply patch"
                )
            if not isinstance(body, dict):
                raise KubeError.bad_request("the body of the request is not an object")
            current = self.resource.source.get(self.ctx, self.namespace, self.name)
            if current is None:  # server-side apply creates what is not there
                applied = self._check_body(body, name=self.name)
                obj = self._domain(
                    lambda: writer.create(self.ctx, self.namespace, applied, dry_run=dry_run),
                    self.name,
                )
                return self._answer(_typed(self.resource, obj), 201)
            merged = patches.apply(_typed(self.resource, current), body)
        else:
            current = self._object()
            if kind == MERGE_PATCH and not isinstance(body, dict):  # the Python client's default
                raise KubeError.bad_request(
                    "a merge patch must be a JSON object; a list of operations is a JSON patch: "
                    f"send it as {JSON_PATCH}"
                )
            merged = (
                patches.merge(current, body)
                if kind == MERGE_PATCH
                else patches.json_patch(current, body)
            )
            if not isinstance(merged, dict):
                raise KubeError.bad_request("the patch does not leave an object")
        merged = _without_server_fields(merged)
        if not isinstance(body, dict) or not (body.get("metadata") or {}).get("resourceVersion"):
            merged["metadata"].pop("resourceVersion", None)  # a patch is applied to what is
        merged = self._check_body(merged, name=self.name)
        obj = self._domain(
            lambda: writer.replace(self.ctx, self.namespace, self.name, merged, dry_run=dry_run),
            self.name,
        )
        return self._answer(_typed(self.resource, obj))

    def delete(self) -> HttpResponse:
        writer = self._writer("delete")
        options = read_body(self.request) if self.request.body.strip() else {}
        if not isinstance(options, dict):
            raise KubeError.bad_request("the body of the request is not DeleteOptions")
        self._object()
        dry_run = self._dry_run() or options.get("dryRun") == ["All"]
        obj = self._domain(
            lambda: writer.delete(self.ctx, self.namespace, self.name, options, dry_run=dry_run),
            self.name,
        )
        if obj is None:  # gone at once: a Status of Success, as the API server answers
            details = self.resource.details(self.name)
            return json_response(
                {
                    "kind": "Status",
                    "apiVersion": "v1",
                    "metadata": {},
                    "status": "Success",
                    "details": details,
                }
            )
        return self._answer(_typed(self.resource, obj))

    # ------------------------------------------------------------ watch

    def watch(self) -> HttpResponse:
        start = self.request.GET.get("resourceVersion", "")
        if start and not start.isdigit():
            raise KubeError.bad_request(f"invalid resource version: {start[:40]}")
        timeout = _timeout(self.request)
        label = (
            label_selector(self.request.GET["labelSelector"])
            if self.request.GET.get("labelSelector")
            else None
        )
        field = (
            field_selector(self.request.GET["fieldSelector"], self.resource)
            if self.request.GET.get("fieldSelector")
            else None
        )
        # The stream reads on threads of its own: the request's connection goes back to the pool
        # now rather than when the watch ends (a watch lasts up to 30 minutes).
        connection.close()
        stream = _Watch(
            self,
            int(start) if start else None,
            timeout,
            label,
            field,
            _flag(self.request, "allowWatchBookmarks"),
        )
        response = StreamingHttpResponse(stream.events(), content_type=JSON)
        response["Cache-Control"] = NO_STORE
        response["X-Accel-Buffering"] = "no"
        return response


def _timeout(request: HttpRequest) -> float:
    text = request.GET.get("timeoutSeconds", "")
    if not text:
        return WATCH_MAX_SECONDS
    if not text.isdigit():
        raise KubeError.bad_request("timeoutSeconds must be a whole number of seconds")
    return min(int(text), WATCH_MAX_SECONDS)


# Objects built for watches, newest last: (change key, apiVersion, (namespace, name),
# resourceVersion, user) -> the object or None. Never changed once built (events copy).
_BUILT: OrderedDict = OrderedDict()
_UNBUILT = object()
BUILT_MAX = 4096


class _Watch:
    """One watch: the objects as they are (ADDED) unless a resourceVersion was given, then every
    change after it, replayed from the change log and followed live."""

    def __init__(
        self, handler: _Handler, start: int | None, timeout: float, label, field, bookmarks: bool
    ):
        self.h, self.start, self.timeout = handler, start, timeout
        self.label, self.field, self.bookmarks = label, field, bookmarks
        self.table = wants_table(handler.request)
        self.include = handler.request.GET.get("includeObject", "Metadata")
        self.sent: dict[tuple[str, str], dict] = {}  # objects the client holds, by (ns, name)
        self.cursor: changes.Cursor | int = 0  # where the change log is read on from
        self.unheld: set[tuple[str, str]] = set()  # made or sent gone since the start
        self.first_table = True

    def _matches(self, obj: dict) -> bool:
        return (self.label is None or self.label(obj)) and (self.field is None or self.field(obj))

    def _line(self, type_: str, obj: dict) -> bytes:
        if self.table and type_ in ("ADDED", "MODIFIED", "DELETED"):
            meta = {"resourceVersion": (obj.get("metadata") or {}).get("resourceVersion", "")}
            obj = table(
                self.h.resource,
                [obj],
                # AGE as of this event, not of the watch's start (a watch lasts up to 30 min)
                dataclasses.replace(self.h.ctx, now=timezone.now()),
                version=self.table,
                include_object=self.include,
                list_meta=meta,
                headers=self.first_table,
            )
            self.first_table = False
        return (json.dumps({"type": type_, "object": obj}, separators=(",", ":")) + "\n").encode()

    def _initial(self) -> tuple[changes.Cursor, list[bytes]]:
        cursor = changes.current_cursor()  # before the list: nothing in between is missed
        lines = []
        for obj in self.h._selected():
            obj = _typed(self.h.resource, obj)
            self.sent[_key(obj)] = obj
            lines.append(self._line("ADDED", obj))
        return cursor, lines

    def _keys(self) -> set[str]:
        return {self.h.scope.change_key(self.h.resource)}

    def _catch_up(self) -> list[bytes]:
        """The lines for every change after the cursor; the cursor moves past them. A bare
        resourceVersion older than the log's horizon raises changes.Gone."""
        h = self.h
        lines = []
        latest: dict[tuple[str, str], changes.Change] = {}
        while True:
            batch = changes.changes_since(
                self.cursor, resources=self._keys(), namespace=h.namespace
            )
            self.cursor = batch.cursor
            for change in batch:
                key = (change.namespace, change.name)
                latest[key] = change  # the newest says how it is now
                if change.type == "ADDED":
                    self.unheld.add(key)  # made after the watch's start: not the client's yet
            if len(batch) < changes.LIMIT:
                break
        if h.resource.watch_relists:
            return self._relisted() if latest else []
        for key, change in sorted(latest.items(), key=lambda kv: kv[1].rv):
            obj = None
            if change.type != "DELETED":
                obj = self._built(key, change.rv)
            held = self._held(key)
            if obj is not None and self._matches(obj):
                obj = _typed(h.resource, obj)
                lines.append(self._line("MODIFIED" if held else "ADDED", obj))
                self.sent[key] = obj
            elif held:  # gone, or left the selection: DELETED with its last state
                lines.append(self._line("DELETED", self._gone(key, change)))
        return lines

    def _built(self, key: tuple[str, str], rv: int) -> dict | None:
        """The object as of change `rv`, built once per process for every watch of the same
        user: a change wakes a hundred watches of a dashboard, not a hundred builds."""
        h = self.h
        memo = (h.scope.change_key(h.resource), h.resource.api_version, key, rv, h.ctx.user.pk)
        found = _BUILT.get(memo, _UNBUILT)
        if found is _UNBUILT:
            namespace = key[0] if h.resource.namespaced else None
            found = _BUILT[memo] = h.resource.source.get(h.ctx, namespace, key[1])
            while len(_BUILT) > BUILT_MAX:
                _BUILT.popitem(last=False)
        return found

    def _held(self, key: tuple[str, str]) -> bool:
        """Whether the client holds the object: it was sent, or, on a watch resumed from a
        resourceVersion, it existed then (the log shows no ADDED since) and was not sent gone."""
        if key in self.sent:
            return True
        return self.start is not None and self.start > 0 and key not in self.unheld

    def _gone(self, key: tuple[str, str], change: changes.Change) -> dict:
        """A DELETED event's object: the last state sent, or the one the log kept."""
        self.unheld.add(key)
        last = self.sent.pop(key, None)
        stored = {"apiVersion": self.h.resource.api_version, "kind": self.h.resource.kind}
        gone = copy.deepcopy(last) if last else {**stored, **(change.object or {})}
        metadata = gone.setdefault("metadata", {})
        metadata.setdefault("name", key[1])
        if key[0]:
            metadata.setdefault("namespace", key[0])
        deleted = (change.object or {}).get("metadata") or {}
        if deleted.get("deletionTimestamp"):
            metadata["deletionTimestamp"] = deleted["deletionTimestamp"]
        metadata["resourceVersion"] = str(change.rv)
        return gone

    async def events(self) -> AsyncIterator[bytes]:
        deadline = time.monotonic() + self.timeout
        run = _on_a_thread
        try:
            if not self.start:  # "" or "0": the objects as they are, then what changes
                self.cursor, lines = await run(self._initial)()
                for line in lines:
                    yield line
            else:  # resume: what changed after `start`, from the log
                self.cursor = self.start
            last_bookmark = time.monotonic()
            while True:
                for line in await run(self._catch_up)():
                    yield line
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                if self.bookmarks and time.monotonic() - last_bookmark >= BOOKMARK_SECONDS:
                    last_bookmark = time.monotonic()
                    yield self._bookmark(int(self.cursor))
                await changes.wait(self.cursor, min(left, BOOKMARK_SECONDS), self._keys())
        except changes.Gone as gone:
            yield self._error(410, "Expired", str(gone))
        except KubeError as error:
            yield self._error(error.code, error.reason, error.message)

    def _relisted(self) -> list[bytes]:
        """The difference between the objects as they are and those the client holds."""
        lines = []
        now = {_key(o): _typed(self.h.resource, o) for o in self.h._selected()}
        for key, obj in now.items():
            held = self.sent.get(key)
            if held is None or held != obj:
                lines.append(self._line("ADDED" if held is None else "MODIFIED", obj))
        for key in self.sent.keys() - now.keys():
            lines.append(self._line("DELETED", self.sent[key]))
        self.sent = now
        return lines

    def _bookmark(self, rv: int) -> bytes:
        obj = {
            "apiVersion": self.h.resource.api_version,
            "kind": self.h.resource.kind,
            "metadata": {"resourceVersion": str(rv)},
        }
        return (
            json.dumps({"type": "BOOKMARK", "object": obj}, separators=(",", ":")) + "\n"
        ).encode()

    def _error(self, code: int, reason: str, message: str) -> bytes:
        return (
            json.dumps(
                {"type": "ERROR", "object": status_body(code, reason, message)},
                separators=(",", ":"),
            )
            + "\n"
        ).encode()


# ---------------------------------------------------------------- helpers


def _on_a_thread(read):
    """`read` as a coroutine on a worker thread, whose database connection goes back to the
    pool after it: a hundred idle watches hold no connection."""

    def once(*args):
        try:
            return read(*args)
        finally:
            connection.close()

    return sync_to_async(once, thread_sensitive=False)


def _key(obj: dict) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return (meta.get("namespace") or "", meta.get("name") or "")


def _typed(resource: ResourceType, obj: dict) -> dict:
    """Every object answered names its apiVersion and kind first, as the API server's do."""
    if obj.get("apiVersion") == resource.api_version and obj.get("kind") == resource.kind:
        return obj
    rest = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    return {"apiVersion": resource.api_version, "kind": resource.kind, **rest}


SERVER_FIELDS = (
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "managedFields",
    "selfLink",
)


def _without_server_fields(merged: dict) -> dict:
    """A patched object keeps the server's metadata (a patch may not change it) and drops the
    status (the status subresource is the reconcilers')."""
    body = {k: v for k, v in merged.items() if k != "status"}
    if not isinstance(body.get("metadata") or {}, dict):
        raise KubeError.bad_request("metadata: must be an object")
    metadata = dict(body.get("metadata") or {})
    for key in SERVER_FIELDS:
        if key != "resourceVersion":  # kept: a patch naming a version is a precondition
            metadata.pop(key, None)
    body["metadata"] = metadata
    return body


def _page(request: HttpRequest, objects: list[dict], rv: int) -> tuple[list[dict], dict]:
    """`limit` and `continue`: the token names where the next page starts (after that key)."""
    meta: dict = {"resourceVersion": str(rv)}
    token = request.GET.get("continue", "")
    if token:
        try:
            start = json.loads(base64.urlsafe_b64decode(token.encode()[:1024]))
            after = (str(start["ns"]), str(start["name"]))
        except (ValueError, KeyError, TypeError, binascii.Error):
            raise KubeError.bad_request("continue key is not valid") from None
        objects = [o for o in objects if _key(o) > after]
    text = request.GET.get("limit", "")
    if text:
        if not text.isdigit():
            raise KubeError.bad_request("limit must be a whole number")
        limit = min(int(text), MAX_LIMIT) or MAX_LIMIT
        if len(objects) > limit:
            last = _key(objects[limit - 1])
            meta["remainingItemCount"] = len(objects) - limit
            objects = objects[:limit]
            token = json.dumps({"ns": last[0], "name": last[1]}).encode()
            meta["continue"] = base64.urlsafe_b64encode(token).decode()
    return objects, meta
