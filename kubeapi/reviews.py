"""The self-reviews every API server serves: `kubectl auth can-i` creates an
`authorization.k8s.io/v1` SelfSubjectAccessReview ("may I create tkc in payments?"), `auth can-i
--list` a SelfSubjectRulesReview ("what may I do in payments?"), `auth whoami` an
`authentication.k8s.io/v1` SelfSubjectReview ("who am I to you?"). The answers come from the
same rules the requests themselves meet: the caller's role in the vSphere Namespace
(workloads.access), the type's verbs on this surface, and a type's own refusal (`forbids`); a
VKS cluster's API is read-only to everyone it lets in.

A namespace the caller holds no role in is answered "no" with no reason, as for one that does
not exist, so names do not leak."""

from __future__ import annotations

from kubeapi.http import KubeError
from kubeapi.surface import READ_VERBS, Context, ResourceType, Surface
from vksportal.untrusted import clip

GROUP = "authorization.k8s.io"
AUTHENTICATION_GROUP = "authentication.k8s.io"
VERSION = "v1"

# What system:discovery and system:public-info-viewer grant every authenticated user.
DISCOVERY_URLS = (
    "/api",
    "/api/*",
    "/apis",
    "/apis/*",
    "/healthz",
    "/livez",
    "/openapi",
    "/openapi/*",
    "/readyz",
    "/version",
    "/version/",
)


# The fields of the protobuf messages kubectl sends (k8s.io/api/authorization/v1).
_META = {1: ("name", "string"), 3: ("namespace", "string")}
_RESOURCE_ATTRIBUTES = {
    1: ("namespace", "string"),
    2: ("verb", "string"),
    3: ("group", "string"),
    4: ("version", "string"),
    5: ("resource", "string"),
    6: ("subresource", "string"),
    7: ("name", "string"),
}
_NON_RESOURCE_ATTRIBUTES = {1: ("path", "string"), 2: ("verb", "string")}
ACCESS_REVIEW_PROTO = {
    1: ("metadata", _META),
    2: (
        "spec",
        {
            1: ("resourceAttributes", _RESOURCE_ATTRIBUTES),
            2: ("nonResourceAttributes", _NON_RESOURCE_ATTRIBUTES),
        },
    ),
}
RULES_REVIEW_PROTO = {1: ("metadata", _META), 2: ("spec", {1: ("namespace", "string")})}
# k8s.io/api/authentication/v1: kubectl sends an empty status, read only to be skipped.
SELF_REVIEW_PROTO = {1: ("metadata", _META)}
PROTO = {
    "SelfSubjectAccessReview": ACCESS_REVIEW_PROTO,
    "SelfSubjectRulesReview": RULES_REVIEW_PROTO,
    "SelfSubjectReview": SELF_REVIEW_PROTO,
}


class ReviewType(ResourceType):
    """A review is only ever created: no list, get, watch or delete (405), no stored object."""

    @property
    def verbs(self) -> tuple[str, ...]:
        return ("create",)

    def from_protobuf(self, data: bytes) -> dict:
        """kubectl's typed client sends the review as protobuf."""
        from kubeapi import protobuf

        return protobuf.decode(data, PROTO[self.kind])


class _Nothing:
    def list(self, ctx, namespace):
        return []

    def get(self, ctx, namespace, name):
        return None


def _text(value, where: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise KubeError.bad_request(f"{where}: must be a string")
    return clip(value, 253)


def _invalid(kind: str, field: str, message: str) -> KubeError:
    return KubeError(
        422,
        "Invalid",
        f'{kind}.{GROUP} "" is invalid: {field}: {message}',
        {"group": GROUP, "kind": kind, "causes": [{"field": field, "message": message}]},
    )


def user_info(user) -> dict:
    """The user as this API server's authenticator names it: `sso:` and the SSO user, as the
    Forbidden messages do, its SSO groups qualified by the SSO domain, as vSphere's
    authenticator names them, and `system:authenticated`, which every token carries."""
    from inventory.permissions import group_names
    from inventory.tasklog import SSO_DOMAIN

    groups = [f"sso:{g}@{SSO_DOMAIN}" for g in sorted(group_names(user))]
    return {"username": f"sso:{user.get_username()}", "groups": [*groups, "system:authenticated"]}


def _spec(body: dict) -> dict:
    spec = body.get("spec")
    if not isinstance(spec, dict):
        raise KubeError.bad_request("spec: must be an object")
    return spec


class _Reviews:
    """What the caller may do on `surface`, asked of the rules, not of stored RBAC objects."""

    def __init__(self, surface: Surface):
        self.surface = surface

    def _type(self, group: str, plural: str) -> ResourceType | None:
        for t in self.surface.types:
            if t.group == group and t.plural == plural:
                return t
        return None

    def role(self, ctx: Context, namespace: str):
        """The caller's role in the vSphere Namespace, None without one (or without it)."""
        from workloads.access import namespace_role
        from workloads.models import Namespace

        memo = ctx.__dict__.setdefault("_review_roles", {})  # one query per namespace asked
        if namespace not in memo:
            found = Namespace.objects.filter(name=namespace).first()
            memo[namespace] = namespace_role(ctx.user, found) if found is not None else None
        return memo[namespace]

    def decide(self, ctx: Context, attributes: dict) -> tuple[bool, str]:
        """(allowed, reason) for one request's attributes, as the dispatcher would answer it."""
        verb = _text(attributes.get("verb"), "spec.resourceAttributes.verb")
        group = _text(attributes.get("group"), "spec.resourceAttributes.group")
        plural = _text(attributes.get("resource"), "spec.resourceAttributes.resource")
        namespace = _text(attributes.get("namespace"), "spec.resourceAttributes.namespace")
        subresource = _text(attributes.get("subresource"), "spec.resourceAttributes.subresource")
        resource = self._type(group, plural)
        if resource is None or verb not in resource.verbs:
            return False, ""
        if isinstance(resource, ReviewType):  # system:basic-user's: everyone may ask
            return True, "every authenticated user may review itself"
        if subresource and (subresource != "status" or verb != "get"):
            return False, ""  # the status subresource is read here; the reconcilers write it
        if ctx.cluster is not None:  # a VKS cluster's API: read-only to all it lets in
            return True, "the VKS cluster's API lets every user of the cluster read"
        if not resource.namespaced or not namespace:
            if verb in READ_VERBS:  # across namespaces: the ones the caller holds a role in
                return True, "lists hold only what the user may see"
            return False, ""
        role = self.role(ctx, namespace)
        if role is None:
            return False, ""
        held = f'role "{role.label}" in the vSphere Namespace "{namespace}"'
        if resource.forbids is not None and resource.forbids(ctx, namespace):
            return False, f"the {held} does not allow reading {resource.plural}"
        if verb in READ_VERBS:
            return True, f"allowed by the {held}"
        from workloads.access import RANK, Role

        if RANK[role] >= RANK[Role.EDIT]:
            return True, f"allowed by the {held}"
        return False, f"the {held} does not allow {verb}"

    def rules(self, ctx: Context, namespace: str) -> list[dict]:
        """The resource rules in `namespace` (or cluster-wide ones without it)."""
        found = [
            {
                "verbs": ["create"],
                "apiGroups": [GROUP],
                "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
            },
            {
                "verbs": ["create"],
                "apiGroups": [AUTHENTICATION_GROUP],
                "resources": ["selfsubjectreviews"],
            },
        ]
        for t in self.surface.types:
            if isinstance(t, ReviewType):
                continue
            verbs = [
                v
                for v in t.verbs
                if self.decide(
                    ctx,
                    {
                        "verb": v,
                        "group": t.group,
                        "resource": t.plural,
                        "namespace": namespace if t.namespaced else "",
                    },
                )[0]
            ]
            if verbs:
                found.append({"verbs": verbs, "apiGroups": [t.group], "resources": [t.plural]})
        return found

    # ------------------------------------------------------------ the Writer protocol

    def create(self, ctx: Context, namespace, body: dict, *, dry_run: bool) -> dict:
        kind = body.get("kind") or ""
        if kind == "SelfSubjectReview":  # no spec: the answer is the caller
            return {**body, "status": {"userInfo": user_info(ctx.user)}}
        spec = _spec(body)
        if kind == "SelfSubjectRulesReview":
            where = _text(spec.get("namespace"), "spec.namespace")
            status = {
                "resourceRules": self.rules(ctx, where),
                "nonResourceRules": [{"verbs": ["get"], "nonResourceURLs": list(DISCOVERY_URLS)}],
                "incomplete": False,
            }
            return {**body, "spec": spec, "status": status}
        attributes = spec.get("resourceAttributes")
        non_resource = spec.get("nonResourceAttributes")
        if (attributes is None) == (non_resource is None):
            raise _invalid(
                kind,
                "spec.resourceAttributes",
                "exactly one of nonResourceAttributes or resourceAttributes must be specified",
            )
        if attributes is not None:
            if not isinstance(attributes, dict):
                raise KubeError.bad_request("spec.resourceAttributes: must be an object")
            allowed, reason = self.decide(ctx, attributes)
        else:
            if not isinstance(non_resource, dict):
                raise KubeError.bad_request("spec.nonResourceAttributes: must be an object")
            verb = _text(non_resource.get("verb"), "spec.nonResourceAttributes.verb")
            url = _text(non_resource.get("path"), "spec.nonResourceAttributes.path")
            allowed = verb == "get" and any(
                url == u or (u.endswith("*") and url.startswith(u[:-1])) for u in DISCOVERY_URLS
            )
            reason = "discovery is open to every authenticated user" if allowed else ""
        status = {"allowed": allowed}
        if reason:
            status["reason"] = reason
        return {**body, "spec": spec, "status": status}

    def replace(self, ctx, namespace, name, body, *, dry_run):  # pragma: no cover - 405 first
        raise KubeError(405, "MethodNotAllowed", "the server does not allow this method")

    def delete(self, ctx, namespace, name, options, *, dry_run):  # pragma: no cover
        raise KubeError(405, "MethodNotAllowed", "the server does not allow this method")


_ATTRIBUTES = {
    "type": "object",
    "properties": {
        k: {"type": "string"}
        for k in ("namespace", "verb", "group", "version", "resource", "subresource", "name")
    },
}


def types(surface: Surface) -> tuple[ResourceType, ...]:
    """The two review types, answering for `surface`."""
    reviews = _Reviews(surface)
    access_schema = {
        "type": "object",
        "properties": {
            "spec": {
                "type": "object",
                "properties": {
                    "resourceAttributes": _ATTRIBUTES,
                    "nonResourceAttributes": {
                        "type": "object",
                        "properties": {"path": {"type": "string"}, "verb": {"type": "string"}},
                    },
                },
            },
            "status": {
                "type": "object",
                "properties": {
                    "allowed": {"type": "boolean"},
                    "denied": {"type": "boolean"},
                    "reason": {"type": "string"},
                    "evaluationError": {"type": "string"},
                },
            },
        },
    }
    rules_schema = {
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": {"namespace": {"type": "string"}}},
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
        },
    }
    self_schema = {
        "type": "object",
        "properties": {
            "status": {
                "type": "object",
                "properties": {
                    "userInfo": {
                        "type": "object",
                        "properties": {
                            "username": {"type": "string"},
                            "uid": {"type": "string"},
                            "groups": {"type": "array", "items": {"type": "string"}},
                            "extra": {"type": "object", "additionalProperties": True},
                        },
                    }
                },
            }
        },
    }
    common = {"group": GROUP, "version": VERSION, "namespaced": False, "source": _Nothing()}
    return (
        ReviewType(
            plural="selfsubjectreviews",
            singular="selfsubjectreview",
            kind="SelfSubjectReview",
            writer=reviews,
            schema=self_schema,
            description="Who the API server takes the user for (`kubectl auth whoami`).",
            **{**common, "group": AUTHENTICATION_GROUP},
        ),
        ReviewType(
            plural="selfsubjectaccessreviews",
            singular="selfsubjectaccessreview",
            kind="SelfSubjectAccessReview",
            writer=reviews,
            schema=access_schema,
            description="Whether the user may perform an action.",
            **common,
        ),
        ReviewType(
            plural="selfsubjectrulesreviews",
            singular="selfsubjectrulesreview",
            kind="SelfSubjectRulesReview",
            writer=reviews,
            schema=rules_schema,
            description="The actions the user may perform in a namespace.",
            **common,
        ),
    )
