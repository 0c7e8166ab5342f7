"""vCenter Single Sign-On, simulated: `user@vsphere.local` logs in case-insensitively, an account
is locked after repeated failures (inventory.lockout), and a user with neither a role on the
vCenter nor access to a vSphere Namespace is turned away with the vSphere Client's own words."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied

from inventory.lockout import (
    ACCOUNT_LOCKED,
    login_failure_record,
    login_locked,
    login_success_record,
)
from inventory.permissions import may_log_in

NO_PERMISSION = (
    "Unable to login because you do not have permission on any vCenter Server systems "
    "connected to this client."
)


class AccountLocked(PermissionDenied):
    """Raised by the backend for a locked account: `authenticate()` then answers None at once,
    trying no other backend; front doors tell the two refusals apart with `login_locked`."""


class SsoBackend(ModelBackend):
    """Every way in authenticates here, so the lockout policy holds for all of them: a locked
    account is refused before its password is checked, a failure is counted, a success clears
    the count."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None or password is None:
            return None
        if login_locked(username):
            raise AccountLocked(ACCOUNT_LOCKED)
        typed = username
        match = get_user_model().objects.filter(username__iexact=username.strip()).first()
        username = match.get_username() if match else username
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            login_failure_record(typed)
        else:
            login_success_record(typed)
        return user


class SsoLoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "Invalid credentials",
    }

    username = forms.CharField(
        widget=forms.TextInput(attrs={"autofocus": True, "placeholder": "example@domain.local"})
    )

    def get_invalid_login_error(self) -> forms.ValidationError:
        if login_locked(self.cleaned_data.get("username")):
            return forms.ValidationError(ACCOUNT_LOCKED, code="locked")
        return super().get_invalid_login_error()

    def confirm_login_allowed(self, user) -> None:
        super().confirm_login_allowed(user)
        if not may_log_in(user):
            raise forms.ValidationError(NO_PERMISSION, code="no_permission")
