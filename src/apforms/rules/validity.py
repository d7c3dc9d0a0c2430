"""Validation problems as findings, so ``apforms check`` reports them beside the guidance."""

from __future__ import annotations

from collections.abc import Iterator

from apforms.model.definitions import document_ids
from apforms.rules import ERROR, WARNING, Checked, Context, Issue, rule

SOURCE = "the document's definition in schemas/ (docs/definitions.md)"


@rule(
    "VAL-000",
    ERROR,
    "Every value is one the form accepts (dates, UPN, postcodes, options…)",
    source=SOURCE,
    documents=document_ids(),
)
def invalid_values(rec: Checked, ctx: Context) -> Iterator[Issue]:
    for p in rec.problems:
        yield Issue(
            f"{p.message}: correct it (the other checks ignore this value until it is valid).",
            (p.path,),
            (p.label or p.path,),
        )


@rule(
    "VAL-001",
    WARNING,
    "Fields the form requires are filled in",
    source=SOURCE,
    documents=document_ids(),
)
def required_missing(rec: Checked, ctx: Context) -> Iterator[Issue]:
    if rec.missing:
        yield Issue(
            f"{len(rec.missing)} required field(s) are empty: fill them in before the form is sent.",
            tuple(p.path for p in rec.missing),
            tuple(p.label or p.path for p in rec.missing),
        )
