"""SummaryJSON: a list's summaries written as JSON by the database, the text Struct.rest and a
compact encoder make of the same values (SQLite's json_object, PostgreSQL's to_json), handed
on by List.rest as they are; read back as dicts for the vAPI form."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import BigIntegerField, BooleanField, CharField, F, IntegerField, Value

from vapi.bindings import BOOLEAN, INTEGER, STRING, Enum, Id, List, Optional, Rows, Struct
from vapi.vcenter.common import MAX_UNSET, SummaryJSON

pytestmark = pytest.mark.django_db

FIELDS = {
    "thing": Id("Thing"),
    "name": STRING,
    "state": Enum("com.example.state", ("ON", "OFF")),
    "on": Optional(BOOLEAN),
    "size": Optional(INTEGER),
    "uuid": Optional(STRING),
    "note": Optional(STRING, null_shown=True),  # written as null when unset
}
STRUCT = Struct("com.example.summary", FIELDS)
ENCODE = json.JSONEncoder(separators=(",", ":")).encode
OUTPUT = {bool: BooleanField(), int: BigIntegerField(), str: CharField()}


def written(values: dict, translate=None, struct=STRUCT, wire="rest") -> str:
    """The database's text for one row whose fields are these Python values (or expressions;
    an optional field not given, unset)."""
    user, _ = get_user_model().objects.get_or_create(username="summary-json")
    unset = {key: null() for key, t in struct.fields.items() if isinstance(t, Optional)}
    expressions = {
        key: value if hasattr(value, "resolve_expression") else Value(value, OUTPUT[type(value)])
        for key, value in {**unset, **values}.items()
    }
    qs = get_user_model().objects.filter(pk=user.pk)
    summary = SummaryJSON(struct, expressions, translate, wire=wire)
    return qs.annotate(j=summary).values_list("j", flat=True)[0]


def null(field=None):
    return Value(None, output_field=field or CharField())


@pytest.mark.parametrize(
    "values",
    [
        {"thing": "t-1", "name": "one", "state": "ON", "on": True, "size": 4, "note": "n"},
        {"thing": "t-2", "name": "two", "state": "OFF", "on": False, "size": -1},
        {"thing": "t-3", "name": "big", "state": "ON", "size": 2**53 + 1},  # bytes of a datastore
        # text escapes: quotes, backslashes, controls, beyond ASCII and the BMP
        {"thing": 't"1', "name": 'a"b\\c\n\t\x01', "state": "ON"},
        {"thing": "t-4", "name": "caf\u00e9 \u2603 \U0001f600", "state": "OFF"},
    ],
)
def test_the_text_is_what_rest_makes_of_the_values(values):
    # Keys in order, compact; beyond ASCII as UTF-8, not escaped (the response is UTF-8).
    assert written(values) == compact(STRUCT.rest(values))
    # JSON-RPC's typed encoding of the same values, every field present.
    assert written(values, wire="vapi") == compact(STRUCT.vapi(values))


def compact(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def test_unset_optionals_are_left_out_or_null_as_declared():
    values = {
        "thing": "t",
        "name": "n",
        "state": "ON",
        "on": null(BooleanField()),
        "size": null(IntegerField()),
        "uuid": null(),
        "note": null(),
    }
    assert written(values) == '{"thing":"t","name":"n","state":"ON","note":null}'
    assert json.loads(written(values, wire="vapi")) == {
        "STRUCTURE": {
            "com.example.summary": {
                "thing": "t",
                "name": "n",
                "state": "ON",
                **{k: {"OPTIONAL": None} for k in ("on", "size", "uuid", "note")},
            }
        }
    }
    set_ = {**values, "on": True, "size": 0, "uuid": "u"}
    assert json.loads(written(set_)) == {
        "thing": "t",
        "name": "n",
        "state": "ON",
        "on": True,
        "size": 0,
        "uuid": "u",
        "note": None,
    }


def test_columns_booleans_and_translations():
    values = {"thing": F("username"), "name": F("username"), "state": F("is_staff")}
    values |= {"on": F("is_active"), "size": Value("big")}
    translate = {"state": {False: "OFF", True: "ON"}, "size": {"big": 3, "small": 1, None: None}}
    assert written(values, translate) == (
        '{"thing":"summary-json","name":"summary-json","state":"OFF","on":true,"size":3,"note":null}'
    )
    # A value the translation lacks: an optional left out, a required field null.
    assert json.loads(written(values, translate, wire="vapi"))["STRUCTURE"][STRUCT.name] == {
        "thing": "summary-json",
        "name": "summary-json",
        "state": "OFF",
        "on": {"OPTIONAL": True},
        "size": {"OPTIONAL": 3},
        "uuid": {"OPTIONAL": None},
        "note": {"OPTIONAL": None},
    }
    lacking = {"state": {False: "OFF"}, "size": {"small": 1}}
    assert written({**values, "state": F("is_active")}, lacking) == (
        '{"thing":"summary-json","name":"summary-json","state":null,"on":true,"note":null}'
    )


def test_rows_of_texts_read_as_dicts_and_pass_through_list_rest():
    texts = [
        written({"thing": "t-1", "name": "a", "state": "ON", "size": 1}),
        '{"thing":"t-2","name":"b","state":"OFF","note":null}',
    ]
    rows = Rows(STRUCT, texts=texts)
    assert rows.json(ENCODE) == "[" + ",".join(texts) + "]"
    assert list(rows) == [
        {"thing": "t-1", "name": "a", "state": "ON", "size": 1, "note": None},
        {"thing": "t-2", "name": "b", "state": "OFF", "note": None},
    ]
    assert len(rows) == 2 and rows[1]["name"] == "b"
    assert List(STRUCT).rest(rows) is rows
    assert List(STRUCT).vapi(rows) == List(STRUCT).vapi(list(rows))
    typed = Rows(STRUCT, texts=[compact(STRUCT.vapi(r)) for r in rows], wire="vapi")
    assert List(STRUCT).vapi(typed) is typed
    assert list(typed) == List(STRUCT).vapi(list(rows))
    assert Rows(STRUCT, texts=[]).json(ENCODE) == "[]"


def test_rows_given_as_dicts_are_encoded_as_they_are():
    rows = Rows(STRUCT, [{"thing": "t", "name": "n", "ratio": 1.5}])
    assert rows.json(ENCODE) == '[{"thing":"t","name":"n","ratio":1.5}]'


@pytest.mark.parametrize(
    "values",
    [
        {"thing": "t", "name": "n"},  # `state` is required
        {"thing": "t", "name": "n", "state": "ON", "extra": 1},
    ],
)
def test_fields_that_are_not_the_structures_are_refused(values):
    with pytest.raises(ValueError):
        SummaryJSON(STRUCT, values)


def test_a_first_field_that_may_be_unset_is_refused():
    with pytest.raises(ValueError):
        SummaryJSON(Struct("com.example.x", {"size": Optional(INTEGER), "name": STRING}), {})


def test_fields_it_cannot_write_are_refused():
    with pytest.raises(ValueError):
        SummaryJSON(Struct("com.example.x", {"inner": STRUCT}), {"inner": "username"})


def test_sqlite_writes_a_bounded_number_of_optionals_that_may_be_unset():
    """SQLite writes each combination of unset fields as its own json_object: 2**n of them."""
    wide = Struct(
        "com.example.wide",
        {"thing": STRING, **{f"o{i}": Optional(STRING) for i in range(MAX_UNSET + 1)}},
    )
    if connection.vendor == "sqlite":
        with pytest.raises(ValueError):
            written({"thing": "t"}, struct=wide)
    else:
        assert written({"thing": "t"}, struct=wide) == '{"thing":"t"}'
    assert written({"thing": "t", f"o{MAX_UNSET}": "set"}, struct=wide) == (
        f'{{"thing":"t","o{MAX_UNSET}":"set"}}'
    )
