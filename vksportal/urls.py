from django.contrib.auth.views import LogoutView
from django.urls import include, path

from inventory.views import SsoLoginView

urlpatterns = [
    path("login/", SsoLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(), name="logout"),
    path("workload-management/", include("workloads.urls")),
    path("", include("inventory.urls")),
]
