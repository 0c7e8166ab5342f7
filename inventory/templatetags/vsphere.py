"""Template helpers for the vSphere look: icons, object links, sizes as the client prints them."""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.utils.html import format_html

from inventory import entities

register = template.Library()


@register.simple_tag
def icon(name: str, css: str = "") -> str:
    href = f"{static('icons/sprite.svg')}#{name}"
    return format_html(
        '<svg class="icon {}" aria-hidden="true"><use href="{}"></use></svg>', css, href
    )


@register.simple_tag
def entity_icon(entity) -> str:
    return icon(entities.icon_for(entity))


@register.filter
def type_label(entity) -> str:
    return entities.type_label(entity)


@register.simple_tag
def object_url(moid: str, tab: str = "summary") -> str:
    return entities.object_path(moid, tab)


@register.simple_tag
def target_url(row) -> str:
    """The page of a task's or event's target."""
    return entities.target_path(row.target_type, row.target_moid)


@register.filter
def children_url(node, view: str) -> str:
    return node.children_url(view)


@register.filter
def mib(value) -> str:
    """MiB as the vSphere Client prints capacities: 512 MB, 40 GB, 1.82 TB."""
    if value is None:
        return "--"
    value = float(value)
    for unit, size in (("TB", 1024**2), ("GB", 1024), ("MB", 1)):
        if abs(value) >= size or unit == "MB":
            number = value / size
            return f"{number:,.2f} {unit}".replace(".00 ", " ")
    return "--"


@register.filter
def mhz(value) -> str:
    if value is None:
        return "--"
    value = float(value)
    return f"{value / 1000:,.2f} GHz" if value >= 1000 else f"{value:,.0f} MHz"


@register.filter
def num(value, digits: int = 2) -> str:
    return f"{float(value):,.{int(digits)}f}"


@register.filter
def expandable(node, view: str) -> bool:
    return node.expandable(view)


@register.filter
def get_item(mapping: dict | None, key):
    return mapping.get(key) if mapping else None


_KIND_ICON = {
    "VirtualMachine": "vm",
    "Host": "host",
    "Cluster": "cluster",
    "Datacenter": "datacenter",
    "Datastore": "datastore",
    "DistributedSwitch": "dvs",
    "PortGroup": "portgroup",
    "ResourcePool": "resource-pool",
    "Folder": "folder",
}


@register.filter
def kind_icon(kind: str) -> str:
    return _KIND_ICON.get(kind, "info")


@register.filter
def kind_label(kind: str) -> str:
    labels = {model.__name__: label for model, label in entities.TYPE_LABEL.items()}
    return labels.get(kind, kind)
