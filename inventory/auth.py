"""vCenter Single Sign-On, simulated: `user@vsphere.local` logs in case-insensitively, and a user
with neither a role on the vCenter nor access to a vSphere Namespace is turned away with the
vSphere Client's own words."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm

from inventory.permissions import may_log_in

NO_PERMISSION = (
    "Unable to login because you do not have permission on any vCenter Server systems "
    "connected to this client."
)


class SsoBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username:
            match = get_user_model().objects.filter(username__iexact=username.strip()).first()
            username = match.get_username() if match else username
        return super().authenticate(request, username=username, password=password, **kwargs)


class SsoLoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Invalid credentials",
    }

    username = forms.CharField(
        widget=forms.TextInput(attrs={"autofocus": True, "placeholder": "example@domain.local"})
    )

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not may_log_in(user):
            raise forms.ValidationError(NO_PERMISSION, code="no_permission")
