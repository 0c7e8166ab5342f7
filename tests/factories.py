"""Inputs tests share: what the enable wizard posts for the demo estate."""

from __future__ import annotations

from inventory.models import Cluster, ContentLibrary, PortGroup, StoragePolicy


def supervisor_raw_spec(cluster: Cluster, name: str = "supervisor-01") -> dict[str, dict]:
    policy = str(StoragePolicy.objects.get(name="vSAN Default Storage Policy").policy_id)
    library = ContentLibrary.objects.get(type="SUBSCRIBED")
    return {
        "network_stack": {"network_provider": "VSPHERE_NETWORK", "load_balancer": "AVI"},
        "placement": {"name": name, "cluster": cluster.moid},
        "storage": {
            "control_plane_policy": policy,
            "ephemeral_policy": policy,
            "image_cache_policy": policy,
        },
        "load_balancer": {
            "name": "avi-lb",
            "server": "avi-controller.corp.vmbeans.com:443",
            "username": "admin",
            "password": "VMware1!",
            "address_ranges": "10.10.30.64-10.10.30.127",
        },
        "management_network": {
            "network": PortGroup.objects.get(name="Management").moid,
            "mode": "STATICRANGE",
            "starting_address": "10.10.10.100",
            "address_count": "5",
            "subnet_mask": "255.255.255.0",
            "gateway": "10.10.10.1",
            "dns_servers": "10.10.10.5",
            "dns_search_domains": "corp.vmbeans.com",
            "ntp_servers": "pool.ntp.org",
        },
        "workload_network": {
            "network": PortGroup.objects.get(name="Workload-Network").moid,
            "name": "primary",
            "gateway": "10.10.20.1",
            "subnet_mask": "255.255.255.0",
            "address_ranges": "10.10.20.10-10.10.20.200",
            "services_cidr": "10.96.0.0/23",
            "dns_servers": "10.10.10.5",
            "ntp_servers": "",
        },
        "size": {
            "size": "TINY",
            "api_server_dns_names": "",
            "content_library": str(library.library_id),
        },
    }
