"""Template helpers for VKS clusters: ages and versions as kubectl prints them."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def age(value: datetime | None, now: datetime | None = None) -> str:
    """kubectl's AGE column (apimachinery's HumanDuration): 45s, 5m12s, 3h4m, 13d, 2y."""
    if value is None:
        return "<unknown>"
    seconds = int(((now or timezone.now()) - value).total_seconds())
    if seconds < 0:
        return "0s"
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        rest = seconds % 60
        return f"{minutes}m{rest}s" if rest else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        rest = minutes % 60
        return f"{hours}h{rest}m" if rest else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        rest = hours % 24
        return f"{days}d{rest}h" if rest else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    return f"{days // 365}y"


@register.filter
def k8s_version(release_name: str) -> str:
    """A release name as VERSION shows it: v1.32.7---vmware.3-fips-vkr.1 -> v1.32.7+vmware..."""
    return (release_name or "").replace("---", "+")
