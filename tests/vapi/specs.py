"""Enable specs for the demo's free cluster (Workload-Cluster-02), as a client of the
Automation API writes them: Clusters.EnableSpec (7.0 style) and
Supervisors.EnableOnComputeClusterSpec, in REST JSON (the SDK tests build the same values
with the SDK's classes)."""

from __future__ import annotations

from inventory.models import Cluster, ContentLibrary, PortGroup, StoragePolicy

FREE_CLUSTER = "Workload-Cluster-02"


def parts(cluster: Cluster) -> dict:
    policy = StoragePolicy.objects.filter(datastores__hosts__cluster=cluster).distinct().first()
    return {
        "policy": str(policy.policy_id),
        "library": str(ContentLibrary.objects.get(type="SUBSCRIBED").library_id),
        "management": PortGroup.objects.get(name="Management").moid,
        "workload": PortGroup.objects.get(name="Workload-Network").moid,
    }


def enable_spec(cluster: Cluster) -> dict:
    p = parts(cluster)
    return {
        "size_hint": "TINY",
        "service_cidr": {"address": "10.96.0.0", "prefix": 23},
        "network_provider": "VSPHERE_NETWORK",
        "workload_networks_spec": {
            "supervisor_primary_workload_network": {
                "network": "primary",
                "network_provider": "VSPHERE_NETWORK",
                "vsphere_network": {
                    "portgroup": p["workload"],
                    "address_ranges": [{"address": "10.10.20.10", "count": 100}],
                    "gateway": "10.10.20.1",
                    "subnet_mask": "255.255.255.0",
                },
            }
        },
        "worker_DNS": ["10.10.10.5"],
        "load_balancer_config_spec": {
            "id": "avi-lb",
            "address_ranges": [{"address": "10.10.30.128", "count": 64}],
            "provider": "AVI",
            "avi_config_create_spec": {
                "server": {"host": "avi-controller.corp.vmbeans.com", "port": 443},
                "username": "admin",
                "password": "VMware1!",
                "certificate_authority_chain": "",
            },
        },
        "master_management_network": {
            "network": p["management"],
            "mode": "STATICRANGE",
            "address_range": {
                "starting_address": "10.10.10.110",
                "address_count": 5,
                "subnet_mask": "255.255.255.0",
                "gateway": "10.10.10.1",
            },
        },
        "master_DNS": ["10.10.10.5"],
        "master_DNS_search_domains": ["corp.vmbeans.com"],
        "master_NTP_servers": ["pool.ntp.org"],
        "master_storage_policy": p["policy"],
        "ephemeral_storage_policy": p["policy"],
        "image_storage": {"storage_policy": p["policy"]},
        "default_kubernetes_service_content_library": p["library"],
    }


def compute_cluster_spec(cluster: Cluster, name: str = "supervisor-02") -> dict:
    p = parts(cluster)
    return {
        "name": name,
        "control_plane": {
            "network": {
                "backing": {"backing": "NETWORK", "network": p["management"]},
                "services": {
                    "dns": {"servers": ["10.10.10.5"], "search_domains": ["corp.vmbeans.com"]},
                    "ntp": {"servers": ["pool.ntp.org"]},
                },
                "ip_management": {
                    "dhcp_enabled": False,
                    "gateway_address": "10.10.10.1/24",
                    "ip_assignments": [
                        {"assignee": "NODE", "ranges": [{"address": "10.10.10.110", "count": 5}]}
                    ],
                },
            },
            "size": "TINY",
            "storage_policy": p["policy"],
        },
        "workloads": {
            "network": {
                "network": "primary",
                "network_type": "VSPHERE",
                "vsphere": {"dvpg": p["workload"]},
                "services": {"dns": {"servers": ["10.10.10.5"], "search_domains": []}},
                "ip_management": {
                    "dhcp_enabled": False,
                    "gateway_address": "10.10.20.1/24",
                    "ip_assignments": [
                        {"assignee": "NODE", "ranges": [{"address": "10.10.20.10", "count": 100}]},
                        {"assignee": "SERVICE", "ranges": [{"address": "10.96.0.0", "count": 512}]},
                    ],
                },
            },
            "edge": {
                "id": "avi-lb",
                "provider": "NSX_ADVANCED",
                "load_balancer_address_ranges": [{"address": "10.10.30.128", "count": 64}],
                "nsx_advanced": {
                    "server": {"host": "avi-controller.corp.vmbeans.com", "port": 443},
                    "username": "admin",
                    "password": "VMware1!",
                    "certificate_authority_chain": "",
                },
            },
            "images": {"kubernetes_content_library": p["library"]},
        },
    }
