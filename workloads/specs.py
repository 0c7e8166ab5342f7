"""The Supervisor spec: what the enable wizard (or an API call) asks for, cleaned and checked.

Each wizard step has a `clean_<section>` that takes raw strings and returns the cleaned section
or raises SpecError (vksportal.errors) with a message per field (`section.field`). `clean_spec`
runs them all plus the checks across sections; the service calls it again at Finish, so nothing
a client sends skips a rule.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network

from inventory.models import Cluster, ContentLibrary, PortGroup, StoragePolicy
from vksportal.errors import FieldErrors, SpecError

DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?\.)*"
    r"[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?$"
)
MANAGEMENT_ADDRESSES = 5  # 3 control plane VMs, the floating IP, one spare for upgrades


@dataclass(frozen=True)
class Size:
    """Supervisor control plane VM sizes (VKS-REFERENCE §4; figures marked uncertain there)."""

    name: str
    label: str
    cpus: int
    memory_gib: int
    disk_gib: int
    pods: int


SIZES = {
    s.name: s
    for s in (
        Size("TINY", "Tiny", 2, 8, 32, 1000),
        Size("SMALL", "Small", 4, 16, 32, 2000),
        Size("MEDIUM", "Medium", 8, 16, 32, 4000),
        Size("LARGE", "Large", 16, 32, 32, 8000),
    )
}
NETWORK_PROVIDERS = {
    "VSPHERE_NETWORK": "vSphere Distributed Switch (VDS)",
    "NSXT_CONTAINER_PLUGIN": "NSX",
}
LOAD_BALANCERS = {
    "AVI": "NSX Advanced Load Balancer",
    "HA_PROXY": "HAProxy",
    "FOUNDATION": "Foundation Load Balancer",
}


# A section's problems: `errors[field] = "sentence"`, the last one found at a field shown.
_Errors = FieldErrors


def _text(raw: dict, key: str) -> str:
    value = raw.get(key, "")
    return value.strip() if isinstance(value, str) else value


def _address(
    errors: _Errors, field: str, value: str, *, required: bool = True
) -> IPv4Address | None:
    if not value:
        if required:
            errors[field] = "This field is required."
        return None
    try:
        return IPv4Address(value)
    except ValueError:
        errors[field] = f"'{value}' is not a valid IPv4 address."
        return None


def _address_list(errors: _Errors, field: str, value: str, *, required: bool) -> list[str]:
    items = [v for v in re.split(r"[\s,]+", value or "") if v]
    if not items and required:
        errors[field] = "Enter at least one address."
    for item in items:
        if _address(errors, field, item) is None:
            break
    return items


def _subnet(
    errors: _Errors, field: str, gateway: IPv4Address | None, mask: str
) -> IPv4Network | None:
    if gateway is None or not mask:
        if not mask:
            errors[field] = "This field is required."
        return None
    try:
        return IPv4Network(f"{gateway}/{mask}", strict=False)
    except ValueError:
        errors[field] = f"'{mask}' is not a valid subnet mask."
        return None


def parse_ranges(errors: _Errors, field: str, value: str) -> list[tuple[IPv4Address, IPv4Address]]:
    """'10.0.0.10-10.0.0.20, 10.0.0.40-10.0.0.41' -> [(first, last), ...], checked and sorted."""
    ranges = []
    for part in [p for p in re.split(r"[\s,]+", value or "") if p]:
        first, _, last = part.partition("-")
        try:
            start, end = IPv4Address(first), IPv4Address(last or first)
        except ValueError:
            errors[field] = f"'{part}' is not a range of IPv4 addresses (e.g. 10.0.0.10-10.0.0.20)."
            return []
        if end < start:
            errors[field] = f"The range '{part}' ends before it starts."
            return []
        ranges.append((start, end))
    if not ranges:
        errors[field] = "Enter at least one IP range."
        return []
    ranges.sort()
    for (a_start, a_end), (b_start, b_end) in zip(ranges, ranges[1:], strict=False):
        if b_start <= a_end:
            errors[field] = f"The ranges {a_start}-{a_end} and {b_start}-{b_end} overlap."
            return []
    return ranges


def range_text(ranges: list[dict]) -> str:
    return ", ".join(f"{r['address']}-{IPv4Address(r['address']) + r['count'] - 1}" for r in ranges)


def section_raw(values: dict) -> dict[str, str]:
    """A stored (cleaned) section back into the strings its form shows and its cleaner reads."""
    raw = {}
    for key, value in values.items():
        if key == "address_ranges":
            raw[key] = range_text(value)
        elif key == "server":
            raw[key] = f"{value['host']}:{value['port']}"
        elif isinstance(value, list):
            raw[key] = ", ".join(value)
        else:
            raw[key] = "" if value is None else str(value)
    return raw


def _as_ranges(ranges: list[tuple[IPv4Address, IPv4Address]]) -> list[dict]:
    return [{"address": str(s), "count": int(e) - int(s) + 1} for s, e in ranges]


def addresses(ranges: list[dict]):
    """Every address of a stored range list, in order."""
    for r in ranges:
        start = IPv4Address(r["address"])
        for i in range(r["count"]):
            yield start + i


def _in_subnet(errors, field, ranges, subnet: IPv4Network | None, gateway) -> None:
    if subnet is None:
        return
    for start, end in ranges:
        if start not in subnet or end not in subnet:
            errors[field] = f"The range {start}-{end} is outside the subnet {subnet}."
            return
        if start in (subnet.network_address,) or end == subnet.broadcast_address:
            errors[field] = (
                f"The range {start}-{end} includes the subnet's network or broadcast address."
            )
            return
        if gateway is not None and start <= gateway <= end:
            errors[field] = f"The range {start}-{end} includes the gateway {gateway}."
            return


def _portgroup(errors: _Errors, field: str, moid: str, cluster: Cluster) -> PortGroup | None:
    if not moid:
        errors[field] = "Select a network."
        return None
    pg = (
        PortGroup.objects.filter(moid=moid, is_uplink=False, switch__hosts__cluster=cluster)
        .distinct()
        .first()
    )
    if pg is None:
        errors[field] = "Select a distributed port group on a switch the cluster's hosts use."
    return pg


# ---------------------------------------------------------------- sections, one per wizard step


def clean_network_stack(raw: dict, cluster: Cluster | None = None) -> dict:
    errors = _Errors()
    provider = _text(raw, "network_provider") or "VSPHERE_NETWORK"
    if provider not in NETWORK_PROVIDERS:
        errors["network_stack.network_provider"] = "Select NSX or vSphere Distributed Switch."
    elif provider == "NSXT_CONTAINER_PLUGIN":
        errors["network_stack.network_provider"] = (
            "No NSX Manager is registered with this vCenter Server. Select vSphere Distributed "
            "Switch (VDS) networking."
        )
    load_balancer = _text(raw, "load_balancer")
    if load_balancer not in LOAD_BALANCERS:
        errors["network_stack.load_balancer"] = "Select a load balancer for VDS networking."
    errors.check()
    return {"network_provider": provider, "load_balancer": load_balancer}


def clean_placement(
    raw: dict, cluster: Cluster | None = None, *, exclude_pk: int | None = None
) -> dict:
    from workloads.compatibility import compatibility
    from workloads.models import Supervisor

    errors = _Errors()
    name = _text(raw, "name")
    if not name:
        errors["placement.name"] = "This field is required."
    elif len(name) > 63 or not DNS_LABEL.match(name):
        errors["placement.name"] = (
            "The name must be at most 63 characters: lowercase letters, digits and '-', "
            "starting and ending with a letter or digit."
        )
    elif Supervisor.objects.filter(name=name).exclude(pk=exclude_pk).exists():
        errors.already_exists(
            "placement.name", f"A Supervisor named '{name}' already exists.", name=name
        )
    moid = _text(raw, "cluster")
    target = Cluster.objects.filter(moid=moid).first() if moid else None
    if target is None:
        errors["placement.cluster"] = "Select a compatible vSphere cluster."
    elif exclude_pk is None:
        result = compatibility(target)
        if not result.compatible:
            errors["placement.cluster"] = f"{target.name} is incompatible: " + " ".join(
                result.reasons
            )
    errors.check()
    return {"name": name, "cluster": target.moid}


def clean_storage(raw: dict, cluster: Cluster) -> dict:
    errors = _Errors()
    cleaned = {}
    usable = StoragePolicy.objects.filter(datastores__hosts__cluster=cluster).distinct()
    for key in ("control_plane_policy", "ephemeral_policy", "image_cache_policy"):
        value = _text(raw, key)
        policy = usable.filter(policy_id=value).first() if _is_uuid(value) else None
        if policy is None:
            errors[f"storage.{key}"] = (
                "Select a storage policy compatible with a datastore of the cluster."
            )
        else:
            cleaned[key] = str(policy.policy_id)
    errors.check()
    return cleaned


def _is_uuid(value: str) -> bool:
    return bool(re.fullmatch(r"[0-9a-fA-F-]{36}", value or ""))


def clean_load_balancer(
    raw: dict, cluster: Cluster | None = None, *, provider: str = "AVI"
) -> dict:
    errors = _Errors()
    name = _text(raw, "name")
    if not name or not DNS_LABEL.match(name) or len(name) > 63:
        errors["load_balancer.name"] = (
            "Enter a DNS-compliant name: lowercase letters, digits and '-'."
        )
    server = _text(raw, "server")
    host, _, port = server.partition(":")
    if not host or not (HOSTNAME.match(host) or _is_ip(host)):
        errors["load_balancer.server"] = "Enter the controller as host or host:port."
    elif port and not (port.isdigit() and 0 < int(port) < 65536):
        errors["load_balancer.server"] = f"'{port}' is not a valid port."
    if not _text(raw, "username"):
        errors["load_balancer.username"] = "This field is required."
    if not _text(raw, "password"):
        errors["load_balancer.password"] = "This field is required."
    ranges = parse_ranges(errors, "load_balancer.address_ranges", _text(raw, "address_ranges"))
    errors.check()
    # The password is checked, never stored: the simulator has no controller to log in to.
    return {
        "name": name,
        "provider": provider,
        "server": {"host": host, "port": int(port or 443)},
        "username": _text(raw, "username"),
        "address_ranges": _as_ranges(ranges),
    }


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def clean_management_network(raw: dict, cluster: Cluster) -> dict:
    errors = _Errors()
    f = "management_network."
    network = _portgroup(errors, f + "network", _text(raw, "network"), cluster)
    mode = _text(raw, "mode") or "STATICRANGE"
    if mode not in ("STATICRANGE", "DHCP"):
        errors[f + "mode"] = "Select DHCP or Static."
    cleaned: dict = {"network": network.moid if network else "", "mode": mode}
    if mode == "STATICRANGE":
        start = _address(errors, f + "starting_address", _text(raw, "starting_address"))
        count_raw = _text(raw, "address_count") or str(MANAGEMENT_ADDRESSES)
        count = int(count_raw) if str(count_raw).isdigit() else 0
        if count < MANAGEMENT_ADDRESSES:
            errors[f + "address_count"] = (
                f"The Supervisor needs a block of at least {MANAGEMENT_ADDRESSES} consecutive "
                "addresses: one per control plane VM, a floating IP and one for upgrades."
            )
        gateway = _address(errors, f + "gateway", _text(raw, "gateway"))
        subnet = _subnet(errors, f + "subnet_mask", gateway, _text(raw, "subnet_mask"))
        if start and count >= MANAGEMENT_ADDRESSES and subnet is not None:
            _in_subnet(
                errors, f + "starting_address", [(start, start + count - 1)], subnet, gateway
            )
        cleaned.update(
            starting_address=str(start or ""),
            address_count=count,
            gateway=str(gateway or ""),
            subnet_mask=_text(raw, "subnet_mask"),
        )
    else:
        floating = _address(errors, f + "floating_ip", _text(raw, "floating_ip"))
        cleaned["floating_ip"] = str(floating or "")
    cleaned["dns_servers"] = _address_list(
        errors, f + "dns_servers", _text(raw, "dns_servers"), required=True
    )
    cleaned["dns_search_domains"] = [
        d for d in re.split(r"[\s,]+", _text(raw, "dns_search_domains")) if d
    ]
    for domain in cleaned["dns_search_domains"]:
        if not HOSTNAME.match(domain):
            errors[f + "dns_search_domains"] = f"'{domain}' is not a valid domain name."
    cleaned["ntp_servers"] = [s for s in re.split(r"[\s,]+", _text(raw, "ntp_servers")) if s]
    if not cleaned["ntp_servers"]:
        errors[f + "ntp_servers"] = (
            "Enter at least one NTP server: the control plane's clocks must agree."
        )
    for server in cleaned["ntp_servers"]:
        if not (HOSTNAME.match(server) or _is_ip(server)):
            errors[f + "ntp_servers"] = f"'{server}' is not a valid host name or address."
    errors.check()
    return cleaned


def clean_workload_network(raw: dict, cluster: Cluster) -> dict:
    errors = _Errors()
    f = "workload_network."
    network = _portgroup(errors, f + "network", _text(raw, "network"), cluster)
    name = _text(raw, "name") or "network-1"
    if not DNS_LABEL.match(name) or len(name) > 63:
        errors[f + "name"] = "Enter a DNS-compliant name: lowercase letters, digits and '-'."
    gateway = _address(errors, f + "gateway", _text(raw, "gateway"))
    subnet = _subnet(errors, f + "subnet_mask", gateway, _text(raw, "subnet_mask"))
    ranges = parse_ranges(errors, f + "address_ranges", _text(raw, "address_ranges"))
    if ranges and f + "address_ranges" not in errors:
        _in_subnet(errors, f + "address_ranges", ranges, subnet, gateway)
        if sum(int(e) - int(s) + 1 for s, e in ranges) < 3:
            errors[f + "address_ranges"] = (
                "The ranges must hold at least 3 addresses, one per control plane VM."
            )
    services = _text(raw, "services_cidr") or "10.96.0.0/23"
    try:
        services_net = IPv4Network(services, strict=True)
    except ValueError:
        errors[f + "services_cidr"] = (
            f"'{services}' is not a valid network in CIDR notation (e.g. 10.96.0.0/23)."
        )
        services_net = None
    if services_net is not None and subnet is not None and services_net.overlaps(subnet):
        errors[f + "services_cidr"] = (
            f"The services CIDR {services_net} overlaps the workload network {subnet}."
        )
    dns = _address_list(errors, f + "dns_servers", _text(raw, "dns_servers"), required=True)
    ntp = [s for s in re.split(r"[\s,]+", _text(raw, "ntp_servers")) if s]
    errors.check()
    return {
        "network": network.moid,
        "name": name,
        "gateway": str(gateway),
        "subnet_mask": _text(raw, "subnet_mask"),
        "address_ranges": _as_ranges(ranges),
        "services_cidr": str(services_net),
        "dns_servers": dns,
        "ntp_servers": ntp,
    }


def clean_size(raw: dict, cluster: Cluster | None = None) -> dict:
    errors = _Errors()
    size = _text(raw, "size") or "SMALL"
    if size not in SIZES:
        errors["size.size"] = "Select Tiny, Small, Medium or Large."
    names = [n for n in re.split(r"[\s,]+", _text(raw, "api_server_dns_names")) if n]
    for n in names:
        if not HOSTNAME.match(n):
            errors["size.api_server_dns_names"] = f"'{n}' is not a valid DNS name."
    library = _text(raw, "content_library")
    if library and not (
        _is_uuid(library) and ContentLibrary.objects.filter(library_id=library).exists()
    ):
        errors["size.content_library"] = "Select a content library."
    errors.check()
    return {"size": size, "api_server_dns_names": names, "content_library": library}


SECTIONS: dict[str, Callable] = {
    "network_stack": clean_network_stack,
    "placement": clean_placement,
    "storage": clean_storage,
    "load_balancer": clean_load_balancer,
    "management_network": clean_management_network,
    "workload_network": clean_workload_network,
    "size": clean_size,
}


def _network_of(section: dict) -> IPv4Network | None:
    if not section.get("gateway"):
        return None
    return IPv4Network(f"{section['gateway']}/{section['subnet_mask']}", strict=False)


def clean_spec(raw: dict[str, dict], *, exclude_pk: int | None = None) -> dict:
    """Every section, then what only shows across sections: overlaps between networks."""
    errors = _Errors()
    spec: dict = {}

    def run(name: str, *args, **kwargs) -> None:
        try:
            spec[name] = SECTIONS[name](raw.get(name) or {}, *args, **kwargs)
        except SpecError as error:
            errors.merge(error)

    run("network_stack")
    run("placement", exclude_pk=exclude_pk)
    cluster = Cluster.objects.filter(moid=spec.get("placement", {}).get("cluster")).first()
    if cluster is None:
        errors.check()
    run("storage", cluster)
    provider = spec.get("network_stack", {}).get("load_balancer", "AVI")
    run("load_balancer", provider=provider)
    run("management_network", cluster)
    run("workload_network", cluster)
    run("size")
    errors.check()

    mgmt, wl, lb = spec["management_network"], spec["workload_network"], spec["load_balancer"]
    services = IPv4Network(wl["services_cidr"])
    for label, net in (
        ("management network", _network_of(mgmt)),
        ("workload network", _network_of(wl)),
    ):
        if net is not None and services.overlaps(net):
            errors["workload_network.services_cidr"] = (
                f"The services CIDR {services} overlaps the {label} {net}."
            )
    lb_addresses = set(addresses(lb["address_ranges"]))
    if lb_addresses & set(addresses(wl["address_ranges"])):
        errors["load_balancer.address_ranges"] = (
            "The load balancer's virtual IP ranges overlap the workload network's IP ranges."
        )
    if any(a in services for a in lb_addresses):
        errors["load_balancer.address_ranges"] = (
            f"The virtual IP ranges overlap the services CIDR {services}."
        )
    if mgmt["mode"] == "STATICRANGE":
        block = {"address": mgmt["starting_address"], "count": mgmt["address_count"]}
        if set(addresses([block])) & (lb_addresses | set(addresses(wl["address_ranges"]))):
            errors["management_network.starting_address"] = (
                "The management range overlaps the workload or load balancer ranges."
            )
    errors.check()
    return spec


def storage_class_name(policy_name: str) -> str:
    """The Kubernetes storage class a policy becomes in a namespace, as vSphere names it."""
    return "-".join(policy_name.lower().split())
