"""The patch types the API server takes for custom resources: JSON merge patch (RFC 7386),
JSON patch (RFC 6902) and server-side apply (`application/apply-patch+yaml`). Strategic merge
is for built-in types only (the dispatcher answers it 415, as for a CRD)."""

from __future__ import annotations

import copy

from kubeapi.http import KubeError

MAX_OPERATIONS = 1000


def merge(target, patch):
    """RFC 7386: objects merge key by key, null removes, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge(result.get(key), value)
    return result


def apply(live: dict, applied: dict) -> dict:
    """Server-side apply, as far as one field manager goes: the applied configuration's fields
    win, maps merge, lists are replaced (as `atomic` lists are); what it leaves out stays."""
    result = copy.deepcopy(live)
    for key, value in applied.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = apply(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise KubeError(422, "Invalid", f"the JSON pointer {path[:80]!r} must start with /")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc, parts: list[str]):
    node = doc
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise KubeError(422, "Invalid", f"the path {'/'.join(parts)[:80]!r} does not exist")
    return node


def _index(node: list, part: str, *, adding: bool) -> int:
    if adding and part == "-":
        return len(node)
    if not part.isdigit() or int(part) > len(node) - (0 if adding else 1):
        raise KubeError(422, "Invalid", f"the index {part[:20]!r} is out of range")
    return int(part)


def json_patch(doc, operations) -> object:
    """RFC 6902: add, remove, replace, move, copy, test — all or nothing."""
    if not isinstance(operations, list):
        raise KubeError.bad_request("a JSON patch is a list of operations")
    doc = copy.deepcopy(doc)
    for op in operations[:MAX_OPERATIONS]:
        if not isinstance(op, dict) or not isinstance(op.get("path"), str):
            raise KubeError.bad_request("each JSON patch operation needs an op and a path")
        kind, parts = op.get("op"), _pointer(op["path"])
        if kind in ("move", "copy"):
            source = _pointer(str(op.get("from", "")))
            value = copy.deepcopy(_get(doc, source))
            if kind == "move":
                doc = _remove(doc, source)
            doc = _add(doc, parts, value)
        elif kind == "add":
            doc = _add(doc, parts, copy.deepcopy(op.get("value")))
        elif kind == "remove":
            doc = _remove(doc, parts)
        elif kind == "replace":
            _get(doc, parts)
            doc = _add(_remove(doc, parts), parts, copy.deepcopy(op.get("value")))
        elif kind == "test":
            if _get(doc, parts) != op.get("value"):
                raise KubeError(422, "Invalid", f"testing value {op['path'][:80]} failed")
        else:
            raise KubeError.bad_request(f"Unexpected kind: {str(kind)[:20]}")
    return doc


def _get(doc, parts: list[str]):
    node = doc
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list):
            node = node[_index(node, part, adding=False)]
        else:
            raise KubeError(422, "Invalid", f"the path /{'/'.join(parts)[:80]} does not exist")
    return node


def _add(doc, parts: list[str], value):
    if not parts:
        return value
    parent = _parent(doc, parts)
    if isinstance(parent, dict):
        parent[parts[-1]] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, parts[-1], adding=True), value)
    else:
        raise KubeError(422, "Invalid", f"the path /{'/'.join(parts)[:80]} does not exist")
    return doc


def _remove(doc, parts: list[str]):
    if not parts:
        return None
    parent = _parent(doc, parts)
    if isinstance(parent, dict) and parts[-1] in parent:
        del parent[parts[-1]]
    elif isinstance(parent, list):
        del parent[_index(parent, parts[-1], adding=False)]
    else:
        raise KubeError(422, "Invalid", f"the path /{'/'.join(parts)[:80]} does not exist")
    return doc
