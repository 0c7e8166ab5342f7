"""Struct.rows: summaries built from query tuples in the REST form Struct.rest makes, handed on
by List.rest as they are; the vAPI form still derived from the declaration."""

from __future__ import annotations

import json

import pytest

from vapi.bindings import BOOLEAN, DOUBLE, INTEGER, STRING, Enum, Id, List, Optional, Rows, Struct

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


FIELDS = {
    "thing": Id("Thing"),
    "name": STRING,
    "on": Optional(BOOLEAN),
    "size": Optional(INTEGER),
    "ratio": Optional(DOUBLE),
    "note": Optional(STRING, null_shown=True),  # written as null when unset
}
ENCODE = json.JSONEncoder(separators=(",", ":")).encode


@pytest.mark.parametrize(
    ("keys", "tuples"),
    [
        (("thing", "name"), []),
        (("thing", "name", "on", "size"), [("t-1", "one", True, 4), ("t-2", "two", False, -1)]),
        # unset optionals left out, in any column but the first
        (("thing", "name", "on", "size"), [("t-1", "one", None, None), ("t-2", "x", True, 0)]),
        # text JSON escapes: quotes, backslashes, controls, beyond ASCII and the BMP
        (("thing", "name"), [('t"1', 'a"b\\c\n\t\x00'), ("t-2", "caf\u00e9 \u2603 \U0001f600")]),
        # what columns do not write is left to the encoder, the same text either way
        (("thing", "name", "ratio"), [("t-1", "one", 0.5), ("t-2", "two", None)]),
        (("thing", "name", "note"), [("t-1", "one", None), ("t-2", "two", "n")]),
        (("thing", "name", "size"), [("t-1", "one", True), ("t-2", "two", 3)]),  # mixed
        (("thing", "name"), [(None, "one")]),  # a None in the first column
    ],
)
def test_rows_json_is_the_encoders_text_of_the_dicts(keys, tuples):
    rows = Struct("com.example.wide", {k: FIELDS[k] for k in keys}).rows(keys, tuples)
    assert rows.json(ENCODE) == ENCODE(list(rows))
    assert json.loads(rows.json(ENCODE)) == list(rows)


def test_rows_given_as_dicts_are_encoded_as_they_are():
    rows = Rows(SUMMARY, [{"thing": "t", "name": "n", "ratio": 1.5}])
    assert rows.json(ENCODE) == '[{"thing":"t","name":"n","ratio":1.5}]'


def test_columns_of_text_numbers_and_booleans_need_no_encoder():
    def refuse(value):
        raise AssertionError(f"encoded by the encoder: {value!r}")

    keys = ("thing", "name", "on", "size")
    rows = Struct("com.example.wide", {k: FIELDS[k] for k in keys}).rows(
        keys, [("t-1", "\u00e9", True, 4), ("t-2", "two", None, None)]
    )
    assert rows.json(refuse) == '[{"thing":"t-1","name":"\\u00e9","on":true,"size":4},' + (
        '{"thing":"t-2","name":"two"}]'
    )


def test_rows_translate_a_columns_values_to_their_rest_form():
    keys = ("thing", "name", "size")
    struct = Struct("com.example.wide", {k: FIELDS[k] for k in keys})
    sizes = {"big": 3, "small": 1, "unknown": None}
    rows = struct.rows(keys, [("t-1", "a", "big"), ("t-2", "b", "unknown")], {"size": sizes})
    assert rows.json(ENCODE) == '[{"thing":"t-1","name":"a","size":3},{"thing":"t-2","name":"b"}]'
    assert list(rows) == [{"thing": "t-1", "name": "a", "size": 3}, {"thing": "t-2", "name": "b"}]
    with pytest.raises(ValueError):
        struct.rows(keys, [], {"other": sizes})
