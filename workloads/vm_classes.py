"""The 16 VM classes every vCenter ships (VKS-REFERENCE §3.1): best-effort-* with no reservation
and guaranteed-* with 100% of CPU and memory reserved, from xsmall to 8xlarge."""

from __future__ import annotations

from workloads.models import VirtualMachineClass

GIB = 1024
SIZES = {  # size -> (vCPUs, memory MiB)
    "xsmall": (2, 2 * GIB),
    "small": (2, 4 * GIB),
    "medium": (2, 8 * GIB),
    "large": (4, 16 * GIB),
    "xlarge": (4, 32 * GIB),
    "2xlarge": (8, 64 * GIB),
    "4xlarge": (16, 128 * GIB),
    "8xlarge": (32, 128 * GIB),
}


def default_classes() -> list[VirtualMachineClass]:
    classes = []
    for kind, reservation in (("best-effort", None), ("guaranteed", 100)):
        for size, (cpus, memory) in SIZES.items():
            classes.append(
                VirtualMachineClass(
                    name=f"{kind}-{size}",
                    cpu_count=cpus,
                    memory_mib=memory,
                    cpu_reservation=reservation,
                    memory_reservation=reservation,
                    is_default=True,
                )
            )
    return classes


def ensure_default_classes(**_signal_kwargs) -> None:
    """Create whichever defaults are missing; an edited default stays as edited. Runs after
    every migrate and flush (post_migrate), as Django does for content types."""
    existing = set(VirtualMachineClass.objects.values_list("name", flat=True))
    VirtualMachineClass.objects.bulk_create(
        [c for c in default_classes() if c.name not in existing]
    )
