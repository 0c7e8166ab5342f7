"""The Supervisor's `/wcp/*` endpoints that `kubectl vsphere login` (and the Tanzu CLI) call before
any Kubernetes request:

- `GET /wcp/loginbanner`: 200 and the banner text, no authentication; clients take the 200 to
  mean "this is a Supervisor".
- `POST /wcp/login` with HTTP Basic credentials of an SSO user: `{"session_id": <token>}`, a JWT
  for the Supervisor's API, valid 10 hours. With a body `{"guest_cluster_name",
  "guest_cluster_namespace"}` it logs in to a VKS cluster instead: the token opens that cluster's
  API only, and `guest_cluster_server` / `guest_cluster_ca` (base64 of the PEM) say where it is
  and whom to trust.

The real `guest_cluster_server` is the cluster's bare VIP (clients add `https://` and `:6443`);
here it is the full URL this application serves the cluster's API at (kubeapi.endpoints), as the
CLI Tools page explains.

Credentials go through `django.contrib.auth.authenticate`, so the SSO backend's lockout policy
holds here as on every other way in. Basic auth on every call, no cookie: CSRF-exempt, and no
session is made."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from django.contrib.auth import authenticate
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from inventory.auth import NO_PERMISSION
from inventory.lockout import ACCOUNT_LOCKED, login_locked
from inventory.permissions import may_log_in
from kubeapi import endpoints, tokens
from vksportal.untrusted import InputError, clip, load_json
from workloads.access import namespaces_visible_to
from workloads.models import VksCluster

BANNER = (
    "This is a simulated vSphere Supervisor (VKS Portal). Log in with your vCenter Single "
    "Sign-On credentials.\n"
)
REALM = 'Basic realm="Supervisor"'
MAX_BODY = 16 * 1024  # the body is two names
INVALID_CREDENTIALS = "Invalid credentials"
NO_CREDENTIALS = "Log in with HTTP Basic authentication: user@domain and password."


@dataclass
class LoginRefused(Exception):
    """Why `/wcp/login` says no: the status and a sentence, answered as JSON."""

    status: int
    message: str

    def response(self) -> JsonResponse:
        response = JsonResponse({"message": self.message}, status=self.status)
        if self.status == 401:  # RFC 9110: a 401 names the scheme it wants
            response["WWW-Authenticate"] = REALM
        return response


@require_GET
def loginbanner(request):
    return HttpResponse(BANNER, content_type="text/plain; charset=utf-8")


@csrf_exempt  # Basic auth on each call, never a cookie: nothing a forged request could ride on
@never_cache  # the answer is a credential
@require_POST
def login(request):
    try:
        username, password = basic_credentials(request)
        target = guest_target(request)
        user = sso_user(request, username, password)
        if target is None:
            return JsonResponse({"session_id": tokens.issue(user)})
        cluster = guest_cluster_find(user, *target)
    except LoginRefused as refused:
        return refused.response()
    return JsonResponse(
        {
            "session_id": tokens.issue(user, audience=tokens.cluster_audience(cluster)),
            "guest_cluster_server": endpoints.cluster_server(cluster, request),
            "guest_cluster_ca": base64.b64encode(endpoints.ca_pem().encode()).decode(),
        }
    )


def basic_credentials(request) -> tuple[str, str]:
    """(user, password) from `Authorization: Basic`, or 401."""
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        raise LoginRefused(401, NO_CREDENTIALS)
    try:
        # UTF-8 as curl and Go's net/http send it (RFC 7617 charset="UTF-8").
        text = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise LoginRefused(401, NO_CREDENTIALS) from None
    username, colon, password = text.partition(":")
    if not colon or not username or "\x00" in text:
        raise LoginRefused(401, NO_CREDENTIALS)
    return username, password


def guest_target(request) -> tuple[str, str | None] | None:
    """(cluster, namespace or None) the body asks to log in to, or None for the Supervisor.
    An empty body and `{}` are a Supervisor login; anything malformed is a 400."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_BODY:  # refuse before reading it
        raise LoginRefused(413 if length.isdigit() else 400, "The request body is too large.")
    if not request.body.strip():
        return None
    try:
        body = load_json(request.body, max_bytes=MAX_BODY)
    except InputError as error:
        raise LoginRefused(error.status, error.message) from None
    if not isinstance(body, dict):
        raise LoginRefused(400, "The request body must be a JSON object.")
    name, namespace = body.get("guest_cluster_name"), body.get("guest_cluster_namespace")
    for field, value in (("guest_cluster_name", name), ("guest_cluster_namespace", namespace)):
        if value is not None and not isinstance(value, str):
            raise LoginRefused(400, f"{field} must be a string.")
    if not name:
        return None
    return name, namespace or None


def sso_user(request, username: str, password: str):
    """The user the credentials name, if they may log in; else 401 with the vSphere Client's
    words (a locked account says so, whatever the password)."""
    user = authenticate(request, username=username, password=password)
    if user is None:
        raise LoginRefused(401, ACCOUNT_LOCKED if login_locked(username) else INVALID_CREDENTIALS)
    if not may_log_in(user):
        raise LoginRefused(401, NO_PERMISSION)
    return user


def guest_cluster_find(user, name: str, namespace: str | None) -> VksCluster:
    """The VKS cluster `name` in `namespace` (or, without one, in whichever namespace the user
    may see holds it): 404 alike for a cluster that does not exist and one the user may not
    see; 400 when several namespaces hold one of that name; 409 before it has an API VIP."""
    found = VksCluster.objects.select_related("namespace").filter(
        name=name, namespace__in=namespaces_visible_to(user)
    )
    if namespace is not None:
        found = found.filter(namespace__name=namespace)
    clusters = list(found.order_by("namespace__name")[:2])
    where = f" in namespace {clip(namespace)}" if namespace else ""
    if not clusters:
        raise LoginRefused(404, f"VKS cluster {clip(name)}{where} was not found.")
    if len(clusters) > 1:
        raise LoginRefused(
            400,
            f"More than one namespace holds a VKS cluster named {clip(name)}: "
            "give guest_cluster_namespace.",
        )
    cluster = clusters[0]
    if not cluster.api_endpoint:
        raise LoginRefused(409, f"VKS cluster {cluster.name} has no API endpoint yet.")
    return cluster
