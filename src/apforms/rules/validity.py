"""Validation problems as findings, so ``apforms check`` reports them beside the guidance."""

from __future__ import annotations

from collections.abc import Iterator

from apforms.model.definitions import document_ids
from apforms.rules import ERROR, WARNING, Checked, Context, Issue, rule

#: The public documents behind each form's definition (docs/sources.md); the definitions
#: themselves are in schemas/ (docs/definitions.md).
SOURCE = (
    "Derby AP guidance s15 to s18 (the forms: each field and the answers it takes; as defined in "
    "schemas/, docs/definitions.md); DfE CBDS (the pupil code lists); DfE School census codes (2024) "
    "(the census codes); DfE CIN census guide (child protection plan categories); DfE UPN guide "
    "(2019), annex A (the UPN check letter)"
)
REQUIRED = (
    "Derby AP guidance s15 to s18 (what each form asks to be completed, e.g. s15 “ALL sections "
    "below MUST be completed”; as defined in schemas/, docs/definitions.md)"
)


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
    source=REQUIRED,
    documents=document_ids(),
)
def required_missing(rec: Checked, ctx: Context) -> Iterator[Issue]:
    if rec.missing:
        yield Issue(
            f"{len(rec.missing)} required field(s) are empty: fill them in before the form is sent.",
            tuple(p.path for p in rec.missing),
            tuple(p.label or p.path for p in rec.missing),
        )
