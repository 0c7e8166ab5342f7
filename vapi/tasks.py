"""`com.vmware.cis.tasks` get: a vCenter Task (inventory.models.Task, what Recent Tasks shows)
as CisTaskInfo, so a client can follow a long operation. REST `GET /api/cis/tasks/{task}`.
Who may read it: whoever may see it in Recent Tasks (a vCenter role, the user who started it, a
role on the namespace or VKS cluster it targets); others get NOT_FOUND."""

from __future__ import annotations

from django.http import Http404

from inventory.models import Task
from inventory.selectors import tasks_visible_to
from vapi.bindings import (
    BOOLEAN,
    DATE_TIME,
    INTEGER,
    LOCALIZABLE_MESSAGE,
    STRING,
    Enum,
    Id,
    Optional,
    Struct,
    Type,
    error_vapi,
)
from vapi.operations import Call, Rest, message, operation

STATUS = {
    Task.State.QUEUED: "PENDING",
    Task.State.RUNNING: "RUNNING",
    Task.State.SUCCESS: "SUCCEEDED",
    Task.State.ERROR: "FAILED",
}


class AnyError(Type):
    """A task's error: a vAPI error value (`{"ERROR": ...}` in JSON-RPC, the REST error body
    in REST). Held in Python as (error type, messages)."""

    name = "any_error"

    def rest(self, value):
        error_type, messages = value
        return {"error_type": error_type, "messages": messages}

    def vapi(self, value):
        return error_vapi(*value)


TASK_INFO = Struct(
    "com.vmware.cis.task.info",
    {
        "progress": Optional(
            Struct(
                "com.vmware.cis.task.progress",
                {"total": INTEGER, "completed": INTEGER, "message": LOCALIZABLE_MESSAGE},
            )
        ),
        "description": LOCALIZABLE_MESSAGE,
        "service": Id("com.vmware.vapi.service"),
        "operation": Id("com.vmware.vapi.operation"),
        "target": Optional(Struct("com.vmware.vapi.std.dynamic_ID", {"type": STRING, "id": Id()})),
        "status": Enum("com.vmware.cis.task.status", tuple(STATUS.values()) + ("BLOCKED",)),
        "cancelable": BOOLEAN,
        "error": Optional(AnyError()),
        "start_time": Optional(DATE_TIME),
        "end_time": Optional(DATE_TIME),
        "user": Optional(STRING),
    },
)
GET_SPEC = Struct(
    "com.vmware.cis.tasks.get_spec",
    {"return_all": Optional(BOOLEAN), "exclude_result": Optional(BOOLEAN)},
)


@operation(
    "com.vmware.cis.tasks",
    "get",
    params={"task": Id("com.vmware.cis.task"), "spec": Optional(GET_SPEC)},
    output=TASK_INFO,
    rest=[Rest("GET", "/api/cis/tasks/{task}", filter="spec")],
)
def tasks_get(call: Call, task: str, spec: dict | None) -> dict:
    found = tasks_visible_to(call.user).filter(key=task).first()
    if found is None:
        raise Http404(f"Task {task[:64]} was not found.")
    service, _, operation_name = found.description_id.rpartition(".")
    error = None
    if found.state == Task.State.ERROR:
        error = ("ERROR", [message("com.vmware.cis.task.failed", found.error or "Failed.")])
    stage = found.stage or found.name
    return {
        "progress": {
            "total": 100,
            "completed": found.progress,
            "message": message("com.vmware.cis.task.progress", stage),
        },
        "description": message(found.description_id, found.name),
        "service": service or found.description_id,
        "operation": operation_name,
        "target": {"type": found.target_type, "id": found.target_moid},
        "status": STATUS[found.state],
        "cancelable": False,
        "error": error,
        "start_time": found.started_at,
        "end_time": found.completed_at,
        "user": found.initiator or None,
    }
