"""Every label printed on the council's forms is somewhere in its definition."""

from __future__ import annotations

import re
from pathlib import Path

from apforms.model.definitions import load_definition

FIXTURES = Path(__file__).parent / "fixtures" / "printed_labels"


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip().casefold()


def _definition_text(doc: str) -> str:
    parts: list[str] = []
    for f in load_definition(doc).walk():
        parts += [f.label, f.help or "", f.text or ""]
        parts += [o.label for o in f.options]
        if isinstance(f.default, list):
            parts += [str(x) for x in f.default]
        elif f.default:
            parts.append(str(f.default))
    return _norm("\n".join(parts))


def test_every_printed_label_is_in_the_definition(doc: str) -> None:
    labels = [
        line for line in (FIXTURES / f"{doc}.txt").read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    assert len(labels) >= 5
    text = _definition_text(doc)
    missing = [label for label in labels if _norm(label) not in text]
    assert missing == []
