"""model/loading.py loads record data as marshmallow's ``Schema.load(partial=True)`` does:
the same valid data and the same messages, for good records and for any junk."""

from __future__ import annotations

import copy
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields

from apforms.model import loading, records
from apforms.model.definitions import load_definition

from .conftest import example_data

#: Values that each field type refuses or tidies in its own way.
JUNK: list[Any] = [
    None, "", " ", "x", "2026-13-45", "31/02/2026", "12/05/2026", "2026-5-1", "1,250.50", "7,5", "£12",
    "95%", 7, 7.5, -3, 10**12, 1e300, "1e99999", "NaN", True, False, [], [1], ["a", None], [None], [{}],
    [[]], [{"zz": 1}], {}, {"x": 1}, "W831400516007", "Q207000016049", "DE1 2AB", "not a postcode",
    "01332 123456", "nope@", "a@b.c", "Yes", "Off", "☒", "\u200b", "\ud800", "ﬁne", " two  spaces ",
    "line\r\nbreak", "a" * 5000, [{"name": "x"}] * 60, ["y"] * 70,
]  # fmt: skip


def by_marshmallow(schema: Schema, data: Any) -> tuple[Any, Any]:
    try:
        return schema.load(copy.deepcopy(data), partial=True), {}
    except ValidationError as exc:
        return (exc.valid_data if isinstance(exc.valid_data, dict) else {}), exc.messages


def assert_loads_the_same(doc: str, data: Any) -> None:
    schema = records.schema_for(load_definition(doc))
    assert loading._plan(schema) is not None  # apforms' schemas never fall back to marshmallow
    assert loading.load(schema, copy.deepcopy(data)) == by_marshmallow(schema, data)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in items:
        out.append((*path, key))
        out += _paths(value, (*path, key))
    return out


def _mutated(data: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    """The record with a few values replaced by junk, keys added that no form has, or removed."""
    d = copy.deepcopy(data)
    paths = _paths(d)
    for _ in range(rnd.randrange(1, 12)):
        path = rnd.choice(paths)
        node: Any = d
        try:
            for part in path[:-1]:
                node = node[part]
            roll = rnd.random()
            if roll < 0.7:
                node[path[-1]] = copy.deepcopy(rnd.choice(JUNK))
            elif isinstance(node, dict) and roll < 0.85:
                node[f"bogus_{rnd.randrange(3)}"] = rnd.choice(JUNK)
            elif isinstance(node, dict):
                node.pop(path[-1], None)
        except (KeyError, IndexError, TypeError):
            continue
    return d


def test_examples_load_the_same(doc: str) -> None:
    assert_loads_the_same(doc, example_data(doc))


def test_mutated_records_load_the_same(doc: str) -> None:
    rnd = random.Random(doc)
    base = example_data(doc)
    for _ in range(150):
        data = _mutated(base, rnd)
        assert_loads_the_same(doc, data)
        assert_loads_the_same(doc, records._prune(data))  # as validate gives it, pruned


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(section=st.sampled_from(["pupil", "status", "sen", "timetable", "grades", "nope"]), value=_json)
def test_any_json_loads_the_same(section: str, value: object) -> None:
    data = example_data("referral")
    data[section] = value
    assert_loads_the_same("referral", data)
    assert_loads_the_same("referral", value)


class _OwnDeserialize(fields.String):
    def deserialize(self, value: Any, attr: str | None = None, data: Any = None, **kw: Any) -> Any:
        return "own"


@pytest.mark.parametrize(
    "schema",
    [
        Schema.from_dict({"a": fields.String(data_key="b")})(),  # another key
        Schema.from_dict({"a": fields.String(allow_none=True)})(),
        Schema.from_dict({"a": fields.Nested(Schema.from_dict({"b": fields.String()}), many=True)})(),
        Schema.from_dict({"a": fields.List(fields.String(), validate=lambda v: None)})(),
        Schema.from_dict({"a": _OwnDeserialize()})(),
    ],
)
def test_a_schema_with_what_the_plan_does_not_know_is_loaded_by_marshmallow(schema: Schema) -> None:
    assert loading._plan(schema) is None
    for data in ({"a": "x"}, {"b": "x"}, {"a": None}, {"a": [{"b": 1}]}, {"a": ["x", 1]}, {"c": 1}, "x"):
        assert loading.load(schema, data) == by_marshmallow(schema, data)
