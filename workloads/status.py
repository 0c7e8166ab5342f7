"""Pure functions from conditions to what people see: Config Status and Kubernetes status.
Logic elsewhere reads conditions; these words are for the UI and the API."""

from __future__ import annotations

from datetime import datetime

TRUE, FALSE, UNKNOWN = "True", "False", "Unknown"

# The configuration stages the vSphere 8 UI groups, in the order the reconciler works them off.
STAGES: tuple[tuple[str, str], ...] = (
    ("InfrastructureInitialized", "Infrastructure initialized"),
    ("ControlPlaneVMsDeployed", "Control plane VMs deployed"),
    ("ControlPlaneVMsConfigured", "Control plane VMs configured"),
    ("LoadBalancerConfigured", "Load balancer and API endpoint configured"),
    ("WorkloadNetworkConfigured", "Workload network configured"),
    ("HostsConfigured", "Hosts configured"),
)
STAGE_TYPES = tuple(t for t, _ in STAGES)
STAGE_TITLES = dict(STAGES)


def initial_conditions(now: datetime) -> list[dict]:
    return [
        condition(t, UNKNOWN, "Pending", "Waiting for earlier stages.", now) for t in STAGE_TYPES
    ]


def condition(
    type_: str, status: str, reason: str, message: str, now: datetime, severity: str = ""
) -> dict:
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": message,
        "severity": severity
        or (
            "Error"
            if reason.endswith(("Failed", "InUse", "Exhausted")) and status == FALSE
            else "Info"
        ),
        "lastTransitionTime": now.isoformat(),
    }


def set_condition(conditions: list[dict], new: dict) -> list[dict]:
    """Replace the condition of the same type; keep lastTransitionTime unless status changed."""
    result = []
    for old in conditions:
        if old["type"] == new["type"]:
            if old["status"] == new["status"]:
                new = {**new, "lastTransitionTime": old["lastTransitionTime"]}
            result.append(new)
        else:
            result.append(old)
    if not any(c["type"] == new["type"] for c in conditions):
        result.append(new)
    return result


def config_status(conditions: list[dict], *, deleting: bool) -> str:
    if deleting:
        return "REMOVING"
    if any(c["status"] == FALSE and c.get("severity") == "Error" for c in conditions):
        return "ERROR"
    stages = [c for c in conditions if c["type"] in STAGE_TYPES]
    if len(stages) == len(STAGE_TYPES) and all(c["status"] == TRUE for c in stages):
        return "RUNNING"
    return "CONFIGURING"


def kubernetes_status(conditions: list[dict]) -> str:
    """READY once the API server answers behind its VIP; WARNING while hosts still join."""
    by_type = {c["type"]: c["status"] for c in conditions}
    if by_type.get("ControlPlaneVMsConfigured") != TRUE:
        return ""
    if by_type.get("LoadBalancerConfigured") != TRUE:
        return "ERROR"
    return "READY" if by_type.get("HostsConfigured") == TRUE else "WARNING"


def progress(conditions: list[dict], partial: float = 0.0) -> int:
    """Percent for the task: finished stages, plus the share done of the stage under way."""
    done = sum(1 for c in conditions if c["type"] in STAGE_TYPES and c["status"] == TRUE)
    return 2 + int(96 * (done + min(partial, 1.0)) / len(STAGE_TYPES))
