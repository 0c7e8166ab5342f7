"""The tokens `POST /wcp/login` hands out and every Kubernetes endpoint takes as
`Authorization: Bearer`: JWTs (clients read their `exp`), HS256 with the SECRET_KEY, naming the
user and expiring after 10 hours as the Supervisor's do (VKS-REFERENCE §7.1). A token for a VKS
cluster carries its audience, so it opens that cluster's API and nothing else.

Standard library only: the format is three base64url parts and one HMAC."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

from django.conf import settings
from django.contrib.auth import get_user_model

from kubeapi.surface import object_uid

LIFETIME_SECONDS = 10 * 3600
ISSUER = "vks-portal"
SUPERVISOR_AUDIENCE = "supervisor"
MAX_TOKEN = 4096  # far above any token made here; a longer header is not ours


class TokenError(Exception):
    """Why a token is refused: the API server answers every case with one 401."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _sign(data: str) -> str:
    key = f"kubeapi.tokens:{settings.SECRET_KEY}".encode()
    return _b64(hmac.new(key, data.encode(), hashlib.sha256).digest())


def cluster_audience(cluster) -> str:
    """The audience of tokens for one VKS cluster's API: `vks:<pk>:<uid>`. The uid changes when
    a cluster is made again under a reused pk, so a token for the old one opens nothing."""
    return f"vks:{cluster.pk}:{object_uid('VksCluster', cluster.pk, cluster.created_at)}"


def issue(user, *, audience: str = SUPERVISOR_AUDIENCE, now: float | None = None) -> str:
    now = int(time.time() if now is None else now)
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {
        "iss": ISSUER,
        "sub": user.get_username(),
        "aud": audience,
        "iat": now,
        "exp": now + LIFETIME_SECONDS,
    }
    parts = (json.dumps(part, separators=(",", ":")).encode() for part in (header, claims))
    body = ".".join(_b64(part) for part in parts)
    return f"{body}.{_sign(body)}"


def claims_of(token: str, *, now: float | None = None) -> dict:
    """The claims of a token this application signed and that is still valid."""
    if len(token) > MAX_TOKEN or token.count(".") != 2:
        raise TokenError("malformed token")
    body, _, signature = token.rpartition(".")
    if not hmac.compare_digest(signature, _sign(body)):
        raise TokenError("bad signature")
    try:
        claims = json.loads(_unb64(body.partition(".")[2]))
    except (ValueError, UnicodeDecodeError):
        raise TokenError("malformed token") from None
    if not isinstance(claims, dict) or not isinstance(claims.get("exp"), int):
        raise TokenError("malformed token")
    if claims["exp"] <= (time.time() if now is None else now):
        raise TokenError("token expired")
    return claims


def user_of(token: str, *, audience: str = SUPERVISOR_AUDIENCE):
    """The active user a valid token for `audience` names."""
    claims = claims_of(token)
    if claims.get("aud") != audience:
        raise TokenError("token for another audience")
    user = get_user_model().objects.filter(username=claims.get("sub"), is_active=True).first()
    if user is None:
        raise TokenError("unknown user")
    return user
