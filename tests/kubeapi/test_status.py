"""Status bodies from domain errors, in the API server's words (apimachinery's api/errors)."""

from __future__ import annotations

from kubeapi.status import status_body, status_for
from vksportal.errors import MAX_MESSAGES, DomainError, ErrorKind, FieldError, FieldErrors

CLUSTER = {"kind": "Cluster", "group": "cluster.x-k8s.io", "plural": "clusters"}


def test_invalid_lists_each_field_error_and_a_cause_per_field():
    error = DomainError.invalid(
        [
            FieldError.invalid(
                "spec.topology.controlPlane.replicas", "three", "must be an integer"
            ),
            FieldError.required("spec.topology.variables"),
        ]
    )
    code, body = status_for(error, **CLUSTER, name="web")
    assert code == 422
    assert body == status_body(
        422,
        "Invalid",
        'Cluster.cluster.x-k8s.io "web" is invalid: ['
        'spec.topology.controlPlane.replicas: Invalid value: "three": must be an integer, '
        "spec.topology.variables: Required value]",
        {
            "name": "web",
            "group": "cluster.x-k8s.io",
            "kind": "Cluster",
            "causes": [
                {
                    "reason": "FieldValueInvalid",
                    "message": 'Invalid value: "three": must be an integer',
                    "field": "spec.topology.controlPlane.replicas",
                },
                {
                    "reason": "FieldValueRequired",
                    "message": "Required value",
                    "field": "spec.topology.variables",
                },
            ],
        },
    )


def test_one_field_error_is_not_bracketed_and_the_core_group_adds_nothing():
    error = DomainError.invalid([FieldError.not_supported("spec.type", "Big", ("ClusterIP",))])
    _, body = status_for(error, kind="Service", group="", plural="services", name="web")
    assert body["message"] == (
        'Service "web" is invalid: spec.type: Unsupported value: "Big": '
        'supported values: "ClusterIP"'
    )
    assert body["details"]["causes"][0]["reason"] == "FieldValueNotSupported"
    assert "group" not in body["details"]


def test_causes_stay_bounded_however_many_fields_are_wrong():
    fields = [FieldError.required(f"spec.items[{i}].name") for i in range(5000)]
    code, body = status_for(DomainError.invalid(fields), **CLUSTER, name="web")
    assert code == 422
    assert len(body["details"]["causes"]) == MAX_MESSAGES
    assert len(body["message"]) <= MAX_MESSAGES * 300 + 3


def test_a_name_taken_is_409_already_exists_in_the_resources_words():
    errors = FieldErrors()
    errors.already_exists("metadata.name", "reworded: that one is in use", name="web")
    errors.invalid("spec.topology.controlPlane.replicas", 2, "must be odd")
    code, body = status_for(
        errors.error(),
        kind="TanzuKubernetesCluster",
        group="run.tanzu.vmware.com",
        plural="tanzukubernetesclusters",
    )
    assert (code, body["reason"]) == (409, "AlreadyExists")
    assert body["message"] == 'tanzukubernetesclusters.run.tanzu.vmware.com "web" already exists'
    assert body["details"] == {
        "name": "web",
        "group": "run.tanzu.vmware.com",
        "kind": "tanzukubernetesclusters",
    }


def test_limits_exceeded_are_403_forbidden_as_admission_denies_them():
    errors = FieldErrors()
    errors.exceeds("limits.cpu", "The cluster needs 16,000 MHz of CPU; 4,000 MHz are left.")
    code, body = status_for(errors.error(), **CLUSTER, name="web")
    assert (code, body["reason"]) == (403, "Forbidden")
    assert body["message"] == (
        'clusters.cluster.x-k8s.io "web" is forbidden: The cluster needs 16,000 MHz of CPU; '
        "4,000 MHz are left."
    )


def test_state_conflicts_are_409_conflict_with_the_services_message():
    for kind in (
        ErrorKind.CONFLICT,
        ErrorKind.NOT_ALLOWED_IN_CURRENT_STATE,
        ErrorKind.RESOURCE_IN_USE,
    ):
        error = DomainError("VKS cluster web is being deleted.", kind=kind, target="web")
        code, body = status_for(error, **CLUSTER)
        assert (code, body["reason"]) == (409, "Conflict")
        assert body["message"] == "VKS cluster web is being deleted."
        assert body["details"]["name"] == "web"


def test_not_found_and_bad_request():
    code, body = status_for(DomainError.not_found("gone"), **CLUSTER, name="web")
    assert (code, body["reason"], body["message"]) == (
        404,
        "NotFound",
        'clusters.cluster.x-k8s.io "web" not found',
    )
    code, body = status_for(DomainError.bad_request("error parsing YAML: x"), **CLUSTER)
    assert (code, body["reason"], body["message"], body["details"]) == (
        400,
        "BadRequest",
        "error parsing YAML: x",
        {},
    )
