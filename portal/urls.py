from django.urls import path

from portal import views

app_name = "portal"
urlpatterns = [
    path("", views.clusters, name="clusters"),
    path("namespaces/", views.namespaces, name="namespaces"),
    path("namespaces/new/", views.namespace_create, name="namespace-create"),
    path("connect/", views.connect, name="connect"),
    path("activity/", views.activity, name="activity"),
    path("pulse/", views.pulse, name="pulse"),
]
