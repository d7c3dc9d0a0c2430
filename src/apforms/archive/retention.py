"""Retention: how long each archived document is kept, computed from its record.

The periods are data, in ``schemas/archive/retention.yaml`` (source: the IRMS schools
toolkit, as quoted in ``shared/reference/domain-facts.md``). A rule keeps a document for a
number of years after a date *fact* (the end of an SLA, a pupil's date of birth); facts are
read from the record by key path, or given with ``--ref NAME=VALUE``. Nothing here uses the
clock: callers pass ``today``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

from apforms.errors import DefinitionError
from apforms.model.definitions import data_dir, read_yaml

CONFIG_FILE = "archive/retention.yaml"
DISPOSE, REVIEW = "dispose", "review"
ACTIONS = (DISPOSE, REVIEW)
#: Party names the archive lists and filters by.
PARTIES = ("provider", "school", "upn")
#: Answers in a free-text field that mean "no" (e.g. "EHCP or undergoing assessment: N/A").
NOT_ANSWERED = frozenset({"", "no", "n/a", "na", "none", "-", "not applicable", "nil"})
_TRUE = frozenset({"yes", "y", "true", "1", "ticked", "x"})
_FALSE = frozenset({"no", "n", "false", "0"})
_EQUALS = re.compile(r"^\s*(\S+)\s*=\s*(.+?)\s*$")


@dataclass(frozen=True)
class Rule:
    """Keep for ``years`` after the date fact ``after``, when the yes/no fact ``when`` holds."""

    id: str
    label: str
    years: int
    after: str
    source: str
    when: str | None = None
    action: str = DISPOSE


@dataclass(frozen=True)
class DocumentRules:
    """The rules of one document type, and the key paths of its facts and parties."""

    rules: tuple[Rule, ...]
    facts: Mapping[str, tuple[str, ...]]
    parties: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class Config:
    source: str
    rules: Mapping[str, Rule]
    documents: Mapping[str, DocumentRules]


@dataclass(frozen=True)
class Retention:
    """Until when a document is kept, why, and what happens then.

    ``until`` is None when a fact it needs is unknown (``missing`` names it): such a document
    is never due, and ``apforms archive due`` lists it separately.
    """

    until: date | None
    action: str = DISPOSE
    basis: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()

    def is_due(self, today: date) -> bool:
        return self.until is not None and today > self.until

    def describe(self) -> str:
        if self.until is None:
            need = ", ".join(self.missing) or "a retention rule"
            return f"unknown (needs {need}; give it with --ref NAME=VALUE)"
        then = " then review" if self.action == REVIEW else ""
        return f"{self.until.isoformat()}{then}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "until": self.until.isoformat() if self.until else None,
            "action": self.action,
            "basis": list(self.basis),
            "missing": list(self.missing),
        }


# --------------------------------------------------------------------------- configuration


@cache
def load_config() -> Config:
    """The rules in ``schemas/archive/retention.yaml``, checked; a DefinitionError if malformed."""
    path = data_dir("schemas") / CONFIG_FILE
    raw = read_yaml(path)
    where = f"schemas/{CONFIG_FILE}"
    if not isinstance(raw, Mapping) or not isinstance(raw.get("rules"), Mapping):
        raise DefinitionError(f"{where}: needs 'rules' and 'documents' mappings")
    rules = {rid: _parse_rule(rid, r, where) for rid, r in raw["rules"].items()}
    documents = {
        str(doc): _parse_document(str(doc), spec, rules, where)
        for doc, spec in (raw.get("documents") or {}).items()
    }
    return Config(str(raw.get("source", "")), rules, documents)


def _parse_rule(rid: str, raw: Any, where: str) -> Rule:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("years"), int) or not raw.get("after"):
        raise DefinitionError(f"{where}: rules.{rid}: needs years (a whole number) and after (a fact)")
    action = raw.get("action", DISPOSE)
    if action not in ACTIONS:
        raise DefinitionError(f"{where}: rules.{rid}: action must be one of {', '.join(ACTIONS)}")
    return Rule(
        id=rid,
        label=str(raw.get("label", rid)),
        years=raw["years"],
        after=str(raw["after"]),
        source=str(raw.get("source", "")),
        when=raw.get("when"),
        action=action,
    )


def _parse_document(doc: str, raw: Any, rules: Mapping[str, Rule], where: str) -> DocumentRules:
    if not isinstance(raw, Mapping):
        raise DefinitionError(f"{where}: documents.{doc}: needs rules, facts and parties")
    unknown = [r for r in raw.get("rules", []) if r not in rules]
    if unknown:
        raise DefinitionError(f"{where}: documents.{doc}: unknown rule(s) {', '.join(unknown)}")
    unknown_parties = set(raw.get("parties") or {}) - set(PARTIES)
    if unknown_parties:
        raise DefinitionError(f"{where}: documents.{doc}: unknown part(ies) {', '.join(unknown_parties)}")
    return DocumentRules(
        rules=tuple(rules[r] for r in raw.get("rules", [])),
        facts={k: _paths(v) for k, v in (raw.get("facts") or {}).items()},
        parties={k: _paths(v) for k, v in (raw.get("parties") or {}).items()},
    )


def _paths(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


def rules_for(doc_id: str) -> DocumentRules:
    return load_config().documents.get(doc_id, DocumentRules((), {}, {}))


# --------------------------------------------------------------------------- reading records


def values_at(data: Any, path: str) -> Iterator[Any]:
    """Every value at a key path; ``[]`` after a key steps into each row of a table."""
    head, _, rest = path.partition(".")
    rows = head.endswith("[]")
    key = head.removesuffix("[]")
    value = data.get(key) if isinstance(data, Mapping) else None
    if value is None:
        return
    items = value if rows and isinstance(value, list) else [value]
    for item in items:
        if rest:
            yield from values_at(item, rest)
        else:
            yield item


def parties(doc_id: str, data: Mapping[str, Any] | None, refs: Mapping[str, str]) -> dict[str, str]:
    """School, provider and pupil UPN: from the record's key paths, ``--ref`` overriding."""
    out: dict[str, str] = {}
    for name, paths in rules_for(doc_id).parties.items():
        for path in paths:
            found = [v for v in values_at(data or {}, path) if isinstance(v, str) and v.strip()]
            if found:
                out[name] = found[0].strip()
                break
    for name in PARTIES:
        if refs.get(name):
            out[name] = refs[name].strip()
    if "upn" in out:
        out["upn"] = out["upn"].upper()  # UPNs are upper case (DfE UPN v2.0)
    return out


def _date_fact(data: Mapping[str, Any], paths: tuple[str, ...]) -> date | None:
    dates = [d for p in paths for v in values_at(data, p) if (d := parse_date(v)) is not None]
    return max(dates, default=None)


def _flag_fact(data: Mapping[str, Any], paths: tuple[str, ...]) -> bool:
    for p in paths:
        m = _EQUALS.match(p)
        if m:
            if any(str(v) == m.group(2) for v in values_at(data, m.group(1))):
                return True
        elif any(_answered(v) for v in values_at(data, p)):
            return True
    return False


def _answered(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().casefold() not in NOT_ANSWERED
    return value not in (None, [], {})


def parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    try:
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return date.fromisoformat(text)
    except ValueError:
        return None


def parse_flag(value: str) -> bool | None:
    text = value.strip().casefold()
    return True if text in _TRUE else False if text in _FALSE else None


def add_years(d: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 28 February in a common year."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


# --------------------------------------------------------------------------- retention


def retention_for(doc_id: str, data: Mapping[str, Any] | None, refs: Mapping[str, str]) -> Retention:
    """The retention of a document from its record data and ``--ref`` values.

    Every applicable rule is applied and the latest date wins; if a date a rule needs is
    unknown the result is unknown (never a shorter period).
    """
    spec = rules_for(doc_id)
    if not spec.rules:
        return Retention(None, missing=(f"a retention rule for {doc_id!r} in schemas/{CONFIG_FILE}",))
    data = data or {}
    dates: list[date] = []
    basis: list[str] = []
    missing: list[str] = []
    action = DISPOSE
    for rule in spec.rules:
        if rule.when and not _flag_value(rule.when, data, spec, refs):
            continue
        start = parse_date(refs[rule.after]) if rule.after in refs else None
        start = start or _date_fact(data, spec.facts.get(rule.after, ()))
        if start is None:
            missing.append(rule.after)
            continue
        until = add_years(start, rule.years)
        dates.append(until)
        then = ", then review" if rule.action == REVIEW else ""
        basis.append(f"{rule.label}: {rule.after} {start.isoformat()} + {rule.years} years{then}")
        if rule.action == REVIEW:
            action = REVIEW
    if missing or not dates:
        return Retention(None, action, tuple(basis), tuple(dict.fromkeys(missing)))
    return Retention(max(dates), action, tuple(basis))


def _flag_value(name: str, data: Mapping[str, Any], spec: DocumentRules, refs: Mapping[str, str]) -> bool:
    if name in refs:
        given = parse_flag(refs[name])
        if given is not None:
            return given
    return _flag_fact(data, spec.facts.get(name, ()))


def known_ref_names() -> list[str]:
    """Names ``--ref`` understands: the parties and every fact a rule uses."""
    rules = load_config().rules.values()
    facts = {r.after for r in rules} | {r.when for r in rules if r.when}
    return sorted(set(PARTIES) | facts)


__all__ = [
    "Retention",
    "Rule",
    "add_years",
    "known_ref_names",
    "load_config",
    "parties",
    "retention_for",
]
