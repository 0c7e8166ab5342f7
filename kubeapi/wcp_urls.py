"""`/wcp/`: the Supervisor's login endpoints (kubeapi.wcp). No trailing slash: clients call them
by path."""

from django.urls import path

from kubeapi import wcp

app_name = "wcp"
urlpatterns = [
    path("loginbanner", wcp.loginbanner, name="loginbanner"),
    path("login", wcp.login, name="login"),
]
