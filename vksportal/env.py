"""Strict readers for settings from the environment: a typo fails at start-up, not at 3 a.m."""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "on"}
_FALSE = {"0", "false", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, on/off; got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}") from None


def env_speed(name: str, default: float) -> float:
    """A simulation speed-up factor; `instant` (or 0) makes every simulated step take no time."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.strip().lower() in {"instant", "0"}:
        return float("inf")
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be a positive number or 'instant'; got {raw!r}")
    return value
