from django.urls import path

from workloads import views

app_name = "workloads"
urlpatterns = [
    path("", views.home, name="home"),
    path("enable/", views.enable, name="supervisor-enable"),
    path("supervisors/<uuid:supervisor_id>/", views.supervisor_detail, name="supervisor-summary"),
    path(
        "supervisors/<uuid:supervisor_id>/disable/",
        views.supervisor_disable,
        name="supervisor-disable",
    ),
    path(
        "supervisors/<uuid:supervisor_id>/configure/<slug:section>/",
        views.supervisor_edit,
        name="supervisor-edit",
    ),
    path(
        "supervisors/<uuid:supervisor_id>/<slug:tab>/",
        views.supervisor_detail,
        name="supervisor-detail",
    ),
    path("<slug:tab>/", views.home, name="home-tab"),
]
