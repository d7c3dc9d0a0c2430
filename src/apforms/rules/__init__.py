"""Checks from the Derby guidance and the law, each with an id, a severity and its source.

A rule is one small function over a record, registered with :func:`rule`. It yields what is
wrong, written for school staff (what is wrong and what to do); the registry turns that into
:class:`Finding` objects that carry the rule's id, severity, source and the printed labels of
the fields concerned. :func:`run_checks` validates every record first (partially, so a record
with some invalid values is still checked on the rest) and runs every rule that applies to
its document. Rules that need several documents look at ``context.records``.

To add a rule: one decorated function in the module of its document family, and one row in
``CASES`` of ``tests/test_rules.py`` (a mutation of the example record that makes it fail);
the tests check that every registered rule has a row. Rules never read the clock: "now" is
``context.today``. Local expectations and thresholds the law is changing come from
configuration (``schemas/config/derby.yaml`` by default).

Internal (not public API): callers use :mod:`apforms.api` or the :mod:`apforms` facade.
"""

from __future__ import annotations

import functools
import importlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from apforms.errors import ConfigError
from apforms.model.config import Config, default_config_path, load_config
from apforms.model.definitions import Definition, load_definition
from apforms.model.records import Problem, Record, validate_data

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)

#: Rule modules, in the order their families are listed (``apforms rules``).
_MODULES = ("validity", "referral", "attendance", "sla", "commissioning", "qa")
_FAMILIES = ("VAL", "REF", "ATT", "REG", "COM", "SLA", "QA")
_ID = re.compile(r"^(?P<family>[A-Z]{2,4})-\d{3}$")


# --------------------------------------------------------------------------- records and context


def dig(node: Any, path: str) -> Any:
    """The value at a dotted key path (``reviews.reviews.0.date`` for a table row), or None."""
    for key in path.split("."):
        if isinstance(node, list) and key.isdigit():
            node = node[int(key)] if int(key) < len(node) else None
        elif isinstance(node, Mapping):
            node = node.get(key)
        else:
            return None
    return node


def as_date(value: Any) -> date | None:
    """An ISO date string (as records hold them) as a date, or None."""
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Checked:
    """A record as the rules see it: canonical data (invalid values left out) and its file."""

    source: str
    definition: Definition
    data: Mapping[str, Any]
    problems: tuple[Problem, ...] = ()
    missing: tuple[Problem, ...] = ()

    @property
    def document(self) -> str:
        return self.definition.id

    def get(self, path: str) -> Any:
        return dig(self.data, path)

    def text(self, path: str) -> str:
        value = self.get(path)
        return value.strip() if isinstance(value, str) else ""

    def date(self, path: str) -> date | None:
        return as_date(self.get(path))

    def rows(self, path: str) -> list[Mapping[str, Any]]:
        value = self.get(path)
        return [r for r in value if isinstance(r, Mapping)] if isinstance(value, list) else []

    def asks(self, path: str) -> bool:
        """The record's version of the form has this field: a check of an answer an earlier
        version did not ask is not made of a record of that version."""
        return path in self._paths

    @functools.cached_property
    def _paths(self) -> frozenset[str]:
        return frozenset(f.path for f in self.definition.walk())


@dataclass
class Context:
    """What every rule may know besides its record: configuration, today, the other records."""

    config: Config
    today: date
    records: tuple[Checked, ...] = ()
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def setting(self, *keys: str) -> Any:
        """A configuration value; Derby's default when the configuration given lacks it."""
        try:
            return self.config.get(*keys)
        except ConfigError:
            return load_config(default_config_path()).get(*keys)

    def of(self, document: str) -> list[Checked]:
        """Every record given of this document."""
        return [r for r in self.records if r.document == document]

    def memo(self, key: str, compute: Callable[[], Any]) -> Any:
        """Work shared by several rules or records (e.g. the registration test), done once."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


def normal_name(name: Any) -> str:
    """A name for matching across documents: case, accents' encoding, punctuation, spaces."""
    if not isinstance(name, str):
        return ""
    text = unicodedata.normalize("NFC", name).casefold()
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def same_name(a: Any, b: Any) -> bool:
    """Two names of one school, provider or pupil ("Derby Academy, Derby" = "Derby Academy")."""
    x, y = normal_name(a), normal_name(b)
    if not x or not y:
        return False
    short, long = sorted((x, y), key=len)
    return long == short or long.startswith(short + " ")


def registered_school(provider: Any, ctx: Context) -> bool:
    """An SLA among the documents checked records the provider as a registered school (which
    the time limits and the QA framework for unregistered providers do not cover)."""
    return any(
        s.get("provider.registered_school") is True and same_name(s.get("provider.name"), provider)
        for s in ctx.of("sla")
    )


# --------------------------------------------------------------------------- rules and findings


@dataclass(frozen=True)
class Issue:
    """What a rule yields when the fields concerned are not the rule's usual ones."""

    message: str
    paths: tuple[str, ...] = ()
    #: Printed labels, when a path is not a field of the definition (validation problems).
    labels: tuple[str, ...] = ()
    #: A severity for the moment (an unsigned draft is information, the same SLA days before
    #: it starts a warning); ``None``: the rule's own, which is the most it ever gives.
    severity: str | None = None


CheckFunction = Callable[[Checked, Context], Iterable["str | Issue"]]


@dataclass(frozen=True)
class Rule:
    """A check: id, severity, a one-line title, its source, the documents and fields it reads."""

    id: str
    severity: str
    title: str
    source: str
    documents: tuple[str, ...]
    fields: Mapping[str, tuple[str, ...]]
    check: CheckFunction

    def labels(self, document: str, paths: Sequence[str]) -> tuple[str, ...]:
        definition = load_definition(document)
        return tuple(definition.field_at(p).label for p in paths)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "title": self.title,
            "source": self.source,
            "documents": list(self.documents),
        }


@dataclass(frozen=True)
class Finding:
    """One thing a rule found in one record file."""

    rule: str
    severity: str
    message: str
    file: str
    document: str
    fields: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    source: str = ""

    def line(self) -> str:
        """One line for people: severity, rule id, message and the fields by printed label."""
        shown = "; ".join(_short(label) for label in self.fields)
        return f"{self.severity:<7} {self.rule}  {self.message}" + (f" [{shown}]" if shown else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
            "document": self.document,
            "fields": [{"label": lab, "path": p} for lab, p in zip(self.fields, self.paths, strict=True)],
            "source": self.source,
        }


def snippet(text: Any, most: int = 60) -> str:
    """Text on one line, cut at a word to at most ``most`` characters (labels, target wording)."""
    flat = " ".join(str(text or "").split()).rstrip(":").strip()
    if len(flat) <= most:
        return flat
    cut = flat[: most - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;–-") + "…"


_short = snippet


_REGISTRY: dict[str, Rule] = {}


def rule(
    rule_id: str,
    severity: str,
    title: str,
    *,
    source: str,
    fields: Mapping[str, Sequence[str]] | None = None,
    documents: Sequence[str] | None = None,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check. ``fields`` maps each document the rule reads to the key paths it
    concerns (shown by printed label); ``documents`` defaults to those documents."""

    def register(fn: CheckFunction) -> CheckFunction:
        match = _ID.match(rule_id)
        if not match or match["family"] not in _FAMILIES:
            raise ValueError(f"rule id {rule_id!r} must be like REF-001 ({', '.join(_FAMILIES)})")
        if rule_id in _REGISTRY:
            raise ValueError(f"rule {rule_id} registered twice")
        if severity not in SEVERITIES or not source.strip() or not title.strip():
            raise ValueError(f"rule {rule_id}: needs a severity ({', '.join(SEVERITIES)}), title and source")
        paths = {doc: tuple(p) for doc, p in (fields or {}).items()}
        docs = tuple(documents or paths)
        if not docs:
            raise ValueError(f"rule {rule_id}: which documents does it check?")
        new = Rule(rule_id, severity, title, source, docs, paths, fn)
        for doc, doc_paths in paths.items():
            new.labels(doc, doc_paths)  # every path exists: a typo fails at import, not in use
        _REGISTRY[rule_id] = new
        return fn

    return register


def all_rules() -> list[Rule]:
    """Every registered rule, family by family (VAL, REF, ATT, REG, COM, SLA, QA), by number."""
    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}")
    return sorted(_REGISTRY.values(), key=_rule_order)


def _rule_order(r: Rule) -> tuple[int, str]:
    return _FAMILIES.index(r.id.split("-")[0]), r.id


# --------------------------------------------------------------------------- running


def checked(source: str, record: Record) -> Checked:
    """Validate a record (required fields may be empty) and keep what is valid for the rules."""
    result = validate_data(record.definition, record.data, partial=True)
    return Checked(source, record.definition, result.data, tuple(result.problems), tuple(result.missing))


def run_checks(records: Iterable[tuple[str, Record]], config: Config, today: date) -> list[Finding]:
    """Every finding of every applicable rule over ``(file name, record)`` pairs.

    Findings are grouped by file in the order given; within a file errors come first, then
    warnings, then information, each in rule order.
    """
    context = Context(config, today, tuple(checked(src, rec) for src, rec in records))
    rules = all_rules()
    rank = {r.id: i for i, r in enumerate(rules)}
    findings: list[Finding] = []
    for rec in context.records:
        found = [f for r in rules if rec.document in r.documents for f in _apply(r, rec, context)]
        found.sort(key=lambda f: (SEVERITIES.index(f.severity), rank[f.rule]))
        findings.extend(found)
    return findings


def _apply(r: Rule, rec: Checked, context: Context) -> list[Finding]:
    out = []
    for item in r.check(rec, context):
        issue = item if isinstance(item, Issue) else Issue(item)
        paths = issue.paths or r.fields.get(rec.document, ())
        labels = issue.labels or r.labels(rec.document, paths)
        out.append(
            Finding(
                rule=r.id,
                severity=issue.severity or r.severity,
                message=issue.message,
                file=rec.source,
                document=rec.document,
                fields=labels,
                paths=tuple(paths),
                source=r.source,
            )
        )
    return out


__all__ = [
    "ERROR",
    "INFO",
    "SEVERITIES",
    "WARNING",
    "Checked",
    "Context",
    "Finding",
    "Issue",
    "Rule",
    "all_rules",
    "run_checks",
]
