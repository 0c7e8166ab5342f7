"""Pure functions from a VKS cluster's spec and nodes to its conditions, phase and task percent,
with the condition types and reasons of Cluster API and TanzuKubernetesCluster."""

from __future__ import annotations

from datetime import datetime

from workloads.status import FALSE, TRUE, condition, set_condition

INFRASTRUCTURE = "InfrastructureReady"
CONTROL_PLANE = "ControlPlaneReady"
NODE_POOLS = "NodePoolsReady"
READY = "Ready"
TYPES = (READY, INFRASTRUCTURE, CONTROL_PLANE, NODE_POOLS)


def node_ready(node) -> bool:
    """Powered on with an address: the kubelet has joined."""
    return node.vm.is_powered_on and bool(node.vm.ip_address)


def node_current(cluster, group, node) -> bool:
    """Built from the release and VM class the spec asks for now."""
    return node.release == cluster.spec["topology"]["version"] and node.vm_class == group.vm_class


def group_state(cluster, group, nodes) -> tuple[bool, str, str]:
    """(settled, reason, message) of one group: all its nodes ready, current, and as many as
    the spec asks."""
    mine = [n for n in nodes if n.role == group.role and n.pool == group.pool]
    ready = [n for n in mine if node_ready(n) and node_current(cluster, group, n)]
    outdated = [n for n in mine if not node_current(cluster, group, n)]
    name = group.label
    if outdated:
        version = cluster.spec["topology"]["version"]
        return (
            False,
            "RollingUpdateInProgress",
            f"Rolling update of the {name} to {version}: {len(ready)} of {group.replicas} "
            "nodes updated.",
        )
    if len(ready) < group.replicas:
        reason = "WaitingForControlPlane" if group.role == "control-plane" else "ScalingUp"
        return False, reason, f"{name.capitalize()}: {len(ready)} of {group.replicas} nodes ready."
    if len(mine) > group.replicas:
        return False, "ScalingDown", f"{name.capitalize()}: scaling down to {group.replicas}."
    return True, "", ""


def derive(cluster, nodes, groups, now: datetime, *, error=None) -> tuple[list[dict], str]:
    """The conditions and phase that describe the cluster now."""
    conditions = list(cluster.conditions)

    def put(type_: str, ok: bool, reason: str = "", message: str = "") -> None:
        nonlocal conditions
        status = TRUE if ok else FALSE
        conditions = set_condition(conditions, condition(type_, status, reason, message, now))

    if cluster.is_deleting:
        put(READY, False, "Deleting", "Deleting the cluster and its nodes.")
        return conditions, "Deleting"
    put(
        INFRASTRUCTURE,
        bool(cluster.api_endpoint),
        "" if cluster.api_endpoint else "WaitingForClusterInfrastructure",
        "" if cluster.api_endpoint else "Waiting for cluster infrastructure to be ready",
    )
    cp, *pools = groups
    put(CONTROL_PLANE, *group_state(cluster, cp, nodes))
    wanted = {(g.role, g.pool) for g in groups}
    orphans = [n for n in nodes if (n.role, n.pool) not in wanted]
    pool_states = [group_state(cluster, g, nodes) for g in pools]
    unsettled = [s for s in pool_states if not s[0]]
    if unsettled:
        put(NODE_POOLS, False, "NodePoolsUpdating", " ".join(s[2] for s in unsettled))
    elif orphans:
        put(NODE_POOLS, False, "NodePoolsUpdating", "Removing nodes of deleted node pools.")
    else:
        put(NODE_POOLS, True)
    if error is not None:
        conditions = set_condition(
            conditions,
            condition(error.stage, FALSE, error.reason, error.message, now, "Error"),
        )
    by_type = {c["type"]: c for c in conditions}
    waiting = next(
        (
            by_type[t]
            for t in (INFRASTRUCTURE, CONTROL_PLANE, NODE_POOLS)
            if by_type[t]["status"] != TRUE
        ),
        None,
    )
    if waiting is None:
        put(READY, True)
    else:
        put(READY, False, waiting["reason"], waiting["message"])
    conditions.sort(key=lambda c: TYPES.index(c["type"]) if c["type"] in TYPES else len(TYPES))
    cp_up = any(n.role == "control-plane" and node_ready(n) for n in nodes)
    # An error does not make the phase Failed: the reconciler keeps retrying, and the Ready
    # condition (severity Error) says what blocks it.
    if cp_up:
        phase = "Provisioned"
    elif cluster.api_endpoint or nodes:
        phase = "Provisioning"
    else:
        phase = "Pending"
    return conditions, phase


def progress(cluster, nodes, groups) -> int:
    """Percent for the cluster's task: ready, current nodes against what the spec asks."""
    if cluster.is_deleting:
        return max(5, 95 - 10 * len(nodes))
    wanted = sum(g.replicas for g in groups) or 1
    good = sum(
        min(
            g.replicas,
            sum(
                1
                for n in nodes
                if n.role == g.role
                and n.pool == g.pool
                and node_ready(n)
                and node_current(cluster, g, n)
            ),
        )
        for g in groups
    )
    return 5 + int(90 * good / wanted) if cluster.api_endpoint else 2
