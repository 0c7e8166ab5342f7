"""The Kubernetes protobuf envelope, read for the few built-in types clients send that way.

kubectl's typed clients (`auth can-i` among them) POST `application/vnd.kubernetes.protobuf`:
the magic `k8s\\0`, then a `runtime.Unknown` (typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2),
`raw` holding the object's message. A message is read by a schema naming its fields: number ->
(JSON name, a nested schema, "string", "bool" or a list of one of those for a repeated field).
Unknown fields are skipped, as protobuf readers do. Answers go back as JSON, which such clients
also accept."""

from __future__ import annotations

from kubeapi.http import KubeError

MEDIA_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"

TYPE_META = {1: ("apiVersion", "string"), 2: ("kind", "string")}
UNKNOWN = {1: ("typeMeta", TYPE_META), 2: ("raw", "bytes")}


class _Malformed(Exception):
    pass


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if at >= len(data) or shift > 63:
            raise _Malformed
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def _fields(data: bytes):
    """(number, wire type, value) of each field: an int for varints, bytes for the rest."""
    at = 0
    while at < len(data):
        key, at = _varint(data, at)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, at = _varint(data, at)
        elif wire == 2:
            size, at = _varint(data, at)
            if at + size > len(data):
                raise _Malformed
            value, at = data[at : at + size], at + size
        elif wire in (1, 5):  # fixed64 / fixed32: no field we read, skipped
            width = 8 if wire == 1 else 4
            value, at = data[at : at + width], at + width
        else:
            raise _Malformed
        yield number, wire, value


def _message(data: bytes, schema: dict) -> dict:
    found: dict = {}
    for number, wire, value in _fields(data):
        if number not in schema:
            continue
        name, kind = schema[number]
        repeated = isinstance(kind, list)
        kind = kind[0] if repeated else kind
        if kind == "bool":
            if wire != 0:
                raise _Malformed
            decoded = bool(value)
        elif wire != 2:
            raise _Malformed
        elif kind == "bytes":
            decoded = value
        elif kind == "string":
            decoded = value.decode("utf-8")
        else:
            decoded = _message(value, kind)
        if repeated:
            found.setdefault(name, []).append(decoded)
        else:
            found[name] = decoded
    return found


def decode(data: bytes, schema: dict) -> dict:
    """The object in a protobuf envelope as the JSON the API would take, or a 400."""
    try:
        if not data.startswith(MAGIC):
            raise _Malformed
        unknown = _message(data[len(MAGIC) :], UNKNOWN)
        obj = _message(unknown.get("raw", b""), schema)
    except (_Malformed, UnicodeDecodeError, RecursionError):
        raise KubeError.bad_request(
            "the body of the request is not a Kubernetes protobuf message"
        ) from None
    return {**unknown.get("typeMeta", {}), **obj}
