"""`/wcp/`: the Supervisor's login endpoints (kubeapi.wcp) and the Kubernetes CLI Tools page with
its downloads (kubeapi.cli_tools). No trailing slash on the two endpoints clients call by path."""

from django.urls import path

from kubeapi import cli_tools, wcp

app_name = "wcp"
urlpatterns = [
    path("loginbanner", wcp.loginbanner, name="loginbanner"),
    path("login", wcp.login, name="login"),
    path("cli-tools/", cli_tools.cli_tools, name="cli-tools"),
    path("cli-tools/ca.crt", cli_tools.ca_certificate, name="ca-certificate"),
    path("cli-tools/kubeconfig", cli_tools.kubeconfig, name="kubeconfig"),
]
