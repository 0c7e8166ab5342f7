from django.urls import path

from workloads.views import supervisors

app_name = "workloads"
urlpatterns = [
    path("", supervisors.home, name="home"),
    path("enable/", supervisors.enable, name="supervisor-enable"),
    path(
        "supervisors/<uuid:supervisor_id>/",
        supervisors.supervisor_detail,
        name="supervisor-summary",
    ),
    path(
        "supervisors/<uuid:supervisor_id>/disable/",
        supervisors.supervisor_disable,
        name="supervisor-disable",
    ),
    path(
        "supervisors/<uuid:supervisor_id>/configure/<slug:section>/",
        supervisors.supervisor_edit,
        name="supervisor-edit",
    ),
    path(
        "supervisors/<uuid:supervisor_id>/<slug:tab>/",
        supervisors.supervisor_detail,
        name="supervisor-detail",
    ),
    path("<slug:tab>/", supervisors.home, name="home-tab"),
]
