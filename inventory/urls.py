from django.urls import path

from inventory import views

app_name = "inventory"
urlpatterns = [
    path("", views.home, name="home"),
    path("ui/search/", views.search, name="search"),
    path("ui/tasks/recent/", views.recent_tasks, name="recent-tasks"),
    path("ui/tree/<slug:view>/", views.tree, name="tree-root"),
    path("ui/tree/<slug:view>/<str:moid>/", views.tree, name="tree-children"),
    path("ui/<str:moid>/", views.object_page, name="object-summary"),
    path("ui/<str:moid>/actions/<slug:name>/", views.action, name="action"),
    path("ui/<str:moid>/<slug:tab>/", views.object_page, name="object"),
]
