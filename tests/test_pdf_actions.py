"""What a returned PDF would have a viewer run, start or send is named in a warning (issue
14, item 5): JavaScript anywhere (the document's, a page's, a field's), Launch, SubmitForm and
ImportData actions, and XFA. apforms runs none of them; ingest, validate and check say so."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from click.testing import CliRunner

from apforms.cli import main
from apforms.formats.pdf.read import ingest_pdf

from .pdf_support import example_pdf

D, N, S = pikepdf.Dictionary, pikepdf.Name, pikepdf.String


def _js(code: str = "app.alert('hi')") -> pikepdf.Dictionary:
    return D(S=N.JavaScript, JS=S(code))


def _widget(pdf: pikepdf.Pdf, name: str) -> pikepdf.Dictionary:
    return next(f for f in pdf.acroform.fields if f.fully_qualified_name == name).obj


def _field_js(pdf: pikepdf.Pdf) -> None:
    _widget(pdf, "provider.name").AA = D(K=_js())  # on each keystroke


def _page_js(pdf: pikepdf.Pdf) -> None:
    pdf.pages[1].obj.AA = D(O=_js())  # when the page opens


def _group_js(pdf: pikepdf.Pdf) -> None:
    widget = _widget(pdf, "provider.name")
    widget.Parent.AA = D(C=_js())  # the field above the widget: on calculation


def _launch(pdf: pikepdf.Pdf) -> None:
    link = D(Type=N.Annot, Subtype=N.Link, Rect=[0, 0, 10, 10], A=D(S=N.Launch, F=S("calc.exe")))
    pdf.pages[0].obj.Annots.append(pdf.make_indirect(link))


def _submit(pdf: pikepdf.Pdf) -> None:
    action = D(S=N.SubmitForm, F=D(FS=N.URL, F=S("https://collect.example/form")))
    _widget(pdf, "provider.name").AA = D(Bl=D(S=N.ImportData, F=S("other.fdf"), Next=action))


def _named(pdf: pikepdf.Pdf) -> None:
    pdf.Root.Names = D(JavaScript=D(Names=pikepdf.Array([S("init"), pdf.make_indirect(_js())])))


CASES: dict[str, tuple[Callable[[pikepdf.Pdf], None], list[str]]] = {
    "a field's keystroke script": (
        _field_js,
        ["the file contains JavaScript (field provider.name); it was not run"],
    ),
    "a page's script": (_page_js, ["the file contains JavaScript (page 2); it was not run"]),
    "a script on the field above a widget": (
        _group_js,
        ["the file contains JavaScript (field provider); it was not run"],
    ),
    "a Launch action on a link": (
        _launch,
        [
            "the file has a Launch action (a link on page 1): it would start a program or open a file "
            "'calc.exe'; not done"
        ],
    ),
    "ImportData then SubmitForm": (
        _submit,
        [
            "the file has a SubmitForm action (field provider.name): it would send the form's data to "
            "'https://collect.example/form'; not sent",
            "the file has an ImportData action (field provider.name): it would fill the form from a file "
            "'other.fdf'; not done",
        ],
    ),
    "the document's named scripts": (
        _named,
        ["the file contains JavaScript (the document's scripts); it was not run"],
    ),
}


def _return(change: Callable[[pikepdf.Pdf], None], flatten: bool = False) -> bytes:
    pdf = pikepdf.open(io.BytesIO(example_pdf("sla", flatten=flatten)))
    if flatten and change in (_field_js, _group_js, _submit):
        change = _page_js
    change(pdf)
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("case", list(CASES))
def test_each_risky_feature_is_named_and_nothing_else_changes(case: str) -> None:
    change, said = CASES[case]
    result = ingest_pdf(_return(change), "risky.pdf")
    assert sorted(
        w for w in result.warnings if "not run" in w or "not done" in w or "not sent" in w
    ) == sorted(said)
    assert result.ok and result.record["data"] == ingest_pdf(example_pdf("sla"), "sla.pdf").record["data"]


def test_a_flattened_return_with_a_script_is_named_too() -> None:
    result = ingest_pdf(_return(_page_js, flatten=True), "flat.pdf")
    assert result.method == "flattened"
    assert "the file contains JavaScript (page 2); it was not run" in result.warnings


def test_a_return_without_actions_has_no_such_warning() -> None:
    assert not [
        w for w in ingest_pdf(example_pdf("referral"), "r.pdf").warnings if "action" in w or "Script" in w
    ]


@pytest.mark.parametrize("command", [["validate"], ["check", "--as-of", "2026-10-01"], ["ingest"]])
def test_validate_check_and_ingest_say_it(command: list[str], tmp_path: Path) -> None:
    src = tmp_path / "risky.pdf"
    src.write_bytes(_return(_launch))
    result = CliRunner().invoke(main, [*command, str(src)])
    assert "warning: the file has a Launch action (a link on page 1)" in result.output, result.output
