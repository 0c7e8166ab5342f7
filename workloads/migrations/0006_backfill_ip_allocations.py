"""Give every address the reconcilers handed out before IpAllocation existed its row, oldest
holder first. An address held twice (concurrent passes could hand one out twice) stays with its
first holder; a later VKS node or cluster endpoint on it is cleared and its cluster made due, so
the reconciler gives it a free address on its next pass."""

from django.db import migrations
from django.utils import timezone

SUPERVISOR_VM = "vSphere Supervisor"  # VirtualMachine.managed_by of control plane VMs


def backfill(apps, schema_editor):
    IpAllocation = apps.get_model("workloads", "IpAllocation")
    Supervisor = apps.get_model("workloads", "Supervisor")
    VksCluster = apps.get_model("workloads", "VksCluster")
    VksNode = apps.get_model("workloads", "VksNode")
    VirtualMachine = apps.get_model("inventory", "VirtualMachine")
    held = set(IpAllocation.objects.values_list("address", flat=True))
    rows = []
    now = timezone.now()

    def take(address: str, **owner) -> bool:
        if address in held:
            return False
        held.add(address)
        rows.append(IpAllocation(address=address, **owner))
        return True

    for sup in Supervisor.objects.exclude(api_endpoint=None).order_by("pk"):
        take(sup.api_endpoint, supervisor=sup)
    cp_vms = VirtualMachine.objects.filter(managed_by=SUPERVISOR_VM).exclude(ip_address=None)
    for vm in cp_vms.order_by("pk"):
        take(vm.ip_address, vm=vm)
    for cluster in VksCluster.objects.exclude(api_endpoint=None).order_by("pk"):
        if not take(cluster.api_endpoint, cluster=cluster):
            cluster.api_endpoint, cluster.next_reconcile_at = None, now
            cluster.save(update_fields=["api_endpoint", "next_reconcile_at"])
    nodes = VksNode.objects.exclude(vm__ip_address=None).select_related("vm")
    for node in nodes.order_by("vm_id"):
        if not take(node.vm.ip_address, vm=node.vm):
            node.vm.ip_address = None
            node.vm.save(update_fields=["ip_address"])
            VksCluster.objects.filter(pk=node.cluster_id).update(next_reconcile_at=now)
    IpAllocation.objects.bulk_create(rows)


class Migration(migrations.Migration):
    dependencies = [
        ("inventory", "0003_vm_storage_policy"),
        ("workloads", "0005_ip_allocation"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
