"""Records: a definition becomes a marshmallow schema; records are checked and made canonical.

Every problem is collected at once and named by the form's printed label and the key path
(``Pupil’s legal name in full (pupil.legal_name): Missing data``). The canonical form of a
record (see ``docs/definitions.md``) is what every later stage reads and what ingest
produces, so a round trip can compare whole records.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from apforms.errors import RecordError
from apforms.model import definitions as d
from apforms.model.definitions import Definition, Field, version_tuple
from apforms.model.types import MAX_ROWS, MISSING, TYPES, Shape, marshmallow_field
from apforms.safe import clip, quote

if TYPE_CHECKING:  # marshmallow is imported when a record is first validated, not with this module
    from marshmallow import Schema

# The shapes as plain module constants: these loops run for every field of every record.
_OBJECT, _ROWS, _LISTS = Shape.OBJECT, Shape.ROWS, (Shape.ROWS, Shape.ITEMS)

# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one field, for people (label) and machines (path)."""

    path: str
    label: str
    message: str

    def __str__(self) -> str:
        return f"{self.label} ({self.path}): {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "label": self.label, "message": self.message}


@dataclass
class ValidationResult:
    """The canonical data (best effort when invalid), every problem, and required gaps."""

    data: dict[str, Any]
    problems: list[Problem] = field(default_factory=list)
    #: Required fields still empty; with ``partial=True`` these are warnings, not problems.
    missing: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Record:
    """A record file: the document's definition and its data (``extra``: e.g. provenance)."""

    definition: Definition
    data: dict[str, Any]
    extra: Mapping[str, Any] = field(default_factory=dict)

    def as_file(self) -> dict[str, Any]:
        """The record file's JSON object: ``{"document", "version", "data", …extra}``."""
        return record_file(self.definition, self.data, **self.extra)


def record_file(definition: Definition, data: Mapping[str, Any], **extra: Any) -> dict[str, Any]:
    """The JSON object of a record file (the one shape every command reads and writes)."""
    return {"document": definition.id, "version": definition.version, "data": dict(data), **extra}


def canonical(definition: Definition, data: Mapping[str, Any]) -> dict[str, Any]:
    """The canonical form of possibly partial ``data`` (see ``docs/definitions.md``): empty
    values dropped, tick boxes true/false, defaults filled; invalid values are left out."""
    return validate_data(definition, data, partial=True).data


# --------------------------------------------------------------------------- record files


#: How deep a record file's JSON may nest: a record's data is sections, groups, tables, rows
#: and lists, a few levels; far deeper is a hostile file (validation walks it recursively).
MAX_DEPTH = 32
_TOO_DEEP = f"not a record (its JSON nests more than {MAX_DEPTH} levels deep)"


def parse_record(text: str | bytes, source: str = "record") -> Record:
    """Read a record file's JSON; a :class:`RecordError` if it is not a record we know, or if
    one of its objects gives a key twice (JSON readers disagree on which value wins, so a
    second ``"upn"`` would silently replace the first)."""
    try:
        raw = json.loads(text, object_pairs_hook=_unique_keys)
    except _DuplicateKey as exc:
        twice = f"the key {quote(exc.key)} is given twice in one object"
        raise RecordError(f"{source}: {twice}; keep one of them") from None
    except RecursionError:
        raise RecordError(f"{source}: {_TOO_DEEP}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise RecordError(f"{source}: not JSON ({clip(str(exc))})") from None
    if _too_deep(raw):
        raise RecordError(f"{source}: {_TOO_DEEP}")
    return record_from_obj(raw, source)


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, refusing a key given twice."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _DuplicateKey(key)
        out[key] = value
    return out


def _too_deep(raw: Any) -> bool:
    """Whether JSON data nests more than :data:`MAX_DEPTH` levels (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(raw, 0)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 >= MAX_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False


def record_from_obj(raw: Any, source: str = "record") -> Record:
    if not isinstance(raw, Mapping) or "document" not in raw or "data" not in raw:
        raise RecordError(f'{source}: not a record (needs "document", "version" and "data")')
    try:
        definition = d.load_definition(str(raw["document"]))
    except Exception as exc:  # DefinitionError: unknown document
        raise RecordError(f"{source}: {clip(str(exc))}") from None
    version = str(raw.get("version", definition.version))
    try:
        newer = version_tuple(version) > definition.version_tuple
    except Exception:
        raise RecordError(f"{source}: version {quote(version)} is not like '1.0'") from None
    if newer:
        raise RecordError(
            f"{source}: {definition.id} version {version} is newer than this apforms knows "
            f"({definition.version}); upgrade apforms"
        )
    if not isinstance(raw["data"], Mapping):
        raise RecordError(f'{source}: "data" must be an object')
    if version_tuple(version) < definition.version_tuple and version in d.kept_versions(definition.id):
        definition = d.load_definition(definition.id, version)  # a record keeps its own form
    extra = {k: v for k, v in raw.items() if k not in ("document", "version", "data")}
    return Record(definition, dict(raw["data"]), extra)


# --------------------------------------------------------------------------- schema building


@cache
def _schema_for(container: Field) -> type[Schema]:
    from marshmallow import RAISE, Schema

    fields = {c.key: marshmallow_field(c, _schema_for) for c in container.fields}
    cls = Schema.from_dict(fields, name=f"S_{container.path.replace('.', '_')}")
    cls.Meta.unknown = RAISE
    return cls


@cache
def schema_for(definition: Definition) -> Schema:
    """The marshmallow schema of a definition's ``data`` (built once per definition)."""
    from marshmallow import RAISE, Schema

    fields = {s.key: marshmallow_field(s, _schema_for) for s in definition.sections}
    cls = Schema.from_dict(fields, name=f"Record_{definition.id.replace('-', '_')}")
    return cls(unknown=RAISE)


# --------------------------------------------------------------------------- validate


def validate_data(definition: Definition, data: Mapping[str, Any], partial: bool = False) -> ValidationResult:
    """Check ``data`` against ``definition``; every problem at once, canonical data back.

    With ``partial`` (pre-filling a form), required fields may be empty: they are listed in
    ``missing`` instead of ``problems``.
    """
    from apforms.model import loading

    cleaned = _prune(data)
    if not isinstance(cleaned, dict):
        cleaned = {}
    too_long = _too_long(definition.sections, cleaned, "", "")  # taken out: nothing else reads them
    missing: list[Problem] = []
    too_many: list[Problem] = []
    _walk(definition.sections, cleaned, "", "", missing, too_many)
    loaded, messages = loading.load(schema_for(definition), cleaned)  # as schema.load(partial=True)
    problems = _flatten(definition.sections, messages, "", "") + too_many
    canonical = _canonical(definition.sections, loaded)
    problems = _merge(too_long + problems, [] if partial else missing)
    return ValidationResult(canonical, problems, missing)


def validate(definition: Definition, data: Mapping[str, Any], partial: bool = False) -> ValidationResult:
    """Alias of :func:`validate_data` (the facade's name)."""
    return validate_data(definition, data, partial)


def _merge(problems: list[Problem], missing: list[Problem]) -> list[Problem]:
    seen = {p.path for p in problems}
    merged = problems + [m for m in missing if m.path not in seen]
    return sorted(merged, key=lambda p: _path_order(p.path))


def _path_order(path: str) -> tuple[Any, ...]:
    # (0, n, "") for a row number, (1, 0, key) for a key: a key made of digits still sorts,
    # and so does one of other digits ("²" is a digit to str.isdigit, not to int()).
    parts = re.split(r"[.\[\]]+", path)
    return tuple((0, int(p), "") if p.isascii() and p.isdigit() else (1, 0, p) for p in parts if p)


def _prune(value: Any) -> Any:
    """Drop None, empty and white-space strings, empty lists; recurse into mappings and lists."""
    if type(value) is str:  # most values: no need to ask whether a string is a Mapping
        return value if value.strip() else None
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            pv = _prune(v)
            if pv is not None:
                out[k] = pv
        return out
    if isinstance(value, list):
        items = [_prune(v) for v in value]
        items = [v for v in items if v is not None and v != {}]
        return items or None
    if isinstance(value, str) and not value.strip():
        return None
    return value


def _walk(
    fields: tuple[Field, ...],
    data: Any,
    path: str,
    label: str,
    missing: list[Problem],
    too_many: list[Problem],
) -> None:
    """One walk of pruned data: every group made present (so that required fields inside an
    absent group are reported), required fields left empty added to ``missing``, tables and
    lists longer than :data:`~apforms.model.types.MAX_ROWS` to ``too_many`` (marshmallow's
    Length validator is skipped when a row is itself invalid, so rows are counted here)."""
    if not isinstance(data, Mapping):
        return
    for f in fields:
        value = data.get(f.key)
        if f.shape == _OBJECT and value is None and isinstance(data, dict):
            value = data[f.key] = {}
        empty = f.required and f.default is None and value in (None, {}, [])
        rows = value if f.shape in _LISTS and isinstance(value, list) else None
        if not (empty or rows is not None or f.shape == _OBJECT):
            continue  # most fields: no path or label to work out
        p, lab = _where(path, label, f)
        if empty:
            missing.append(Problem(p, lab, MISSING))
        if f.shape == _OBJECT:
            _walk(f.fields, value, p, lab, missing, too_many)
        elif rows is not None:
            if len(rows) > MAX_ROWS:
                too_many.append(
                    Problem(p, lab, f"At most {MAX_ROWS} rows; split the rest into another record")
                )
            if f.shape == _ROWS:
                for i, row in enumerate(rows):
                    _walk(f.fields, row, f"{p}[{i}]", f"{lab}, row {i + 1}", missing, too_many)


def _where(path: str, label: str, f: Field) -> tuple[str, str]:
    """The key path and printed label of ``f`` inside ``path`` (sections' titles are not
    repeated in labels)."""
    if not path:
        return f.key, ""
    return f"{path}.{f.key}", _join_label(label, f.label)


def defaulted(definition: Definition, data: Mapping[str, Any]) -> list[Problem]:
    """The fields with a default (the council's example wording) that are empty in ``data``:
    their canonical value is the default, not anything read. Outside tables only (no field in
    a table has a default)."""
    return list(_defaulted(definition.sections, data, "", ""))


def _defaulted(fields: tuple[Field, ...], data: Any, path: str, label: str) -> Iterator[Problem]:
    """As if on pruned data: only the values of fields with a default are pruned."""
    if not isinstance(data, Mapping):
        data = {}
    for f in fields:
        value = data.get(f.key)
        if f.shape == _OBJECT:
            yield from _defaulted(f.fields, value, *_where(path, label, f))
        elif f.default is not None and _prune(value) is None:
            p, lab = _where(path, label, f)
            yield Problem(p, lab, "read as empty: the record holds the form's example wording instead")


def _too_long(fields: tuple[Field, ...], data: Any, path: str, label: str) -> list[Problem]:
    """Values longer than their field allows (:meth:`~apforms.model.types.FieldType.limit`),
    each named with the start of it; they are taken out of ``data`` (a list whole), so that
    no other check, and no message, works through a value of megabytes."""
    out: list[Problem] = []
    if not isinstance(data, dict):
        return out
    for f in fields:
        value = data.get(f.key)
        if value is None:
            continue
        p = f"{path}.{f.key}" if path else f.key
        lab = _join_label(label, f.label) if path else ""
        if f.shape == _OBJECT:
            out += _too_long(f.fields, value, p, lab)
        elif f.shape == _ROWS:
            for i, row in enumerate(value if isinstance(value, list) else ()):
                out += _too_long(f.fields, row, f"{p}[{i}]", f"{lab}, row {i + 1}")
        else:
            limit = TYPES[f.type].limit(f) or 0
            items = value if isinstance(value, list) else [value]
            for i, item in enumerate(items):
                if isinstance(item, str) and limit and len(item) > limit:
                    item_no = f"item {i + 1}: " if isinstance(value, list) else ""
                    out.append(Problem(p, lab, f"Too long: {item_no}{_length(item, limit)}"))
                    del data[f.key]
                    break
    return out


def _length(value: str, limit: int) -> str:
    """How long a value is, and its start (at most 40 characters of it are quoted)."""
    start = value[:40].replace("\n", " ")
    shown = f"beginning {start + '…'!r}" if len(value) > 40 else repr(start)
    return f"{len(value):,} characters (at most {limit:,}): {shown}"


def _join_label(outer: str, inner: str) -> str:
    return inner if not outer else f"{outer} › {inner}"


def _flatten(fields: tuple[Field, ...], messages: Any, path: str, label: str) -> list[Problem]:
    """marshmallow's nested ``messages`` → Problems with printed labels and key paths."""
    out: list[Problem] = []
    if not isinstance(messages, Mapping):
        return out
    by_key = {f.key: f for f in fields}
    for key, msg in messages.items():
        if key == "_schema":  # the container itself is wrong (not an object)
            out.extend(Problem(path or "data", label or path, _tidy(m)) for m in _as_list(msg))
            continue
        f = by_key.get(str(key))
        p = f"{path}.{key}" if path else str(key)
        if f is None:
            out.append(Problem(p, str(key), "Not a field of this form"))
            continue
        if not path and isinstance(msg, Mapping):  # a section: its title is not repeated
            out.extend(_flatten(f.fields, msg, p, "" if "_schema" not in msg else f.label))
            continue
        out.extend(_flatten_field(f, msg, p, _join_label(label, f.label)))
    return out


def _flatten_field(f: Field, msg: Any, path: str, label: str) -> list[Problem]:
    if isinstance(msg, list):
        return [Problem(path, label, _tidy(m)) for m in msg if isinstance(m, str)] + [
            q for m in msg if isinstance(m, Mapping) for q in _flatten(f.fields, m, path, label)
        ]
    if not isinstance(msg, Mapping):
        return [Problem(path, label, _tidy(str(msg)))]
    if f.shape == _OBJECT:
        return _flatten(f.fields, msg, path, label)
    out: list[Problem] = []
    for idx, sub in msg.items():
        if isinstance(idx, int):
            row_path, row_label = f"{path}[{idx}]", f"{label}, row {idx + 1}"
            if f.shape == _ROWS:
                out.extend(_flatten_row(f, sub, row_path, row_label))
            else:
                out.extend(Problem(row_path, row_label, _tidy(m)) for m in _as_list(sub))
        else:
            out.extend(Problem(path, label, _tidy(m)) for m in _as_list(sub))
    return out


def _flatten_row(f: Field, sub: Any, path: str, label: str) -> list[Problem]:
    if isinstance(sub, Mapping):
        return _flatten(f.fields, sub, path, label)
    return [Problem(path, label, _tidy(m)) for m in _as_list(sub)]


def _as_list(m: Any) -> list[str]:
    return [str(x) for x in m] if isinstance(m, list) else [str(m)]


def _tidy(message: str) -> str:
    return {
        "Not a valid list.": "Must be a list",
        "Invalid input type.": "Must be a set of fields (an object)",
        "Unknown field.": "Not a field of this form",
        "Not a valid string.": "Must be text",
    }.get(message, message.rstrip("."))


# --------------------------------------------------------------------------- canonical form


def _canonical(fields: tuple[Field, ...], data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if not isinstance(data, Mapping):
        data = {}
    for f in fields:
        value = data.get(f.key)
        if f.shape == _OBJECT:
            out[f.key] = _canonical(f.fields, value if isinstance(value, Mapping) else {})
        elif f.shape == _ROWS:
            if isinstance(value, list):
                rows = [_canonical(f.fields, r) for r in value if isinstance(r, Mapping)]
                rows = [r for r in rows if _has_content(r)]
                if rows:
                    out[f.key] = rows
        else:
            canonical = TYPES[f.type].canonical(f, value)
            if canonical is not None:
                out[f.key] = canonical
    return out


def _has_content(row: Mapping[str, Any]) -> bool:
    for v in row.values():
        if isinstance(v, Mapping):
            if _has_content(v):
                return True
        elif v not in (None, False, [], ""):
            return True
    return False
