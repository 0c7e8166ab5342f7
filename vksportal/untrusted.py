"""Bounded readers for what callers send: JSON bodies, YAML manifests, the text in them.

Every front door reads its input through these, so that no input, however made, costs more
than its own size to refuse: a document is at most `MAX_BYTES`, nests at most `MAX_DEPTH`
collections and holds at most `MAX_NODES` values, a value repeated by a YAML alias (`*name`)
counted each time it is repeated, so the "billion laughs" bomb, where 330 bytes of nested
aliases expand to gigabytes, is refused at its first lines (aliases themselves stay allowed:
PyYAML writes them for any list used twice); NUL characters and lone surrogates (which no
database column, log line or UTF-8 response can hold) are refused wherever they appear.

Problems are `InputError`s: data (a message that names the problem and where, and the HTTP
status), rendered by each front door in its own format. Values quoted back are cut by `clip`.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

MAX_BYTES = 1024 * 1024  # a cluster manifest or an API body is a few kilobytes
MAX_DEPTH = 64  # a cluster manifest nests 8 deep; Kubernetes' own JSON decoder stops at 10,000
MAX_NODES = 10_000  # values in one document (a manifest holds about a hundred)
MAX_ECHO = 100  # characters of a value quoted back in a message

# libyaml's parser, when PyYAML was built with it (its wheels are): the pure-Python one takes
# seconds for a megabyte. Only its event stream is read before the budget checks pass.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")


class InputError(ValueError):
    """Input refused as it is read. `message` names the problem (and where, when known);
    `status` is 400, or 413 for a body over the size limit."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.message, self.status = message, status


def clip(text: str, limit: int = MAX_ECHO) -> str:
    """`text`, cut to `limit` characters with an ellipsis: how values are quoted back."""
    return text if len(text) <= limit else text[:limit] + "..."


def text_problem(value: str) -> str | None:
    """What makes `value` unfit to store or show (a NUL character, a lone surrogate), or None."""
    found = _BAD_CHARACTER.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "NUL characters (\\u0000) are not allowed"
    return f"a lone surrogate (\\u{ord(found.group()):04x}) is not valid Unicode"


def check_text(value: str, where: str = "") -> str:
    """`value`, or InputError naming `where` it holds a NUL or a lone surrogate."""
    problem = text_problem(value)
    if problem is not None:
        raise InputError(f"{where}: {problem}" if where else problem)
    return value


def check_tree(value: Any, *, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> Any:
    """`value` (decoded JSON or YAML), or InputError: nested deeper than `max_depth`, more than
    `max_nodes` values, or a key or string holding a NUL or lone surrogate (named by its path,
    `spec.items[2].name`). Iterative, so no depth can exhaust the stack."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    nodes = 0
    while stack:
        item, path, depth = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            raise InputError(f"the document holds more than {max_nodes} values")
        if isinstance(item, str):
            check_text(item, path or "the document")
        elif isinstance(item, (dict, list)):
            if nodes + len(item) > max_nodes:  # before a million children go on the stack
                raise InputError(f"the document holds more than {max_nodes} values")
            if depth >= max_depth:
                raise InputError(
                    f"{path or 'the document'}: nested more than {max_depth} levels deep"
                )
            if isinstance(item, dict):
                for key, child in item.items():
                    name = clip(str(key), 40)
                    if isinstance(key, str):
                        check_text(key, f"{path}.{name}" if path else name)
                    stack.append((child, f"{path}.{name}" if path else name, depth + 1))
            else:
                stack.extend((child, f"{path}[{i}]", depth + 1) for i, child in enumerate(item))
    return value


def _constant(name: str):
    raise ValueError(f"{name} is not a JSON number")


def load_json(data: bytes, *, encoding: str = "utf-8", max_bytes: int = MAX_BYTES) -> Any:
    """A JSON body, bounded: InputError (413) past `max_bytes`, else (400) for text that is not
    `encoding`, is not strict JSON (no NaN or Infinity) or breaks `check_tree`'s bounds."""
    if len(data) > max_bytes:
        raise InputError(f"the request body is larger than {_size(max_bytes)}", status=413)
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        raise InputError(f"the request body is not {clip(encoding, 40)} text") from None
    try:
        value = json.loads(text, parse_constant=_constant)
    except RecursionError:  # the C decoder's guard: far deeper than MAX_DEPTH
        raise InputError(f"JSON parse error - nested more than {MAX_DEPTH} levels deep") from None
    except ValueError as error:  # JSONDecodeError, an integer of thousands of digits
        raise InputError(f"JSON parse error - {clip(str(error), 200)}") from None
    return check_tree(value)


def load_yaml(text: str, *, max_bytes: int = MAX_BYTES) -> list[Any]:
    """The documents of a YAML stream (empty ones left out), bounded as `check_tree` with
    aliases expanded. Raises InputError for a bound broken (the message says where: `line 3:
    ...`), yaml.YAMLError for text that is not YAML."""
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise InputError(f"the document is larger than {_size(max_bytes)}", status=413)
    _scan(text)
    try:
        documents = list(yaml.load_all(text, Loader=_LOADER))
    except (ValueError, RecursionError) as error:  # e.g. an integer of thousands of digits
        raise InputError(f"a value cannot be read: {clip(str(error), 80)}") from None
    return [check_tree(d) for d in documents if d is not None]


def _scan(text: str) -> None:
    """Read the event stream before anything is built, counting every value as often as
    aliases repeat it, and stop as soon as the nesting or the count passes its bound: a bomb
    of nested aliases is refused at its first few lines, before any of it is expanded."""
    nodes = 0
    sizes: dict[str, tuple[int, int]] = {}  # anchor -> (values, nesting) of what it names
    open_: list[tuple[str | None, int, int]] = []  # collections: (anchor, nodes, depth) at start
    height = [0]  # deepest nesting reached inside each open collection (and the stream)
    for event in yaml.parse(text, Loader=_LOADER):
        line = f"line {event.start_mark.line + 1}: " if event.start_mark else ""
        if isinstance(event, yaml.AliasEvent):
            count, levels = sizes.get(event.anchor, (1, 0))
            nodes += count
            height[-1] = max(height[-1], len(open_) + levels)
        elif isinstance(event, yaml.ScalarEvent):
            nodes += 1
            if event.anchor is not None:
                sizes[event.anchor] = (1, 0)
        elif isinstance(event, yaml.CollectionStartEvent):
            nodes += 1
            open_.append((event.anchor, nodes, len(open_)))
            height.append(len(open_))
        elif isinstance(event, yaml.CollectionEndEvent):
            anchor, start, depth = open_.pop()
            inner = height.pop()
            height[-1] = max(height[-1], inner)
            if anchor is not None:
                sizes[anchor] = (nodes - start + 1, inner - depth)
        if nodes > MAX_NODES:
            what = "with its aliases expanded, " if sizes else ""
            raise InputError(f"{line}the document holds, {what}more than {MAX_NODES} values")
        if height[-1] > MAX_DEPTH:
            raise InputError(f"{line}nested more than {MAX_DEPTH} levels deep")


def _size(count: int) -> str:
    return f"{count // (1024 * 1024)} MiB" if count % (1024 * 1024) == 0 else f"{count} bytes"
