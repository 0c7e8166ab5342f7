"""The enable wizard's steps and fields, and the Configure tab's edit forms.

Fields are named as the spec cleaners read them (`workloads.specs.SECTIONS`), so an error keyed
`section.field` lands at the field of the same name. Values stay raw strings until FINISH: the
cleaners are the only parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from workloads.specs import MANAGEMENT_ADDRESSES, section_raw


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: str = "text"  # text, password, number, select, radio, size, cluster
    help: str = ""
    placeholder: str = ""
    only: str = ""  # "static" or "dhcp": shown for that management network mode only


@dataclass(frozen=True)
class Step:
    section: str
    title: str
    intro: str
    fields: tuple[Field, ...] = field(default_factory=tuple)


STEPS: tuple[Step, ...] = (
    Step(
        "network_stack",
        "vCenter Server and Network",
        "Select the networking stack that provides connectivity to the Supervisor's control "
        "plane and its workloads.",
        (
            Field("network_provider", "Networking stack", "radio"),
            Field("load_balancer", "Load balancer", "radio", help="For VDS networking only."),
        ),
    ),
    Step(
        "placement",
        "Supervisor location",
        "Name the Supervisor and select the vSphere cluster it runs on. Only compatible "
        "clusters can be selected.",
        (
            Field("name", "Supervisor name", placeholder="supervisor-01"),
            Field("cluster", "vSphere cluster", "cluster"),
        ),
    ),
    Step(
        "storage",
        "Storage",
        "Select the storage policies for the control plane VMs, the ephemeral disks of "
        "vSphere Pods and the container image cache.",
        (
            Field("control_plane_policy", "Control Plane Storage Policy", "select"),
            Field("ephemeral_policy", "Ephemeral Disks Storage Policy", "select"),
            Field("image_cache_policy", "Image Cache Storage Policy", "select"),
        ),
    ),
    Step(
        "load_balancer",
        "Load Balancer",
        "Enter the load balancer that serves the Supervisor's Kubernetes API and the "
        "LoadBalancer services of its workloads.",
        (
            Field("name", "Name", help="A DNS-compliant name, e.g. avi-lb."),
            Field("server", "Controller server", placeholder="avi.example.com:443"),
            Field("username", "Username"),
            Field("password", "Password", "password"),
            Field(
                "address_ranges",
                "IP address ranges for virtual servers",
                placeholder="10.10.30.64-10.10.30.127",
                help="Comma-separated ranges, first-last.",
            ),
        ),
    ),
    Step(
        "management_network",
        "Management Network",
        "The control plane VMs' first NIC. Static mode needs a block of at least "
        f"{MANAGEMENT_ADDRESSES} consecutive addresses: three control plane VMs, a floating IP "
        "and one for upgrades.",
        (
            Field("network", "Network", "select"),
            Field("mode", "Network Mode", "radio"),
            Field("starting_address", "Starting IP Address", only="static"),
            Field("address_count", "Number of addresses", "number", only="static"),
            Field("subnet_mask", "Subnet Mask", placeholder="255.255.255.0", only="static"),
            Field("gateway", "Gateway", only="static"),
            Field("floating_ip", "Floating IP", only="dhcp"),
            Field("dns_servers", "DNS Server(s)", help="Comma-separated addresses."),
            Field("dns_search_domains", "DNS Search Domain(s)"),
            Field("ntp_servers", "NTP Server(s)"),
        ),
    ),
    Step(
        "workload_network",
        "Workload Network",
        "The Primary Workload Network: the control plane VMs' second NIC and the network "
        "of the Supervisor's workloads.",
        (
            Field("network", "Port Group", "select"),
            Field("name", "Network Name"),
            Field("gateway", "Gateway"),
            Field("subnet_mask", "Subnet Mask", placeholder="255.255.255.0"),
            Field(
                "address_ranges",
                "IP Address Ranges",
                placeholder="10.10.20.10-10.10.20.200",
                help="Comma-separated ranges, first-last.",
            ),
            Field("services_cidr", "Internal Network for Kubernetes Services"),
            Field("dns_servers", "DNS Server(s)"),
            Field("ntp_servers", "NTP Server(s)", help="Optional."),
        ),
    ),
    Step(
        "size",
        "Review and Confirm",
        "Select the size of the control plane VMs and review the settings.",
        (
            Field("size", "Supervisor Control Plane Size", "size"),
            Field(
                "api_server_dns_names",
                "API Server DNS Name(s)",
                help="Optional. Names for the Kubernetes API server's certificate.",
            ),
            Field("content_library", "Kubernetes Service Content Library", "select"),
        ),
    ),
)
SECTION_INDEX = {s.section: i for i, s in enumerate(STEPS)}

# Defaults a vSphere admin expects prefilled; no addresses.
DEFAULTS: dict[str, dict[str, str]] = {
    "network_stack": {"network_provider": "VSPHERE_NETWORK", "load_balancer": "AVI"},
    "management_network": {"mode": "STATICRANGE", "address_count": str(MANAGEMENT_ADDRESSES)},
    "workload_network": {"name": "network-1", "services_cidr": "10.96.0.0/23"},
    "size": {"size": "SMALL"},
}

# Configure tab: what each editable section lets change. Load balancer: the address ranges only;
# its controller, user and password stay as enabled (the password is never asked again).
EDIT_FIELDS: dict[str, tuple[str, ...]] = {
    "load_balancer": ("address_ranges",),
    "management_network": (
        "starting_address",
        "address_count",
        "subnet_mask",
        "gateway",
        "floating_ip",
        "dns_servers",
        "dns_search_domains",
        "ntp_servers",
    ),
    "workload_network": (
        "gateway",
        "subnet_mask",
        "address_ranges",
        "dns_servers",
        "ntp_servers",
    ),
}
PASSWORD_KEPT = "unchanged"  # the cleaner wants one; nothing stores it


def step_fields(section: str) -> tuple[Field, ...]:
    return STEPS[SECTION_INDEX[section]].fields


def edit_fields(spec: dict, section: str) -> list[Field]:
    """The fields the section's Edit form shows: those of its network mode only."""
    mode = spec[section].get("mode", "")
    return [
        f
        for f in step_fields(section)
        if f.name in EDIT_FIELDS[section] and (not f.only or (f.only == "dhcp") == (mode == "DHCP"))
    ]


# Inputs a browser may leave out: radio groups (and the cluster and size cards, radios too)
# with nothing chosen. Every other input of a step is always sent, if only empty.
MAY_BE_ABSENT = ("radio", "cluster", "size")


def sent_always(fields) -> list[str]:
    """The names of `fields` that a whole post of their form carries (inventory.forms)."""
    return [f.name for f in fields if f.kind not in MAY_BE_ABSENT]


def edit_values(spec: dict, section: str, posted) -> dict[str, str]:
    """The raw section `supervisor_update` takes: what the form may change, the rest as stored."""
    values = section_raw(spec[section])
    for name in EDIT_FIELDS[section]:
        if name in posted:
            values[name] = posted.get(name, "")
    if section == "load_balancer":
        values["password"] = PASSWORD_KEPT
    return values


def field_errors(errors: dict[str, str], section: str) -> tuple[dict[str, str], list[str]]:
    """SpecError keys are `section.field`: this section's by field name, the others as text."""
    mine, other = {}, []
    for key, message in errors.items():
        head, _, name = key.partition(".")
        if head == section and name:
            mine[name] = message
        else:
            other.append(message)
    return mine, other
