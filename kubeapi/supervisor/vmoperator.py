"""VM Operator's types (vmoperator.vmware.com): the VMs in a namespace (its VKS clusters' nodes),
the VM classes bound to it and the images its content libraries offer. v1alpha3 is what an
8.0U3 Supervisor prefers; v1alpha2 is served too, differing only in how a VM names its image."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from inventory.models import ContentLibraryItem, VirtualMachine
from kubeapi.supervisor.common import (
    CLUSTER_NAME_LABEL,
    CONDITIONS,
    INFRA_VERSION,
    OBJECT_REF,
    VMOP_GROUP,
    QuerySource,
    array,
    boolean,
    integer,
    metadata,
    obj,
    owner,
    quantity_mib,
    resource_schema,
    string,
    string_map,
    visible_namespaces,
)
from kubeapi.surface import Column, Context, ResourceType, object_uid, timestamp
from workloads.manifests import kubelet_version
from workloads.models import Namespace, VirtualMachineClass
from workloads.reconcilers.common import NAMESPACES
from workloads.releases import parse_item_name
from workloads.specs import storage_class_name

PREFERRED = "v1alpha3"
VERSIONS = ("v1alpha3", "v1alpha2")
POWER_STATES = {
    VirtualMachine.PowerState.ON: "PoweredOn",
    VirtualMachine.PowerState.OFF: "PoweredOff",
    VirtualMachine.PowerState.SUSPENDED: "Suspended",
}
# The guest OS identifier VM Operator reports from an image's OVF, by OS image family.
OS_INFO = {"photon": "vmwarePhoton64Guest", "ubuntu": "ubuntu64Guest"}
HARDWARE_VERSION = 21  # vmx-21, what vSphere 8.0U3 creates


def _ready(now) -> list[dict]:
    return [
        {"type": "Ready", "status": "True", "reason": "True", "lastTransitionTime": timestamp(now)}
    ]


# ---------------------------------------------------------------- images


def image_name(item_id) -> str:
    """VM Operator names an image `vmi-` and 17 hex digits of its library item's identity,
    so the same item is the same image name in every namespace."""
    return f"vmi-{item_id.hex[:17]}"


@dataclass(frozen=True)
class Image:
    namespace: Namespace
    item: ContentLibraryItem
    release: str = ""  # the Kubernetes release of a node image
    os_image: str = ""  # photon-5, ubuntu-2204


def namespace_images(namespaces: list[Namespace]) -> list[Image]:
    """Each namespace's images: the node images of its Kubernetes library and every item of
    its VM Service libraries. Two queries."""
    libraries: dict[int, set[int]] = {}  # library -> namespace pks
    by_pk = {ns.pk: ns for ns in namespaces}
    for ns in namespaces:
        if ns.kubernetes_library_id:
            libraries.setdefault(ns.kubernetes_library_id, set()).add(ns.pk)
    bound = Namespace.content_libraries.through.objects.filter(namespace__in=namespaces)
    for ns_pk, library in bound.values_list("namespace_id", "contentlibrary_id"):
        libraries.setdefault(library, set()).add(ns_pk)
    images = []
    items = ContentLibraryItem.objects.filter(library__in=list(libraries)).order_by("name")
    for item in items:
        parsed = parse_item_name(item.name)
        for ns_pk in sorted(libraries[item.library_id]):
            ns = by_pk[ns_pk]
            if parsed is not None:
                images.append(Image(ns, item, *parsed))
            elif item.library_id != ns.kubernetes_library_id:
                images.append(Image(ns, item))
    return images


def _os(image: Image) -> tuple[str, str]:
    family, _, version = image.os_image.partition("-")
    if family == "ubuntu" and len(version) == 4:
        version = f"{version[:2]}.{version[2:]}"  # ubuntu-2204 -> 22.04
    return OS_INFO.get(family, ""), version


def _image_rows(ctx: Context, namespace, _name):
    return namespace_images(list(visible_namespaces(ctx, namespace)))


def _image_objects(version: str):
    def build(ctx: Context, rows: list[Image]) -> list[dict]:
        objects = []
        for image in rows:
            item, ns = image.item, image.namespace
            os_type, os_version = _os(image)
            status: dict = {
                "name": item.name,
                "providerItemID": str(item.item_id),
                "providerContentVersion": "1",
                "hardwareVersion": HARDWARE_VERSION,
                "productInfo": {"version": kubelet_version(image.release)} if image.release else {},
                "osInfo": {"type": os_type, "version": os_version} if os_type else {},
                "conditions": _ready(item.created_at),
            }
            if version != "v1alpha2":
                status["type"] = item.type.upper()
            objects.append(
                {
                    "apiVersion": f"{VMOP_GROUP}/{version}",
                    "kind": "VirtualMachineImage",
                    "metadata": metadata(
                        image_name(item.item_id),
                        namespace=ns.name,
                        uid=object_uid(
                            "VirtualMachineImage", f"{ns.pk}/{item.pk}", item.created_at
                        ),
                        created=item.created_at,
                    ),
                    "spec": {
                        "providerRef": {
                            "apiVersion": "imageregistry.vmware.com/v1alpha1",
                            "kind": "ContentLibraryItem",
                            "name": f"clitem-{item.item_id.hex[:17]}",
                        }
                    },
                    "status": status,
                }
            )
        return objects

    return build


def _image_schema(version: str) -> dict:
    return resource_schema(
        VMOP_GROUP,
        version,
        "VirtualMachineImage",
        "An image VMs of the namespace may be made from: an item of one of its content "
        "libraries (VKS node images among them).",
        spec=obj("Where the image comes from.", providerRef=OBJECT_REF),
        status=obj(
            "What the image holds.",
            name=string("The display name: the content library item's name."),
            type=string("The item's type: OVF."),
            providerItemID=string("The content library item's ID."),
            providerContentVersion=string("The item's content version."),
            hardwareVersion=integer("The virtual hardware version of the image."),
            productInfo=obj("The product in the image.", version=string("Its version.")),
            osInfo=obj(
                "The guest OS of the image.",
                type=string("The guest OS identifier."),
                version=string("The guest OS version."),
            ),
            conditions=CONDITIONS,
        ),
    )


def _image_columns(version: str) -> tuple[Column, ...]:
    columns = [Column.at("Display Name", "status.name")]
    if version != "v1alpha2":
        columns.append(Column.at("Type", "status.type"))
    columns += [
        Column.at("Image Version", "status.productInfo.version"),
        Column.at("OS Name", "status.osInfo.type"),
        Column.at("OS Version", "status.osInfo.version"),
        Column.at("Hardware Version", "status.hardwareVersion"),
        Column.at("Capabilities", "status.capabilities"),
    ]
    return tuple(columns)


# ---------------------------------------------------------------- VM classes


def _class_rows(ctx: Context, namespace, name):
    bound = Namespace.vm_classes.through.objects.filter(
        namespace__in=visible_namespaces(ctx, namespace)
    ).select_related("namespace", "virtualmachineclass")
    if name is not None:
        bound = bound.filter(virtualmachineclass__name=name)
    return bound.order_by("namespace__name", "virtualmachineclass__name")


def _reservations(cls: VirtualMachineClass) -> dict:
    """vm-operator's resource policy: requests hold the reserved share (guaranteed classes
    reserve all of it), none for best effort."""
    requests = {}
    if cls.cpu_reservation:
        requests["cpu"] = f"{cls.cpu_count * 1000 * cls.cpu_reservation // 100}m"
    if cls.memory_reservation:
        requests["memory"] = quantity_mib(cls.memory_mib * cls.memory_reservation // 100)
    return {"resources": {"requests": requests}} if requests else {}


def _class_objects(version: str):
    def build(ctx: Context, rows) -> list[dict]:
        objects = []
        for row in rows:
            cls, ns = row.virtualmachineclass, row.namespace
            spec: dict = {
                "controllerName": "vmoperator.vmware.com/vsphere",
                "hardware": {"cpus": cls.cpu_count, "memory": quantity_mib(cls.memory_mib)},
            }
            if policies := _reservations(cls):
                spec["policies"] = policies
            if cls.description:
                spec["description"] = cls.description
            objects.append(
                {
                    "apiVersion": f"{VMOP_GROUP}/{version}",
                    "kind": "VirtualMachineClass",
                    "metadata": metadata(
                        cls.name,
                        namespace=ns.name,
                        uid=object_uid("VirtualMachineClass", f"{ns.pk}/{cls.pk}", cls.created_at),
                        created=cls.created_at,
                        generation=1,
                    ),
                    "spec": spec,
                    "status": {
                        "ready": cls.config_status == VirtualMachineClass.ConfigStatus.READY
                    },
                }
            )
        return objects

    return build


def _class_schema(version: str) -> dict:
    quantities = string_map("Quantities per resource: cpu (millicores) and memory.")
    return resource_schema(
        VMOP_GROUP,
        version,
        "VirtualMachineClass",
        "A VM class bound to the namespace: the virtual hardware and reservations its VMs and "
        "VKS nodes get.",
        spec=obj(
            "The class's hardware and policies.",
            controllerName=string("The controller that realises VMs of this class."),
            description=string("What the class is for."),
            hardware=obj(
                "Virtual hardware.",
                cpus=integer("Number of vCPUs."),
                memory=string("Memory, as a Kubernetes quantity (e.g. 4Gi)."),
            ),
            policies=obj(
                "Resource policies.",
                resources=obj(
                    "Reservations (requests) and limits.", requests=quantities, limits=quantities
                ),
            ),
        ),
        status=obj(
            "Whether the class may be used.",
            ready=boolean("True when VMs of this class can be created."),
            capabilities=array("Capabilities the class offers.", string("A capability.")),
        ),
    )


# ---------------------------------------------------------------- virtual machines


def _vm_rows(ctx: Context, namespace, name):
    names = visible_namespaces(ctx, namespace).values("name")
    in_tree = Q(resource_pool__parent__name=NAMESPACES, resource_pool__name__in=names) | Q(
        resource_pool__parent__parent__name=NAMESPACES, resource_pool__parent__name__in=names
    )
    vms = VirtualMachine.objects.filter(in_tree, is_template=False).select_related(
        "host", "resource_pool__parent", "storage_policy", "vks_node__cluster"
    )
    return vms.filter(name=name) if name is not None else vms.order_by("name")


def _namespace_of(vm: VirtualMachine) -> str:
    pool = vm.resource_pool
    return pool.name if pool.parent.name == NAMESPACES else pool.parent.name


def _node_labels(node) -> dict:
    """As CAPV labels a node's VirtualMachine: cluster name and role, under both its current
    and its legacy (capw) keys, and Cluster API's cluster-name label."""
    role = "controlplane" if node.role == node.Role.CONTROL_PLANE else "node"
    name = node.cluster.name
    return {
        "capv.vmware.com/cluster.name": name,
        "capv.vmware.com/cluster.role": role,
        "capw.vmware.com/cluster.name": name,
        "capw.vmware.com/cluster.role": role,
        CLUSTER_NAME_LABEL: name,
    }


def _node_image(node, images: dict) -> str:
    os_image = node.cluster.spec["topology"]["controlPlane"].get("osImage") or "photon"
    return images.get((node.cluster.namespace_id, node.release, os_image), "")


def _vm_objects(version: str):
    def build(ctx: Context, rows: list[VirtualMachine]) -> list[dict]:
        # The node images of the namespaces these VMs are in: (namespace, release, OS) -> name.
        names = {_namespace_of(vm) for vm in rows}
        images = {}
        if any(hasattr(vm, "vks_node") for vm in rows):
            for image in namespace_images(list(Namespace.objects.filter(name__in=names))):
                if image.release:
                    family = image.os_image.partition("-")[0]
                    key = (image.namespace.pk, image.release, family)
                    images.setdefault(key, image_name(image.item.item_id))
        return [_vm_object(vm, version, images) for vm in rows]

    return build


def _vm_object(vm: VirtualMachine, version: str, images: dict) -> dict:
    node = getattr(vm, "vks_node", None)
    power = POWER_STATES.get(vm.power_state, "PoweredOff")
    spec: dict = {}
    labels, owners = {}, []
    if node is not None:
        image = _node_image(node, images)
        labels = _node_labels(node)
        owners = [
            owner(
                INFRA_VERSION,
                "VSphereMachine",
                vm.name,
                object_uid("VSphereMachine", node.pk, node.created_at),
            )
        ]
        spec["className"] = node.vm_class
        if version == "v1alpha2":
            spec["imageName"] = image
        else:
            spec["image"] = {"kind": "VirtualMachineImage", "name": image}
            spec["imageName"] = image
        power = "PoweredOn"  # CAPV always asks for its nodes to run
    spec["powerState"] = power
    if vm.storage_policy is not None:
        spec["storageClass"] = storage_class_name(vm.storage_policy.name)
    status: dict = {
        "powerState": POWER_STATES.get(vm.power_state, "PoweredOff"),
        "host": vm.host.name,
        "uniqueID": vm.moid,
        "instanceUUID": str(vm.instance_uuid),
        "biosUUID": str(vm.instance_uuid),
        "hardwareVersion": int(vm.hardware_version.removeprefix("vmx-") or 0),
    }
    if vm.ip_address:
        status["network"] = {"primaryIP4": vm.ip_address}
    status["conditions"] = [
        {
            "type": "VirtualMachineCreated",
            "status": "True",
            "reason": "True",
            "lastTransitionTime": timestamp(vm.created_at),
        }
    ]
    return {
        "apiVersion": f"{VMOP_GROUP}/{version}",
        "kind": "VirtualMachine",
        "metadata": metadata(
            vm.name,
            namespace=_namespace_of(vm),
            uid=object_uid("VirtualMachine", vm.pk, vm.created_at),
            created=vm.created_at,
            generation=1,
            labels=labels,
            owners=owners,
            deleting=node.cluster.deletion_requested_at if node is not None else None,
        ),
        "spec": spec,
        "status": status,
    }


def _vm_schema(version: str) -> dict:
    image = (
        {"imageName": string("The VirtualMachineImage the VM is made from.")}
        if version == "v1alpha2"
        else {
            "image": obj(
                "The image the VM is made from.",
                kind=string("VirtualMachineImage or ClusterVirtualMachineImage."),
                name=string("The image's name."),
            ),
            "imageName": string("The image's name or display name."),
        }
    )
    return resource_schema(
        VMOP_GROUP,
        version,
        "VirtualMachine",
        "A VM in the namespace; a VKS cluster's nodes are VMs made by Cluster API.",
        spec=obj(
            "The VM the namespace asks for.",
            className=string("The VirtualMachineClass that sizes the VM."),
            powerState=string("The power state asked for: PoweredOn, PoweredOff or Suspended."),
            storageClass=string("The storage class of the VM's disks."),
            **image,
        ),
        status=obj(
            "The VM as vCenter runs it.",
            powerState=string("PoweredOn, PoweredOff or Suspended."),
            host=string("The ESXi host the VM runs on."),
            uniqueID=string("The VM's managed object ID in vCenter."),
            instanceUUID=string("The VM's instance UUID."),
            biosUUID=string("The VM's BIOS UUID."),
            hardwareVersion=integer("The VM's virtual hardware version."),
            network=obj("The VM's network.", primaryIP4=string("The VM's primary IPv4 address.")),
            conditions=CONDITIONS,
        ),
    )


def _vm_columns(version: str) -> tuple[Column, ...]:
    image = "spec.imageName" if version == "v1alpha2" else "spec.image.name"
    return (
        Column.at("Power-State", "status.powerState"),
        Column.age(),
        Column.at("Class", "spec.className", priority=1),
        Column.at("Image", image, priority=1),
        Column.at("Primary-IP4", "status.network.primaryIP4", priority=1),
    )


def types() -> list[ResourceType]:
    found = []
    for version in VERSIONS:
        found += [
            ResourceType(
                group=VMOP_GROUP,
                version=version,
                plural="virtualmachines",
                singular="virtualmachine",
                kind="VirtualMachine",
                namespaced=True,
                source=QuerySource(f"virtualmachines.{VMOP_GROUP}", _vm_rows, _vm_objects(version)),
                short_names=("vm",),
                columns=_vm_columns(version),
                schema=_vm_schema(version),
                description="VMs in the namespace's resource pools: its VKS clusters' nodes.",
            ),
            ResourceType(
                group=VMOP_GROUP,
                version=version,
                plural="virtualmachineclasses",
                singular="virtualmachineclass",
                kind="VirtualMachineClass",
                namespaced=True,
                source=QuerySource(
                    f"virtualmachineclasses.{VMOP_GROUP}", _class_rows, _class_objects(version)
                ),
                short_names=("vmclass",),
                columns=(
                    Column.at("CPU", "spec.hardware.cpus", type="integer"),
                    Column.at("Memory", "spec.hardware.memory"),
                    Column.at("Capabilities", "status.capabilities", priority=1),
                ),
                schema=_class_schema(version),
                description="VM classes bound to the namespace.",
            ),
            ResourceType(
                group=VMOP_GROUP,
                version=version,
                plural="virtualmachineimages",
                singular="virtualmachineimage",
                kind="VirtualMachineImage",
                namespaced=True,
                source=QuerySource(
                    f"virtualmachineimages.{VMOP_GROUP}", _image_rows, _image_objects(version)
                ),
                short_names=("vmi", "vmimage"),
                columns=_image_columns(version),
                schema=_image_schema(version),
                description="Images of the namespace's content libraries.",
            ),
        ]
    return found
