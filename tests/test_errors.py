"""The domain error model: field errors worded exactly as Kubernetes words them, and the kind of
an error decided from what was recorded, never from its words."""

from __future__ import annotations

import pytest

from vapi.errors import described
from vksportal.errors import (
    OMITTED,
    CauseType,
    DomainError,
    ErrorKind,
    FieldError,
    FieldErrors,
    SpecError,
)

NAME_RULE = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'"


# Each text as apimachinery's field.Error.Error() writes it (pkg/util/validation/field/errors.go).
@pytest.mark.parametrize(
    ("error", "message"),
    [
        (FieldError.required("metadata.name"), "metadata.name: Required value"),
        (
            FieldError.required("metadata.name", "name or generateName is required"),
            "metadata.name: Required value: name or generateName is required",
        ),
        (
            FieldError.invalid("metadata.name", "Web", NAME_RULE),
            f'metadata.name: Invalid value: "Web": {NAME_RULE}',
        ),
        (
            FieldError.invalid("spec.topology.controlPlane.replicas", 2, "must be odd"),
            "spec.topology.controlPlane.replicas: Invalid value: 2: must be odd",
        ),
        (FieldError.invalid("spec.paused", True, "no"), "spec.paused: Invalid value: true: no"),
        (
            FieldError.invalid("spec.x", None, "must be set"),
            "spec.x: Invalid value: null: must be set",
        ),
        (
            FieldError.invalid("spec.network.pods", ["10.0.0.0/8", "10.1.0.0/16"], "overlap"),
            'spec.network.pods: Invalid value: ["10.0.0.0/8","10.1.0.0/16"]: overlap',
        ),
        (FieldError.invalid("spec.x", OMITTED, "is wrong"), "spec.x: Invalid value: is wrong"),
        (
            FieldError.type_invalid("spec.replicas", "three", "must be an integer"),
            'spec.replicas: Invalid value: "three": must be an integer',
        ),
        (
            FieldError.not_supported("spec.network.cni", "flannel", ("antrea", "calico")),
            'spec.network.cni: Unsupported value: "flannel": supported values: "antrea", "calico"',
        ),
        (
            FieldError.duplicate("spec.topology.nodePools[1].name", "workers"),
            'spec.topology.nodePools[1].name: Duplicate value: "workers"',
        ),
        (
            FieldError.not_found("spec.topology.class", "missing"),
            'spec.topology.class: Not found: "missing"',
        ),
        (
            FieldError.forbidden("spec.network", "may not be changed"),
            "spec.network: Forbidden: may not be changed",
        ),
        (
            FieldError.too_many("spec.network.pods", 2, 1),
            "spec.network.pods: Too many: 2: must have at most 1 item",
        ),
        (
            FieldError.too_many("spec.topology.nodePools", 40, 32),
            "spec.topology.nodePools: Too many: 40: must have at most 32 items",
        ),
        (
            FieldError.too_long("metadata.name", 63),
            "metadata.name: Too long: may not be more than 63 bytes",
        ),
    ],
)
def test_field_error_message_is_the_api_servers(error: FieldError, message: str):
    assert error.message() == message
    # A StatusCause's message is the same without the path.
    assert error.body() == message.removeprefix(f"{error.path}: ")
    assert error.text() == message


def test_a_bad_value_is_quoted_short():
    error = FieldError.invalid("metadata.name", "x" * 10_000, "too long")
    assert len(error.message()) < 200


def test_a_plain_field_error_reads_as_the_form_wrote_it():
    error = FieldError.worded("cpu_count", "Enter a number of vCPUs from 1 to 768.")
    assert error.text() == error.body() == "Enter a number of vCPUs from 1 to 768."
    assert error.message() == "cpu_count: Enter a number of vCPUs from 1 to 768."


def test_spec_error_keeps_a_forms_field_messages():
    error = SpecError({"name": "Enter a name.", "memory_mib": "Too little memory."})
    assert error.kind is ErrorKind.INVALID
    assert error.errors == {"name": "Enter a name.", "memory_mib": "Too little memory."}
    assert str(error) == "name: Enter a name.; memory_mib: Too little memory."
    assert [f.type for f in error.fields] == [CauseType.INVALID, CauseType.INVALID]


def test_field_errors_keep_the_first_problem_at_a_path():
    errors = FieldErrors()
    errors.required("spec.topology")
    errors.invalid("spec.topology", 3, "must be an object")
    with pytest.raises(SpecError) as raised:
        errors.check()
    assert raised.value.errors == {"spec.topology": "spec.topology: Required value"}


# ---------------------------------------------------------------- the kind, from the data


def test_a_name_taken_is_already_exists_whatever_its_words():
    errors = FieldErrors()
    errors.already_exists("name", "Somebody got there first.", name="web")
    errors.invalid("spec.replicas", 2, "must be odd")
    error = errors.error()
    assert error.kind is ErrorKind.ALREADY_EXISTS
    assert error.target == "web"
    # Every problem still reaches the form.
    assert error.errors == {
        "name": "Somebody got there first.",
        "spec.replicas": "spec.replicas: Invalid value: 2: must be odd",
    }


def test_words_that_say_already_exists_do_not_make_it_so():
    error = SpecError({"description": "This text already exists elsewhere."})
    assert error.kind is ErrorKind.INVALID
    assert described(error)[0] == "INVALID_ARGUMENT"


def test_limits_alone_are_unable_to_allocate_and_with_other_problems_invalid():
    errors = FieldErrors()
    errors.exceeds("limits.cpu", "The cluster needs more CPU than is left.")
    assert errors.error().kind is ErrorKind.UNABLE_TO_ALLOCATE_RESOURCE
    assert errors.error().message == "The cluster needs more CPU than is left."
    errors.required("spec.topology.controlPlane.vmClass")
    assert errors.error().kind is ErrorKind.INVALID


def test_merging_a_sections_error_carries_its_kind():
    taken = FieldErrors()
    taken.already_exists("placement.name", "Name in use.", name="sup")
    merged = FieldErrors()
    merged["storage.policy"] = "Select a policy."
    merged.merge(taken.error())
    error = merged.error()
    assert (error.kind, error.target) == (ErrorKind.ALREADY_EXISTS, "sup")
    assert set(error.errors) == {"storage.policy", "placement.name"}


# ---------------------------------------------------------------- the vAPI error, by kind


@pytest.mark.parametrize(
    ("kind", "error_type", "status"),
    [
        (ErrorKind.INVALID, "INVALID_ARGUMENT", 400),
        (ErrorKind.ALREADY_EXISTS, "ALREADY_EXISTS", 400),
        (ErrorKind.NOT_ALLOWED_IN_CURRENT_STATE, "NOT_ALLOWED_IN_CURRENT_STATE", 400),
        (ErrorKind.RESOURCE_IN_USE, "RESOURCE_IN_USE", 400),
        (ErrorKind.UNABLE_TO_ALLOCATE_RESOURCE, "UNABLE_TO_ALLOCATE_RESOURCE", 400),
        (ErrorKind.CONFLICT, "CONCURRENT_CHANGE", 409),
        (ErrorKind.NOT_FOUND, "NOT_FOUND", 404),
        (ErrorKind.UNAUTHENTICATED, "UNAUTHENTICATED", 401),
        (ErrorKind.UNAUTHORIZED, "UNAUTHORIZED", 403),
    ],
)
def test_each_kind_is_its_vapi_error(kind, error_type, status):
    found_type, messages, found_status = described(DomainError("It went wrong.", kind=kind))
    assert (found_type, found_status) == (error_type, status)
    assert [m["default_message"] for m in messages] == ["It went wrong."]


def test_a_vapi_error_has_a_message_per_field():
    errors = FieldErrors()
    errors.already_exists("namespace", "A namespace named 'a' already exists.", name="a")
    errors["limit.gold"] = "Enter a whole number."
    error_type, messages, _ = described(errors.error())
    assert error_type == "ALREADY_EXISTS"
    assert [m["default_message"] for m in messages] == [
        "namespace: A namespace named 'a' already exists.",
        "limit.gold: Enter a whole number.",
    ]


def test_a_rule_in_a_persons_words_shows_in_the_console_and_never_in_the_api():
    error = FieldError.invalid(
        "metadata.name", "Web_1", "a lowercase RFC 1123 label must ...", "Use lowercase letters."
    )
    # The Kubernetes API (a Status cause, the message) keeps the API server's wording.
    assert error.body() == 'Invalid value: "Web_1": a lowercase RFC 1123 label must ...'
    assert error.message().startswith("metadata.name: Invalid value:")
    # The console shows the person's words, beside the field and away from it.
    assert error.beside() == error.text() == "Use lowercase letters."
    assert SpecError([error]).errors == {"metadata.name": "Use lowercase letters."}
