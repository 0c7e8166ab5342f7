"""`POST /api` (vAPI JSON-RPC; other methods of `/api` are the Kubernetes API's discovery) and
the REST routes of every registered operation."""

from django.http import HttpRequest, HttpResponse
from django.urls import re_path
from django.views.decorators.csrf import csrf_exempt

from kubeapi.views import supervisor_api
from vapi import jsonrpc, rest


@csrf_exempt  # the SDKs send a session id in the body, never a cookie
def api_root(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        return jsonrpc.invoke(request)
    return supervisor_api(request, rest="api")


urlpatterns = [re_path(r"^api/?$", api_root), *rest.urlpatterns()]
