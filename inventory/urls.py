from django.urls import path

from inventory import sso_views, views

app_name = "inventory"
urlpatterns = [
    path("", views.home, name="home"),
    path("ui/search/", views.search, name="search"),
    path("ui/search/suggestions/", views.search_suggestions, name="search-suggestions"),
    path("ui/tasks/recent/", views.recent_tasks, name="recent-tasks"),
    path("ui/tree/<slug:view>/", views.tree, name="tree-root"),
    path("ui/tree/<slug:view>/<str:moid>/", views.tree, name="tree-children"),
    path("ui/<str:moid>/", views.object_page, name="object-summary"),
    path("ui/<str:moid>/actions/<slug:name>/", views.action, name="action"),
    path("ui/<str:moid>/<slug:tab>/", views.object_page, name="object"),
    # Administration › Single Sign On › Users and Groups (the vsphere.local domain)
    path("administration/sso/users/", sso_views.users, name="sso-users"),
    path("administration/sso/users/add/", sso_views.user_add, name="sso-user-add"),
    path("administration/sso/users/<str:name>/edit/", sso_views.user_edit, name="sso-user-edit"),
    path(
        "administration/sso/users/<str:name>/reset-password/",
        sso_views.user_password,
        name="sso-user-password",
    ),
    path(
        "administration/sso/users/<str:name>/disable/",
        sso_views.user_disable,
        name="sso-user-disable",
    ),
    path(
        "administration/sso/users/<str:name>/enable/", sso_views.user_enable, name="sso-user-enable"
    ),
    path(
        "administration/sso/users/<str:name>/unlock/", sso_views.user_unlock, name="sso-user-unlock"
    ),
    path(
        "administration/sso/users/<str:name>/delete/", sso_views.user_delete, name="sso-user-delete"
    ),
    path("administration/sso/groups/", sso_views.groups, name="sso-groups"),
    path("administration/sso/groups/add/", sso_views.group_add, name="sso-group-add"),
    path("administration/sso/groups/<str:name>/members/", sso_views.group_detail, name="sso-group"),
    path(
        "administration/sso/groups/<str:name>/members/add/",
        sso_views.group_members_add,
        name="sso-group-members-add",
    ),
    path(
        "administration/sso/groups/<str:name>/members/<str:member>/remove/",
        sso_views.group_member_remove,
        name="sso-group-member-remove",
    ),
    path(
        "administration/sso/groups/<str:name>/delete/",
        sso_views.group_delete,
        name="sso-group-delete",
    ),
]
