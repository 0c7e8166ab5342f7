"""`/api/session` as vCenter serves it: create with HTTP basic auth (the token, a bare JSON string,
201), read (who and when), delete (204). And the JSON 404 for any other `/api/` path."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.api.authentication import SessionTokenAuthentication, SsoBasicAuthentication
from inventory.api.errors import ErrorSerializer
from inventory.api.sessions import session_close, session_open
from inventory.tasklog import sso_principal

UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="UNAUTHENTICATED")


def iso(value) -> str:
    """vCenter's timestamps: UTC with milliseconds, `2025-01-31T09:30:00.000Z`."""
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class SessionInfoSerializer(serializers.Serializer):
    user = serializers.CharField(help_text="DOMAIN\\name, e.g. VSPHERE.LOCAL\\administrator.")
    created_time = serializers.CharField()
    last_accessed_time = serializers.CharField()


class SessionView(APIView):
    def get_authenticators(self):
        # Only creating a session takes a password; the rest take the session's token.
        if getattr(self.request, "method", "GET") == "POST":
            return [SsoBasicAuthentication()]
        return [SessionTokenAuthentication()]

    @extend_schema(
        operation_id="session_create",
        request=None,
        responses={
            201: OpenApiResponse(
                {"type": "string"}, description="The session token, a bare JSON string."
            ),
            401: UNAUTHENTICATED,
        },
    )
    def post(self, request):
        token = session_open(user=request.user, request=request._request)
        return Response(token, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="session_get",
        responses={200: SessionInfoSerializer, 401: UNAUTHENTICATED},
    )
    def get(self, request):
        session = request.auth
        body = {
            "user": sso_principal(request.user),
            "created_time": iso(session.created),
            "last_accessed_time": iso(session.accessed),
        }
        return Response(SessionInfoSerializer(body).data)

    @extend_schema(operation_id="session_delete", responses={204: None, 401: UNAUTHENTICATED})
    def delete(self, request):
        session_close(request.auth.token)
        return Response(status=status.HTTP_204_NO_CONTENT)


class NotFoundView(APIView):
    """Any other path under /api/: the vAPI NOT_FOUND body, not the HTML 404 page."""

    schema = None  # not an operation
    authentication_classes: list = []
    permission_classes: list = []

    def _missing(self, request, *args, **kwargs):
        raise Http404(f"No API operation at {request.path}.")

    get = post = put = patch = delete = _missing
