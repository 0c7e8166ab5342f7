"""VMware's Python SDK 9.1.1, unmodified, drives Workload Management against `make run`'s
stack over HTTPS (vAPI JSON-RPC at POST /api): it lists the Supervisor clusters, enables a
Supervisor on the demo's free cluster with Clusters.EnableSpec, lists and creates vSphere
Namespaces, a second create is the SDK's AlreadyExists, and an update sends only what it
changes (ResourceQuotaOptionsV1Update); namespace self-service is activated with a template,
read back, refused a second time (AlreadyExists) and deactivated."""

from __future__ import annotations

import time

import pytest

from inventory.models import Cluster, StoragePolicy
from tests.integration.stack import running_stack
from tests.kubeapi.live import demo_lab
from tests.vapi.specs import FREE_CLUSTER, parts
from tests.vapi.test_sdk import PASSWORD, trusting

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def enable_spec(nm, p: dict):
    """Clusters.EnableSpec for the free cluster, as a client builds it with the SDK."""
    c = nm.Clusters
    lb = nm.LoadBalancers
    return c.EnableSpec(
        size_hint=nm.SizingHint.TINY,
        service_cidr=nm.Ipv4Cidr(address="10.96.0.0", prefix=23),
        network_provider=c.NetworkProvider.VSPHERE_NETWORK,
        workload_networks_spec=c.WorkloadNetworksEnableSpec(
            supervisor_primary_workload_network=nm.Networks.CreateSpec(
                network="primary",
                network_provider=c.NetworkProvider.VSPHERE_NETWORK,
                vsphere_network=nm.Networks.VsphereDVPGNetworkCreateSpec(
                    portgroup=p["workload"],
                    address_ranges=[nm.IPRange(address="10.10.20.10", count=100)],
                    gateway="10.10.20.1",
                    subnet_mask="255.255.255.0",
                ),
            )
        ),
        worker_dns=["10.10.10.5"],
        load_balancer_config_spec=lb.ConfigSpec(
            id="avi-lb",
            address_ranges=[nm.IPRange(address="10.10.30.128", count=64)],
            provider=lb.Provider.AVI,
            avi_config_create_spec=lb.AviConfigCreateSpec(
                server=lb.Server(host="avi-controller.corp.vmbeans.com", port=443),
                username="admin",
                password="VMware1!",
                certificate_authority_chain="",
            ),
        ),
        master_management_network=c.NetworkSpec(
            network=p["management"],
            mode=c.NetworkSpec.Ipv4Mode.STATICRANGE,
            address_range=c.Ipv4Range(
                starting_address="10.10.10.110",
                address_count=5,
                subnet_mask="255.255.255.0",
                gateway="10.10.10.1",
            ),
        ),
        master_dns=["10.10.10.5"],
        master_dns_search_domains=["corp.vmbeans.com"],
        master_ntp_servers=["pool.ntp.org"],
        master_storage_policy=p["policy"],
        ephemeral_storage_policy=p["policy"],
        image_storage=c.ImageStorageSpec(storage_policy=p["policy"]),
        default_kubernetes_service_content_library=p["library"],
    )


def test_the_sdk_enables_a_supervisor_and_creates_namespaces(tmp_path):
    client_module = pytest.importorskip("vmware.vapi.vsphere.client")
    from com.vmware.vapi.std.errors_client import AlreadyExists, Unsupported
    from com.vmware.vcenter import namespace_management_client as nm
    from com.vmware.vcenter.namespaces_client import (
        Access,
        Instances,
        NamespaceSelfService,
        NamespaceTemplates,
        ResourceQuotaOptionsV1,
        ResourceQuotaOptionsV1Update,
    )

    demo_lab("administrator")
    free = Cluster.objects.get(name=FREE_CLUSTER)
    spec = enable_spec(nm, parts(free))
    policy = str(
        StoragePolicy.objects.filter(datastores__hosts__cluster__name="Workload-Cluster-01")
        .distinct()
        .order_by("name")[0]
        .policy_id
    )
    with running_stack(tmp_path) as stack:
        client = client_module.create_vsphere_client(
            server=stack.https_url.removeprefix("https://"),
            username="administrator@vsphere.local",
            password=PASSWORD,
            session=trusting(stack),
        )
        # SDK 9.1.1's vcenter StubFactory has no namespace_management or namespaces: a client
        # makes the stubs from its configuration, as VMware's samples do.
        config = client._stub_config
        clusters = nm.Clusters(config)
        (summary,) = clusters.list()
        assert summary.cluster_name == "Workload-Cluster-01"
        assert summary.config_status == nm.Clusters.ConfigStatus.RUNNING
        info = clusters.get(summary.cluster)
        assert info.size_hint == nm.SizingHint.TINY and info.api_servers

        with pytest.raises(Unsupported):
            clusters.get(free.moid)
        clusters.enable(free.moid, spec)
        assert {s.cluster for s in clusters.list()} == {summary.cluster, free.moid}

        compatible = nm.ClusterCompatibility(config).list(
            nm.ClusterCompatibility.FilterSpec(compatible=True)
        )
        assert free.moid not in {c.cluster for c in compatible}

        instances = Instances(config)
        before = {s.namespace for s in instances.list()}
        assert before  # the demo's namespaces
        create = Instances.CreateSpec(cluster=summary.cluster, namespace="sdk-team")
        instances.create(create)
        assert {s.namespace for s in instances.list()} == before | {"sdk-team"}
        assert instances.get("sdk-team").cluster == summary.cluster
        with pytest.raises(AlreadyExists):
            instances.create(create)

        def quota(name: str):
            return instances.get(name).resource_spec.convert_to(ResourceQuotaOptionsV1)

        limits = ResourceQuotaOptionsV1Update(cpu_limit=3000, memory_limit=4096)
        instances.update("sdk-team", Instances.UpdateSpec(resource_spec=limits))
        instances.update("sdk-team", Instances.UpdateSpec(description="Built by the SDK"))
        info = instances.get("sdk-team")
        assert info.description == "Built by the SDK"
        assert (quota("sdk-team").cpu_limit, quota("sdk-team").memory_limit) == (3000, 4096)
        unset = ResourceQuotaOptionsV1Update(memory_limit_unset=True)
        instances.update("sdk-team", Instances.UpdateSpec(resource_spec=unset))
        assert (quota("sdk-team").cpu_limit, quota("sdk-team").memory_limit) == (3000, None)
        assert instances.get("sdk-team").self_service_namespace is False

        # Namespace self-service: activated with a template for a group, as vCenter answers.
        self_service = NamespaceSelfService(config)
        assert self_service.get(summary.cluster).status == NamespaceSelfService.Status.DEACTIVATED
        template = NamespaceSelfService.ActivateTemplateSpec(
            template="sdk-template",
            permissions=[
                NamespaceTemplates.Subject(
                    subject_type=Access.SubjectType.GROUP,
                    subject="DevTeam-Payments",
                    domain="vsphere.local",
                )
            ],
            resource_spec=ResourceQuotaOptionsV1(cpu_limit=2000),
            storage_specs=[Instances.StorageSpec(policy=policy)],
            vm_service_spec=Instances.VMServiceSpec(vm_classes={"best-effort-small"}),
        )
        self_service.activate_with_template(summary.cluster, template)
        until = time.monotonic() + 60
        while self_service.get(summary.cluster).status != NamespaceSelfService.Status.RUNNING:
            assert time.monotonic() < until, "the namespace service did not reach RUNNING"
            time.sleep(0.2)
        with pytest.raises(AlreadyExists):
            self_service.activate(summary.cluster)
        templates = NamespaceTemplates(config)
        assert [t.template for t in templates.list(summary.cluster)] == ["sdk-template"]
        got = templates.get(summary.cluster, "sdk-template")
        assert got.resource_spec.convert_to(ResourceQuotaOptionsV1).cpu_limit == 2000
        assert got.permissions[0].subject == "DevTeam-Payments"
        assert got.vm_service_spec.vm_classes == {"best-effort-small"}
        self_service.deactivate(summary.cluster)
        statuses = {s.cluster: s.status for s in self_service.list()}
        assert statuses[summary.cluster] in (
            NamespaceSelfService.Status.REMOVING,
            NamespaceSelfService.Status.DEACTIVATED,
        )
