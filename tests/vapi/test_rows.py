"""Struct.rows: summaries built from query tuples in the REST form Struct.rest makes, handed on
by List.rest as they are; the vAPI form still derived from the declaration."""

from __future__ import annotations

import pytest

from vapi.bindings import INTEGER, STRING, Enum, Id, List, Optional, Rows, Struct

SUMMARY = Struct(
    "com.example.summary",
    {
        "thing": Id("Thing"),
        "name": STRING,
        "state": Enum("com.example.state", ("ON", "OFF")),
        "size": Optional(INTEGER),
        "uuid": Optional(STRING),
    },
)
KEYS = ("thing", "name", "state", "size")
TUPLES = [("t-1", "one", "ON", 4), ("t-2", "two", "OFF", None)]


def test_rows_are_what_rest_makes_and_pass_through_list_rest():
    rows = SUMMARY.rows(KEYS, iter(TUPLES))
    as_dicts = [dict(zip(KEYS, t, strict=True)) for t in TUPLES]
    assert isinstance(rows, Rows)
    assert list(rows) == [SUMMARY.rest(d) for d in as_dicts]
    assert rows[1] == {"thing": "t-2", "name": "two", "state": "OFF"}  # unset optional left out
    assert List(SUMMARY).rest(rows) is rows
    assert List(SUMMARY).vapi(rows) == List(SUMMARY).vapi(as_dicts)


def test_rows_of_another_struct_are_converted():
    other = Struct("com.example.other", dict(SUMMARY.fields))
    rows = other.rows(KEYS, TUPLES)
    assert List(SUMMARY).rest(rows) is not rows
    assert List(SUMMARY).rest(rows) == list(rows)


def test_rows_may_leave_out_optional_fields():
    rows = SUMMARY.rows(("thing", "name", "state"), [("t", "n", "ON")])
    assert rows == [{"thing": "t", "name": "n", "state": "ON"}]


@pytest.mark.parametrize(
    "keys",
    [
        ("thing", "name", "size"),  # `state` is required
        ("thing", "name", "state", "size", "extra"),
        ("thing", "name", "state", "state"),
    ],
)
def test_rows_refuse_keys_that_are_not_the_fields(keys):
    with pytest.raises(ValueError):
        SUMMARY.rows(keys, [])


def test_rows_refuse_tuples_of_another_length():
    with pytest.raises(ValueError):
        SUMMARY.rows(KEYS, [("t", "n", "ON")])


def test_rows_refuse_a_struct_whose_rest_form_is_converted():
    nested = Struct("com.example.nested", {"inner": SUMMARY})
    with pytest.raises(ValueError):
        nested.rows(("inner",), [])
