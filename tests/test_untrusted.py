"""vksportal.untrusted: what the bounded readers take and what they refuse, and how they say it."""

from __future__ import annotations

import pytest
import yaml

from vksportal import untrusted
from vksportal.untrusted import InputError, check_tree, clip, load_json, load_yaml


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\n", [{"a": 1}]),
        ("---\n---\na: [x, y]\n", [{"a": ["x", "y"]}]),  # empty documents left out
        ("a: &l [1, 2]\nb: *l\n", [{"a": [1, 2], "b": [1, 2]}]),  # a small alias is fine
        ("a: &s x\nb: {<<: {c: *s}}\n", [{"a": "x", "b": {"c": "x"}}]),
    ],
)
def test_yaml_within_the_bounds_loads(text, expected):
    assert load_yaml(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 65 + "]" * 65, "line 1: nested more than 64 levels deep"),
        # 4 levels named by an alias under 61 more: 65 in all, though no line nests that deep
        ("a: &x [[[[1]]]]\nb: " + "[" * 60 + "*x" + "]" * 60, "line 2: nested more than 64"),
        ("[" + ",".join(["1"] * 10_001) + "]", "more than 10000 values"),
        (
            "a: &a [" + ",".join(["x"] * 100) + "]\nb: [" + ",".join(["*a"] * 100) + "]",
            "line 2: the document holds, with its aliases expanded, more than 10000 values",
        ),
        ('a: "x\\0y"', "a: NUL characters (\\u0000) are not allowed"),
        ('"k\\0": 1', "k\x00: NUL characters"),
        ("a: " + "1" * 5000, "a value cannot be read"),
    ],
)
def test_yaml_past_a_bound_is_refused_saying_which(text, message):
    with pytest.raises(InputError) as refused:
        load_yaml(text)
    assert message in refused.value.message
    assert refused.value.status == 400


def test_yaml_over_the_size_is_413_before_it_is_read(monkeypatch):
    monkeypatch.setattr(untrusted, "_scan", None)  # never reached
    with pytest.raises(InputError) as refused:
        load_yaml("a" * (untrusted.MAX_BYTES + 1))
    assert refused.value.status == 413


def test_text_that_is_not_yaml_is_a_yaml_error():
    with pytest.raises(yaml.YAMLError):
        load_yaml("a: [unclosed")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"[" * 5000 + b"]" * 5000, "nested more than 64 levels deep"),
        (b'{"a": [{"b": "\\ud800"}]}', "a[0].b: a lone surrogate (\\ud800) is not valid Unicode"),
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b"\xff", "not utf-8 text"),
        (b"[" + b"0," * 20_000 + b"0]", "more than 10000 values"),
    ],
)
def test_json_past_a_bound_is_a_400_naming_the_problem(data, message):
    with pytest.raises(InputError) as refused:
        load_json(data)
    assert message in refused.value.message


def test_check_tree_walks_without_recursion():
    deep: list = []
    for _ in range(100_000):  # far past Python's recursion limit
        deep = [deep]
    with pytest.raises(InputError, match="nested more than 64"):
        check_tree(deep)


def test_clip_cuts_long_values_with_an_ellipsis():
    assert clip("x" * 100) == "x" * 100
    assert clip("x" * 101) == "x" * 100 + "..."
