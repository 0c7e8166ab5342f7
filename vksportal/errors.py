"""The domain's one error model, after Kubernetes' `field.Error` and `StatusReason`.

Services raise a `DomainError`: a kind (what happened: NotFound, AlreadyExists, Invalid...), a
human message, the field errors when the input was wrong, and what it is about (`target`).
Each front door renders it from that data, never from the text: a form shows `errors` next to
its fields, the vAPI handler picks the error type by kind (inventory.api.errors), the Kubernetes
adapter builds a `Status` with a cause per field (kubeapi.status).

A `FieldError` is worded one of two ways. Validation of Kubernetes objects (manifests,
admission) words it as the API server does, from its type, value and detail:
`spec.topology.controlPlane.replicas: Invalid value: 2: must be an odd number`. A form's rule
words it as a sentence for a person ("Enter a name for the VM class."): `plain`, shown alone.
An API rule whose wording a person should not have to read (a regular expression) carries a
person's words too (`human`): the console shows those, the APIs the API server's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from vksportal.untrusted import clip

MAX_MESSAGES = 20  # messages (or Status causes) in one error body
MAX_MESSAGE = 300  # characters: a sentence and a value quoted in it


class ErrorKind(StrEnum):
    """What went wrong, whatever the words: each front door maps a kind to its own status."""

    NOT_FOUND = "NotFound"
    ALREADY_EXISTS = "AlreadyExists"
    CONFLICT = "Conflict"  # written against an older version of the object
    INVALID = "Invalid"  # the fields say what
    BAD_REQUEST = "BadRequest"  # the request is not even an object to validate
    FORBIDDEN = "Forbidden"
    NOT_ALLOWED_IN_CURRENT_STATE = "NotAllowedInCurrentState"
    RESOURCE_IN_USE = "ResourceInUse"
    UNABLE_TO_ALLOCATE_RESOURCE = "UnableToAllocateResource"  # a limit or quota is exceeded
    UNAUTHENTICATED = "Unauthenticated"
    UNAUTHORIZED = "Unauthorized"


class CauseType(StrEnum):
    """apimachinery's field.ErrorType, whose values are metav1.CauseType strings."""

    REQUIRED = "FieldValueRequired"
    INVALID = "FieldValueInvalid"
    NOT_SUPPORTED = "FieldValueNotSupported"
    DUPLICATE = "FieldValueDuplicate"
    NOT_FOUND = "FieldValueNotFound"
    FORBIDDEN = "FieldValueForbidden"
    TOO_MANY = "FieldValueTooMany"
    TOO_LONG = "FieldValueTooLong"
    TYPE_INVALID = "FieldValueTypeInvalid"

    @property
    def words(self) -> str:
        """ErrorType.String(): how a message names the type."""
        return _WORDS[self]


_WORDS = {
    CauseType.REQUIRED: "Required value",
    CauseType.INVALID: "Invalid value",
    CauseType.NOT_SUPPORTED: "Unsupported value",
    CauseType.DUPLICATE: "Duplicate value",
    CauseType.NOT_FOUND: "Not found",
    CauseType.FORBIDDEN: "Forbidden",
    CauseType.TOO_MANY: "Too many",
    CauseType.TOO_LONG: "Too long",
    CauseType.TYPE_INVALID: "Invalid value",
}
# Types whose message never shows the value (ErrorBody prints the type's words alone).
_VALUELESS = (CauseType.REQUIRED, CauseType.FORBIDDEN, CauseType.TOO_LONG)


class _Omitted:
    """No bad value to show (apimachinery's omitValue)."""

    def __repr__(self) -> str:
        return "OMITTED"


OMITTED: Any = _Omitted()


def value_text(value: Any) -> str:
    """A value as the API server quotes it in a message: strings quoted, numbers bare; cut to
    about a hundred characters, as a message never echoes unbounded input."""
    if isinstance(value, str):
        return json.dumps(clip(value))
    # Go's json.Marshal writes no spaces; a structure's start is enough to know it.
    return clip(json.dumps(value, default=str, separators=(",", ":")))


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


@dataclass(frozen=True)
class FieldError:
    """One wrong field. `path` is as the caller wrote it: a form's field name, or the manifest's
    path (`spec.topology.workers.machineDeployments[0].replicas`)."""

    type: CauseType
    path: str
    value: Any = OMITTED
    detail: str = ""
    supported: tuple[str, ...] = ()  # for NotSupported
    plain: bool = False  # worded for a person at a form field: the detail is the whole text
    # The same problem in a person's words, for the console, where the API server's wording
    # would show a regular expression; the APIs keep `detail`.
    human: str = ""

    # ------------------------------------------------ constructors, as apimachinery's field.*

    @classmethod
    def required(cls, path: str, detail: str = "") -> FieldError:
        return cls(CauseType.REQUIRED, path, detail=detail)

    @classmethod
    def invalid(cls, path: str, value: Any, detail: str, human: str = "") -> FieldError:
        return cls(CauseType.INVALID, path, value, detail, human=human)

    @classmethod
    def type_invalid(cls, path: str, value: Any, detail: str) -> FieldError:
        return cls(CauseType.TYPE_INVALID, path, value, detail)

    @classmethod
    def not_supported(cls, path: str, value: Any, supported: Iterable[str]) -> FieldError:
        return cls(CauseType.NOT_SUPPORTED, path, value, supported=tuple(supported))

    @classmethod
    def duplicate(cls, path: str, value: Any) -> FieldError:
        return cls(CauseType.DUPLICATE, path, value)

    @classmethod
    def not_found(cls, path: str, value: Any) -> FieldError:
        return cls(CauseType.NOT_FOUND, path, value)

    @classmethod
    def forbidden(cls, path: str, detail: str) -> FieldError:
        return cls(CauseType.FORBIDDEN, path, detail=detail)

    @classmethod
    def too_many(cls, path: str, count: int, most: int) -> FieldError:
        detail = f"must have at most {most} {_plural(most, 'item', 'items')}"
        return cls(CauseType.TOO_MANY, path, count, detail)

    @classmethod
    def too_long(cls, path: str, most: int) -> FieldError:
        detail = f"may not be more than {most} {_plural(most, 'byte', 'bytes')}"
        return cls(CauseType.TOO_LONG, path, detail=detail)

    @classmethod
    def worded(
        cls, path: str, text: str, type: CauseType = CauseType.INVALID, value: Any = OMITTED
    ) -> FieldError:
        """A field error in a person's words (a form's rule, a limit exceeded)."""
        return cls(type, path, value, text, plain=True)

    # ------------------------------------------------ the words

    def body(self) -> str:
        """field.Error.ErrorBody(): the message without the path, as StatusCause.message."""
        if self.plain:
            return self.detail
        if self.type in _VALUELESS or self.value is OMITTED:
            text = self.type.words
        else:
            text = f"{self.type.words}: {value_text(self.value)}"
        detail = self.detail
        if self.type is CauseType.NOT_SUPPORTED and self.supported:
            detail = "supported values: " + ", ".join(value_text(str(s)) for s in self.supported)
        return f"{text}: {detail}" if detail else text

    def message(self) -> str:
        """field.Error.Error(): `<path>: <body>`."""
        return f"{self.path}: {self.body()}"

    def text(self) -> str:
        """What a person reads away from the field: a form's sentence, the person's words of
        an API rule, or the API server's whole message."""
        if self.human:
            return self.human
        return self.detail if self.plain else self.message()

    def beside(self) -> str:
        """What a person reads next to the field (no path in front)."""
        return self.human or self.body()


class DomainError(Exception):
    """An operation refused. Subclasses fix the kind; `fields` say which input was wrong."""

    kind: ErrorKind = ErrorKind.INVALID

    def __init__(
        self,
        message: str = "",
        *,
        kind: ErrorKind | None = None,
        fields: Iterable[FieldError] = (),
        target: str = "",
    ):
        self.kind = ErrorKind(kind or type(self).kind)
        self.fields = tuple(fields)
        self.message = message or "; ".join(f.message() for f in self.fields)
        self.target = target
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    @classmethod
    def not_found(cls, message: str, *, target: str = "") -> DomainError:
        return DomainError(message, kind=ErrorKind.NOT_FOUND, target=target)

    @classmethod
    def already_exists(cls, message: str, *, target: str = "") -> DomainError:
        return DomainError(message, kind=ErrorKind.ALREADY_EXISTS, target=target)

    @classmethod
    def invalid(cls, fields: Iterable[FieldError], *, target: str = "") -> DomainError:
        return DomainError(kind=ErrorKind.INVALID, fields=fields, target=target)

    @classmethod
    def bad_request(cls, message: str) -> DomainError:
        return DomainError(message, kind=ErrorKind.BAD_REQUEST)

    @classmethod
    def forbidden(cls, message: str, *, target: str = "") -> DomainError:
        return DomainError(message, kind=ErrorKind.FORBIDDEN, target=target)


class SpecError(DomainError):
    """The input was wrong: a field error per problem, for the form (or API) to show next to
    each field. Built from FieldErrors, or from a form's `{field: sentence}`."""

    def __init__(
        self,
        errors: Mapping[str, str] | Iterable[FieldError],
        *,
        kind: ErrorKind = ErrorKind.INVALID,
        message: str = "",
        target: str = "",
    ):
        if isinstance(errors, Mapping):
            fields = [FieldError.worded(path, text) for path, text in errors.items()]
        else:
            fields = list(errors)
        super().__init__(message, kind=kind, fields=fields, target=target)
        if not message:  # the form-side text: every field's message, as people read them
            self.message = "; ".join(f"{k}: {v}" for k, v in self.errors.items())
            self.args = (self.message,)

    @property
    def errors(self) -> dict[str, str]:
        """Field -> what a person reads there (the first problem found at a field)."""
        found: dict[str, str] = {}
        for f in self.fields:
            found.setdefault(f.path, f.text())
        return found


class FieldErrors(dict):
    """Field errors as a validator finds them: path -> FieldError. The helpers (after
    apimachinery's field.*) keep the first problem found at a path; assigning a form's sentence
    (`errors["name"] = "..."`) replaces it. `check` raises them as one SpecError whose kind is
    decided here, from what was recorded: a name taken is AlreadyExists, only limits exceeded
    is UnableToAllocateResource, anything else Invalid."""

    def __init__(self) -> None:
        super().__init__()
        self.taken: tuple[str, str] | None = None  # (message, name) of a name already in use
        self.exceeded: set[str] = set()  # paths of limits a request would exceed

    def __setitem__(self, path: str, error: FieldError | str) -> None:
        if isinstance(error, str):
            error = FieldError.worded(path, error)
        super().__setitem__(path, error)

    def put(self, error: FieldError) -> None:
        if error.path not in self:
            super().__setitem__(error.path, error)

    def add(self, path: str, text: str, type: CauseType = CauseType.INVALID) -> None:
        """A problem in its own words (no `<path>: <type>` prefix)."""
        self.put(FieldError.worded(path, text, type))

    def invalid(self, path: str, value: Any, detail: str, human: str = "") -> None:
        self.put(FieldError.invalid(path, value, detail, human))

    def required(self, path: str, detail: str = "") -> None:
        self.put(FieldError.required(path, detail))

    def unsupported(self, path: str, value: Any, supported: Iterable[str]) -> None:
        self.put(FieldError.not_supported(path, value, supported))

    def duplicate(self, path: str, value: Any) -> None:
        self.put(FieldError.duplicate(path, value))

    def too_many(self, path: str, count: int, most: int) -> None:
        self.put(FieldError.too_many(path, count, most))

    def forbidden(self, path: str, detail: str) -> None:
        self.put(FieldError.forbidden(path, detail))

    def already_exists(self, path: str, text: str, *, name: str) -> None:
        """`name` at `path` is taken: the error is AlreadyExists, `text` its message."""
        self.put(FieldError.worded(path, text, CauseType.DUPLICATE, name))
        if self.taken is None:
            self.taken = (text, name)

    def exceeds(self, path: str, text: str) -> None:
        """The request would exceed the limit at `path`."""
        self.put(FieldError.worded(path, text, CauseType.FORBIDDEN))
        self.exceeded.add(path)

    def merge(self, error: DomainError) -> None:
        """Another validator's findings, as if recorded here (later ones replace)."""
        for f in error.fields:
            self[f.path] = f
        if error.kind is ErrorKind.ALREADY_EXISTS and self.taken is None:
            self.taken = (error.message, error.target)

    def error(self, *, target: str = "") -> SpecError:
        fields = list(self.values())
        if self.taken is not None:
            message, name = self.taken
            return SpecError(
                fields, kind=ErrorKind.ALREADY_EXISTS, message=message, target=name or target
            )
        if set(self) <= self.exceeded:
            return SpecError(
                fields,
                kind=ErrorKind.UNABLE_TO_ALLOCATE_RESOURCE,
                message=" ".join(f.detail for f in fields),
                target=target,
            )
        return SpecError(fields, target=target)

    def check(self, *, target: str = "") -> None:
        if self:
            raise self.error(target=target)
