from __future__ import annotations

import copy

import jsonschema
import pytest

from apforms import api


def test_json_schema_accepts_the_example_and_rejects_broken_copies(doc: str) -> None:
    schema = api.json_schema(doc)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    record = api.example(doc)
    assert list(validator.iter_errors(record)) == []

    section = next(k for k, v in record["data"].items() if isinstance(v, dict) and v)
    broken = copy.deepcopy(record)
    broken["data"][section]["no_such_field"] = "x"
    assert list(validator.iter_errors(broken))

    wrong_doc = copy.deepcopy(record)
    wrong_doc["document"] = "something-else"
    assert list(validator.iter_errors(wrong_doc))


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("provision", "dates", "start"), "31/12/2026"),
        (("provision", "pupils"), "two"),
        (("school", "postcode"), "de1 2aa"),
        (("provider", "name"), None),
    ],
)
def test_json_schema_rejects_wrong_values(path: tuple[str, ...], value: object) -> None:
    schema = api.json_schema("sla")
    record = api.example("sla")
    target = record["data"]
    for key in path[:-1]:
        target = target[key]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(record))
