"""Document definitions: ``schemas/<id>.yaml`` parsed once into frozen dataclasses.

A definition is a tree. Its top-level nodes are sections (fields of type ``group``); groups
and tables hold fields; every other type is a leaf that holds one value. Every later stage
(validation, JSON Schema, Word, PDF, ingest, rules) walks this tree and nothing else, so a
change to a form is a change to one YAML file. The format is documented in
``docs/definitions.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from apforms.errors import DefinitionError
from apforms.model import codelists

# The field types (the outside vocabulary of the definition files) live in model/types.py,
# one registry entry each; their names are re-exported here for the code that reads definitions.
from apforms.model.types import (
    CHOICE as CHOICE,
)
from apforms.model.types import (
    DATE as DATE,
)
from apforms.model.types import (
    DECIMAL as DECIMAL,
)
from apforms.model.types import (
    EMAIL as EMAIL,
)
from apforms.model.types import (
    FREQUENCY as FREQUENCY,
)
from apforms.model.types import (
    GROUP as GROUP,
)
from apforms.model.types import (
    INTEGER as INTEGER,
)
from apforms.model.types import (
    LIST as LIST,
)
from apforms.model.types import (
    LONGTEXT as LONGTEXT,
)
from apforms.model.types import (
    MONEY as MONEY,
)
from apforms.model.types import (
    MULTICHOICE as MULTICHOICE,
)
from apforms.model.types import (
    PERCENTAGE as PERCENTAGE,
)
from apforms.model.types import (
    PHONE as PHONE,
)
from apforms.model.types import (
    POSTCODE as POSTCODE,
)
from apforms.model.types import (
    RAG as RAG,
)
from apforms.model.types import (
    RATING as RATING,
)
from apforms.model.types import (
    SIGNATURE as SIGNATURE,
)
from apforms.model.types import (
    TABLE as TABLE,
)
from apforms.model.types import (
    TEXT as TEXT,
)
from apforms.model.types import (
    TICK as TICK,
)
from apforms.model.types import (
    TYPES,
    Choice,
    Shape,
    type_of,
)
from apforms.model.types import (
    UPN as UPN,
)
from apforms.model.types import (
    YESNO as YESNO,
)
from apforms.resources import data_dir, read_yaml, schemas_dir
from apforms.safe import quote

ALL_TYPES = frozenset(TYPES)
#: Types whose value is one option of a fixed list.
SINGLE_CHOICE_TYPES = frozenset(n for n, t in TYPES.items() if isinstance(t, Choice))
#: Types that contain other fields.
CONTAINER_TYPES = frozenset(n for n, t in TYPES.items() if t.container)
#: The scale each fixed-scale type takes its options from (a code list in schemas/codelists).
SCALE_CODELISTS = {n: t.scale for n, t in TYPES.items() if isinstance(t, Choice) and t.scale}

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
#: The longest document id (a longer one names no file, and is not looked for).
_MAX_ID = 64
_FIELD_KEYS = frozenset(
    {
        "key",
        "label",
        "type",
        "required",
        "help",
        "text",
        "sensitive",
        "options",
        "codelist",
        "fields",
        "columns",
        "max_rows",
        "blank_rows",
        "default",
        "min",
        "max",
        "max_length",
        "lines",
        "position",
        "name_label",
        "addition",
        "inline",
        "prose",
    }
)
_DEFINITION_KEYS = frozenset({"id", "title", "version", "source", "description", "sections"})


@dataclass(frozen=True)
class Option:
    """One allowed value of a choice, with the text printed on the form."""

    value: str
    label: str


@dataclass(frozen=True, eq=False)
class Field:
    """One node of a definition: a section, group, table, signature block or a leaf field.

    ``path`` is the dotted key path from the record root; a table's rows add ``[]``
    (``sen.agencies[].name``). ``label`` is exactly as printed on the form.
    """

    key: str
    label: str
    type: str
    path: str
    required: bool = False
    help: str | None = None
    text: str | None = None
    sensitive: bool = False
    options: tuple[Option, ...] = ()
    codelist: str | None = None
    fields: tuple[Field, ...] = ()
    max_rows: int | None = None
    blank_rows: int = 3
    default: Any = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    lines: int = 1
    addition: bool = False
    #: printed side by side with the inline fields next to it, in one row of boxes (a tick
    #: box, or a group of tick boxes), as the form's status rows are
    inline: bool = False
    #: printed as the form prints it, as plain paragraphs: without its label (which still
    #: names it in messages and tooltips), a list's items without numbers or blank rows
    prose: bool = False

    @cached_property
    def is_leaf(self) -> bool:
        return not type_of(self).container

    @cached_property
    def shape(self) -> Shape:
        """How its value sits in a record: one value, an object, rows or items."""
        return type_of(self).shape

    def child(self, key: str) -> Field:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(f"{self.path}: no field {key!r}")

    def option_label(self, value: str) -> str:
        for o in self.options:
            if o.value == value:
                return o.label
        return value


@dataclass(frozen=True, eq=False)
class Definition:
    """A whole document: id, title, version and its sections (fields of type ``group``)."""

    id: str
    title: str
    version: str
    source: str
    sections: tuple[Field, ...]
    description: str | None = None
    file: str = ""

    @property
    def version_tuple(self) -> tuple[int, ...]:
        return version_tuple(self.version)

    def walk(self) -> Iterator[Field]:
        """Every field of the definition, depth first, sections included."""
        return _walk(self.sections)

    def leaves(self) -> Iterator[Field]:
        return (f for f in self.walk() if f.is_leaf)

    def field_at(self, path: str) -> Field:
        """The field with this key path (``pupil.legal_name``; table rows as ``[]`` or ``[3]``)."""
        wanted = re.sub(r"\[\d*\]", "[]", path)
        for f in self.walk():
            if f.path == wanted:
                return f
        raise KeyError(f"{self.id}: no field at {path!r}")


def _walk(fields: tuple[Field, ...]) -> Iterator[Field]:
    for f in fields:
        yield f
        yield from _walk(f.fields)


def version_tuple(version: str) -> tuple[int, ...]:
    """'1.10' → (1, 10), so versions compare as numbers."""
    try:
        return tuple(int(p) for p in str(version).split("."))
    except ValueError as exc:
        raise DefinitionError(f"version {version!r} is not dotted numbers like '1.0'") from exc


# --------------------------------------------------------------------------- locating files


def document_ids() -> list[str]:
    """Ids of every definition in ``schemas/``, sorted."""
    return sorted(p.stem for p in schemas_dir().glob("*.yaml"))


@cache
def load_definition(doc_id: str, version: str | None = None) -> Definition:
    """The definition with this id: the current one, or an earlier ``version`` kept in
    ``schemas/history/<id>/<version>.yaml`` (so that forms and records made with it keep
    reading as they were made). A :class:`DefinitionError` if absent or malformed."""
    if len(doc_id) > _MAX_ID or not _KEY.match(doc_id.replace("-", "_")):
        raise DefinitionError(f"unknown document {quote(doc_id)}; known: {', '.join(document_ids())}")
    path = schemas_dir() / f"{doc_id}.yaml"
    if not path.is_file():
        raise DefinitionError(f"unknown document {quote(doc_id)}; known: {', '.join(document_ids())}")
    current = parse_definition(read_yaml(path), f"schemas/{path.name}")
    if version is None or version == current.version:
        return current
    old = history_dir() / doc_id / f"{version}.yaml"
    if not re.fullmatch(r"\d+(\.\d+)*", version) or not old.is_file():
        kept = ", ".join(kept_versions(doc_id)) or "none"
        raise DefinitionError(f"{doc_id} version {version} is not kept (earlier versions kept: {kept})")
    found = parse_definition(read_yaml(old), f"schemas/history/{doc_id}/{old.name}")
    if found.id != doc_id or found.version_tuple != version_tuple(version):
        raise DefinitionError(
            f"{found.file}: holds {found.id} version {found.version}, not {doc_id} {version}"
        )
    return found


def history_dir() -> Path:
    """Where earlier versions of the definitions are kept, one folder per document."""
    return schemas_dir() / "history"


def kept_versions(doc_id: str) -> list[str]:
    """Earlier versions of a definition kept in ``schemas/history``, oldest first."""
    folder = history_dir() / doc_id
    found = [p.stem for p in folder.glob("*.yaml")] if folder.is_dir() else []
    return sorted((v for v in found if re.fullmatch(r"\d+(\.\d+)*", v)), key=version_tuple)


# --------------------------------------------------------------------------- parsing


def parse_definition(raw: Any, file: str) -> Definition:
    """Check and freeze a definition read from YAML; errors name ``file`` and the path inside."""
    if not isinstance(raw, Mapping):
        raise DefinitionError(f"{file}: a definition is a mapping with id, title, version, sections")
    unknown = set(raw) - _DEFINITION_KEYS
    if unknown:
        raise DefinitionError(f"{file}: unknown key(s) {', '.join(sorted(unknown))}")
    for k in ("id", "title", "version", "sections"):
        if k not in raw:
            raise DefinitionError(f"{file}: missing {k!r}")
    try:
        version_tuple(raw["version"])
    except DefinitionError as exc:
        raise DefinitionError(f"{file}: {exc}") from None
    sections = raw["sections"]
    if not isinstance(sections, list) or not sections:
        raise DefinitionError(f"{file}: sections: a non-empty list is needed")
    parsed = tuple(
        _parse_field(s, file, f"sections[{i}]", parent_path="", default_type=GROUP)
        for i, s in enumerate(sections)
    )
    _check_unique(parsed, file, "sections")
    for i, s in enumerate(parsed):
        if s.type != GROUP:
            raise DefinitionError(f"{file}: sections[{i}]: a section must be of type group")
    return Definition(
        id=str(raw["id"]),
        title=str(raw["title"]),
        version=str(raw["version"]),
        source=str(raw.get("source", "")),
        description=raw.get("description"),
        sections=parsed,
        file=file,
    )


def _check_unique(fields: tuple[Field, ...], file: str, where: str) -> None:
    seen: set[str] = set()
    for f in fields:
        if f.key in seen:
            raise DefinitionError(f"{file}: {where}: duplicate key {f.key!r}")
        seen.add(f.key)


def _parse_field(
    raw: Any,
    file: str,
    where: str,
    parent_path: str,
    default_type: str = TEXT,
    inherited: frozenset[str] = frozenset(),
) -> Field:
    """One field; ``inherited`` carries ``sensitive``/``addition`` down from its containers."""
    if not isinstance(raw, Mapping):
        raise DefinitionError(f"{file}: {where}: a field is a mapping with key, label and type")
    unknown = set(raw) - _FIELD_KEYS
    if unknown:
        raise DefinitionError(f"{file}: {where}: unknown attribute(s) {', '.join(sorted(unknown))}")
    key = raw.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        raise DefinitionError(f"{file}: {where}: key {key!r} must be lower_snake_case")
    where = f"{where} ({key})"
    ftype = raw.get("type", default_type)
    if ftype not in ALL_TYPES:
        raise DefinitionError(f"{file}: {where}: unknown type {ftype!r}")
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        raise DefinitionError(f"{file}: {where}: a label is needed (as printed on the form)")
    path = f"{parent_path}.{key}" if parent_path else key
    child_path = f"{path}[]" if ftype == TABLE else path
    flags = inherited | {k for k in ("sensitive", "addition") if raw.get(k)}

    children: tuple[Field, ...] = ()
    if ftype == SIGNATURE:
        children = _signature_fields(raw, child_path)
    elif ftype in (GROUP, TABLE):
        raw_children = raw.get("columns" if ftype == TABLE else "fields")
        name = "columns" if ftype == TABLE else "fields"
        if not isinstance(raw_children, list) or not raw_children:
            raise DefinitionError(f"{file}: {where}: a {ftype} needs a non-empty list of {name}")
        children = tuple(
            _parse_field(c, file, f"{where}.{name}[{i}]", child_path, inherited=flags)
            for i, c in enumerate(raw_children)
        )
        _check_unique(children, file, f"{where}.{name}")
    elif "fields" in raw or "columns" in raw:
        raise DefinitionError(f"{file}: {where}: only group and table fields hold fields")

    options, codelist = _parse_options(raw, ftype, file, where)
    max_rows = raw.get("max_rows")
    if ftype in (TABLE, LIST) and (not isinstance(max_rows, int) or max_rows < 1):
        raise DefinitionError(f"{file}: {where}: a {ftype} needs max_rows (a positive integer)")
    inline = bool(raw.get("inline", False))
    ticks = ftype == TICK or (ftype == GROUP and bool(children) and all(c.type == TICK for c in children))
    if inline and not ticks:
        raise DefinitionError(f"{path}: inline is for a tick box or a group of tick boxes")
    prose = bool(raw.get("prose", False))
    if prose and ftype not in (LIST, LONGTEXT):
        raise DefinitionError(f"{path}: prose is for a list or a long text")
    return Field(
        key=key,
        label=label.strip(),
        type=ftype,
        path=path,
        required=bool(raw.get("required", False)),
        help=raw.get("help"),
        text=raw.get("text"),
        sensitive="sensitive" in flags,
        options=options,
        codelist=codelist,
        fields=children,
        max_rows=max_rows,
        blank_rows=int(raw.get("blank_rows", min(max_rows or 3, 3))),
        default=raw.get("default"),
        min=raw.get("min"),
        max=raw.get("max"),
        max_length=raw.get("max_length"),
        lines=int(raw.get("lines", 4 if ftype == LONGTEXT else 1)),
        addition="addition" in flags,
        inline=inline,
        prose=prose,
    )


def _parse_options(
    raw: Mapping[str, Any], ftype: str, file: str, where: str
) -> tuple[tuple[Option, ...], str | None]:
    codelist = raw.get("codelist") or SCALE_CODELISTS.get(ftype)
    inline = raw.get("options")
    if not TYPES[ftype].has_options:
        if inline is not None or raw.get("codelist"):
            raise DefinitionError(f"{file}: {where}: only choice fields take options or codelist")
        return (), None
    if inline is not None and raw.get("codelist"):
        raise DefinitionError(f"{file}: {where}: give options or codelist, not both")
    if inline is not None:
        if not isinstance(inline, list) or not inline:
            raise DefinitionError(f"{file}: {where}: options must be a non-empty list")
        opts = []
        for o in inline:
            if isinstance(o, Mapping) and "value" in o:
                opts.append(Option(str(o["value"]), str(o.get("label", o["value"]))))
            elif isinstance(o, str):
                opts.append(Option(o, o))
            else:
                raise DefinitionError(f"{file}: {where}: option {o!r} must be text or value/label")
        return tuple(opts), None
    if not codelist:
        raise DefinitionError(f"{file}: {where}: a {ftype} field needs options or a codelist")
    try:
        cl = codelists.load_codelist(codelist)
    except DefinitionError as exc:
        raise DefinitionError(f"{file}: {where}: {exc}") from None
    return tuple(Option(c.code, c.label) for c in cl.codes), codelist


def _signature_fields(raw: Mapping[str, Any], path: str) -> tuple[Field, ...]:
    """A signature block: printed name, optional position, the signature itself and the date."""
    parts = [Field("name", str(raw.get("name_label", "Print name")), TEXT, f"{path}.name")]
    if raw.get("position"):
        parts.append(Field("position", "Position", TEXT, f"{path}.position"))
    parts.append(Field("signature", "Signature", TEXT, f"{path}.signature"))
    parts.append(Field("date", "Date", DATE, f"{path}.date"))
    return tuple(parts)


__all__ = [
    "Definition",
    "Field",
    "Option",
    "data_dir",
    "read_yaml",
    "schemas_dir",
    "document_ids",
    "history_dir",
    "kept_versions",
    "load_definition",
    "parse_definition",
]
