"""Workload Management operations, one module per object: check permission, validate, write the
spec, open the vCenter Task, and hand the work to the reconciler once the transaction commits."""

from workloads.services.namespaces import (
    NamespaceStateError,
    namespace_access_add,
    namespace_access_remove,
    namespace_access_set,
    namespace_create,
    namespace_delete,
    namespace_description_set,
    namespace_kubernetes_library_set,
    namespace_libraries_set,
    namespace_limits_set,
    namespace_storage_set,
    namespace_vm_classes_set,
    storage_class_name,
)
from workloads.services.self_service import (
    SelfServiceStateError,
    namespace_self_service_activate,
    namespace_self_service_create,
    namespace_self_service_deactivate,
    namespace_template_create,
    namespace_template_update,
)
from workloads.services.supervisors import (
    EDITABLE,
    SupervisorStateError,
    supervisor_disable,
    supervisor_enable,
    supervisor_update,
)
from workloads.services.vm_classes import (
    VmClassInUseError,
    vm_class_create,
    vm_class_delete,
    vm_class_update,
)

__all__ = [
    "EDITABLE",
    "NamespaceStateError",
    "SelfServiceStateError",
    "SupervisorStateError",
    "VmClassInUseError",
    "namespace_access_add",
    "namespace_access_remove",
    "namespace_access_set",
    "namespace_create",
    "namespace_delete",
    "namespace_description_set",
    "namespace_kubernetes_library_set",
    "namespace_libraries_set",
    "namespace_limits_set",
    "namespace_storage_set",
    "namespace_self_service_activate",
    "namespace_self_service_create",
    "namespace_self_service_deactivate",
    "namespace_template_create",
    "namespace_template_update",
    "namespace_vm_classes_set",
    "storage_class_name",
    "supervisor_disable",
    "supervisor_enable",
    "supervisor_update",
    "vm_class_create",
    "vm_class_delete",
    "vm_class_update",
]
