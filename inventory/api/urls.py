from django.urls import path

from inventory.api import views

urlpatterns = [
    path("session", views.SessionView.as_view(), name="api-session"),
]
