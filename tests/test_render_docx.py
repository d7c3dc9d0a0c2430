"""Word output, read back with python-docx (every paragraph and every table cell).

How a record's values appear in its document (what these tests look for):

- text as it is, line breaks and tabs included (python-docx reads ``<w:br/>`` as a new line
  and ``<w:tab/>`` as a tab);
- dates as ``DD/MM/YYYY``; money as ``£1,234.50``; percentages as ``78.4%``; other numbers
  without trailing zeros (``10``, ``45.5``);
- a choice printed as text (long code lists such as ethnicity) by its option's label;
- tick boxes, yes/no and choices printed as boxes by a ``☒`` before the chosen option's label,
  or, in a grid, under the chosen option's column heading; the marks are compared in order
  with the marks the record asks for.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
import jinja2
import pytest
from click.testing import CliRunner
from docx.table import Table
from docxtpl import DocxTemplate
from lxml import etree

from apforms import present
from apforms._demo import DemoResult, _demo_docx
from apforms.cli import main
from apforms.errors import RenderError
from apforms.formats.docx import context as view
from apforms.formats.docx.build import build_template, is_card_table
from apforms.formats.docx.compile import ENV, render_docx, template_path
from apforms.formats.docx.lint import lint_template
from apforms.model import definitions as d
from apforms.model import records, types
from apforms.model.definitions import Field, load_definition

from .conftest import ALL_DOCS, example_data, make_definition, record_text

TICKED, EMPTY = view.BOX_TICKED, view.BOX_EMPTY


# --------------------------------------------------------------------------- reading documents back


def texts(content: bytes) -> list[str]:
    """Every paragraph and every table cell (merged cells once), in document order."""
    out: list[str] = []
    for block in docx.Document(io.BytesIO(content)).iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                out += [cell.text for cell in _unique(row.cells)]
        else:
            out.append(block.text)
    return out


def full_text(content: bytes) -> str:
    return "\n".join(texts(content))


def _unique(cells: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for c in cells:
        if not seen or c._tc is not seen[-1]._tc:
            seen.append(c)
    return seen


def marks(content: bytes) -> list[str]:
    """What each ☒ marks, in order: the text after it, or its column's heading if alone."""
    found: list[str] = []
    for block in docx.Document(io.BytesIO(content)).iter_inner_content():
        if not isinstance(block, Table):
            found += [m.strip() for m in re.findall(f"{TICKED}([^{TICKED}{EMPTY}\n]*)", block.text)]
            continue
        header = block.rows[0].cells
        for row in block.rows:
            for i, cell in enumerate(row.cells):
                if i and cell._tc is row.cells[i - 1]._tc:
                    continue
                for m in re.findall(f"{TICKED}([^{TICKED}{EMPTY}\n]*)", cell.text):
                    found.append(m.strip() or header[i].text.split("\n")[0])
    return found


def expected_marks(fields: tuple[Field, ...], data: Mapping[str, Any]) -> Iterator[str]:
    for f in fields:
        v = data.get(f.key)
        if f.type in (d.GROUP, d.SIGNATURE):
            yield from expected_marks(f.fields, v or {})
        elif f.type == d.TABLE:
            for row in v or ():
                yield from expected_marks(f.fields, row)
        elif f.type == d.TICK and v:
            yield f.label
        elif view.shows_boxes(f) and v is not None:
            chosen = {True: ["yes"], False: ["no"]}.get(v, v) if f.type == d.YESNO else v
            chosen = chosen if isinstance(chosen, list) else [chosen]
            yield from (o.label for o in view.options_of(f) if o.value in chosen)


def shown(f: Field, v: Any) -> list[str]:
    """The texts a leaf value prints as (empty for boxes, which :func:`marks` checks)."""
    if f.type == d.DATE:
        return [date.fromisoformat(v).strftime("%d/%m/%Y")]
    if f.type == d.MONEY:
        return [f"£{Decimal(str(v)):,.2f}"]
    if f.type in (d.INTEGER, d.DECIMAL, d.PERCENTAGE):
        n = format(Decimal(str(v)).normalize(), "f")
        return [n + "%" if f.type == d.PERCENTAGE else n]
    if f.type in (d.TICK, d.YESNO) or view.shows_boxes(f):
        return []
    if f.type in d.SINGLE_CHOICE_TYPES | {d.MULTICHOICE}:
        values = v if isinstance(v, list) else [v]
        return [f.option_label(x) for x in values]
    if f.type == d.LIST:
        return [str(x) for x in v]
    return [str(v)]


def leaves(fields: tuple[Field, ...], data: Mapping[str, Any]) -> Iterator[tuple[Field, Any]]:
    for f in fields:
        v = data.get(f.key)
        if f.type in (d.GROUP, d.SIGNATURE):
            yield from leaves(f.fields, v or {})
        elif f.type == d.TABLE:
            for row in v or ():
                yield from leaves(f.fields, row)
        elif v is not None:
            yield f, v


def canonical(doc: str, data: Mapping[str, Any]) -> dict[str, Any]:
    result = records.validate(load_definition(doc), data, partial=True)
    assert result.ok, result.problems
    return result.data


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------- the example records


@pytest.fixture(scope="module")
def rendered() -> dict[str, bytes]:
    return {doc: render_docx(load_definition(doc), canonical(doc, example_data(doc))) for doc in ALL_DOCS}


def test_every_leaf_value_of_the_example_appears(doc: str, rendered: dict[str, bytes]) -> None:
    definition = load_definition(doc)
    text = full_text(rendered[doc])
    missing = [
        f"{f.path}: {s!r}"
        for f, v in leaves(definition.sections, canonical(doc, example_data(doc)))
        for s in shown(f, v)
        if s not in text
    ]
    assert missing == []


def test_marked_boxes_match_the_record(doc: str, rendered: dict[str, bytes]) -> None:
    definition = load_definition(doc)
    expected = list(expected_marks(definition.sections, canonical(doc, example_data(doc))))
    assert expected, "the example record ticks something"
    assert marks(rendered[doc]) == expected


def test_changed_ratings_move_the_marks() -> None:
    data = example_data("referral")
    data["risk_indicators"]["temper"] = "frequently"
    data["risk_indicators"]["weapon"] = "occasionally"
    data["status"]["yos"] = True
    data["safeguarding"]["violence"] = False
    definition = load_definition("referral")
    content = render_docx(definition, canonical("referral", data))
    assert marks(content) == list(expected_marks(definition.sections, canonical("referral", data)))
    temper = _row(content, "Has poor control of temper")
    assert temper == ["Has poor control of temper", EMPTY, EMPTY, TICKED]
    assert f"{TICKED} YOS" in texts(content)


def _row(content: bytes, label: str) -> list[str]:
    for block in docx.Document(io.BytesIO(content)).iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                if row.cells[0].text == label:
                    return [c.text for c in row.cells]
    raise AssertionError(f"no row {label!r}")


def test_qa_ratings_and_improvement_plan_rag() -> None:
    data = example_data("qa")
    data["safeguarding"]["s1a"]["rating"] = "not_at_all"
    content = render_docx(load_definition("qa"), canonical("qa", data))
    # the form's four-column table: number | National standard | Requirement met | Evidence
    number, standard, rating, evidence = _row(content, "1a")
    assert standard.startswith("All staff and proprietors have appropriate recruitment checks")
    assert rating.splitlines() == [
        f"{EMPTY} Fully",
        f"{EMPTY} Partially",
        f"{EMPTY} Limited evidence",
        f"{TICKED} Not at all",
    ]
    assert evidence == data["safeguarding"]["s1a"]["evidence"]
    rows = _table_rows(content, ["", "National standard", "Requirement met", "Evidence"])
    assert [r[0] for r in rows[1:]] == ["1a", "1b", "1c", "1d", "1e", "1f", "1g", "1h", "1i"]
    assert "1   Safeguarding and the wellbeing of children" in texts(content)  # theme numbers


def test_tables_grow_with_the_data_and_keep_blank_rows() -> None:
    data = example_data("sla")
    data["provision"]["costings"] = [{"item": f"Session block {n}", "amount": n} for n in range(1, 9)]
    content = render_docx(load_definition("sla"), canonical("sla", data))
    rows = _table_rows(content, ["Item", "Sessions", "Rate per session", "Amount"])
    assert len(rows) == 1 + 8
    assert [r[0] for r in rows[1:]] == [f"Session block {n}" for n in range(1, 9)]
    blank = render_docx(load_definition("sla"), canonical("sla", {}))
    assert (
        _table_rows(blank, ["Item", "Sessions", "Rate per session", "Amount"])[1:] == [["", "", "", ""]] * 3
    )


def _table_rows(content: bytes, header: list[str]) -> list[list[str]]:
    for block in docx.Document(io.BytesIO(content)).iter_inner_content():
        if isinstance(block, Table) and [c.text.split("\n")[0] for c in block.rows[0].cells] == header:
            return [[c.text for c in r.cells] for r in block.rows]
    raise AssertionError(f"no table {header}")


def test_multiline_text_keeps_its_lines(rendered: dict[str, bytes]) -> None:
    assert "Riverside Farm\nMill Lane\nDerby" in texts(rendered["sla"])


def test_footer_has_document_title_version_and_page_numbers(rendered: dict[str, bytes]) -> None:
    """The footer a person reads, as on the PDF form: the title, not the document id."""
    with zipfile.ZipFile(io.BytesIO(rendered["sla"])) as z:
        footer = z.read("word/footer1.xml").decode("utf-8")
    text = "".join(etree.fromstring(footer.encode()).itertext())
    assert f"{load_definition('sla').title} · version 1.0" in text
    assert 'w:instr=" PAGE "' in footer and 'w:instr=" NUMPAGES "' in footer


def test_a4_page(rendered: dict[str, bytes]) -> None:
    section = docx.Document(io.BytesIO(rendered["referral"])).sections[0]
    assert (round(section.page_width.cm, 1), round(section.page_height.cm, 1)) == (21.0, 29.7)


# --------------------------------------------------------------------------- blank forms


@pytest.fixture(scope="module")
def blanks() -> dict[str, bytes]:
    return {doc: render_docx(load_definition(doc), canonical(doc, {})) for doc in ALL_DOCS}


def test_blank_form_prints_every_label(doc: str, blanks: dict[str, bytes]) -> None:
    text = _norm(full_text(blanks[doc]))
    fixture = Path(__file__).parent / "fixtures" / "printed_labels" / f"{doc}.txt"
    printed = [line for line in fixture.read_text(encoding="utf-8").splitlines() if line.strip()]
    for f in load_definition(doc).walk():
        lines = [
            (m.group(1) if (m := present.WRITE_ON.match(t.strip())) else t)
            for t in (f.text or "").split("\n")
        ]
        printed += [f.label if not f.prose else "", f.help or ""] + lines  # a write-on line: the contact
        if view.shows_boxes(f):
            printed += [o.label for o in view.options_of(f)]
    missing = [p for p in printed if _norm(p) not in text]
    assert missing == []


def test_blank_form_has_empty_boxes_and_blank_rows(doc: str, blanks: dict[str, bytes]) -> None:
    content = blanks[doc]
    text = full_text(content)
    assert TICKED not in text
    definition = load_definition(doc)
    boxes = 0
    for f in definition.walk():
        if f.type == d.TICK:
            boxes += 1
        elif view.shows_boxes(f):
            boxes += len(view.options_of(f))
    assert text.count(EMPTY) >= boxes
    for f in definition.walk():
        if f.type == d.TABLE and "[]" not in f.path and not is_card_table(f):
            rows = _table_rows(content, [c.label for c in f.fields])
            assert len(rows) == 1 + f.blank_rows, f.path


def test_blank_card_tables_repeat_blank_rows_times(blanks: dict[str, bytes]) -> None:
    reviews = load_definition("commissioning").field_at("reviews.reviews")
    assert is_card_table(reviews)
    headings = [t for t in texts(blanks["commissioning"]) if re.fullmatch(r"Review \d+", t)]
    assert headings == [f"Review {n}" for n in range(1, reviews.blank_rows + 1)]


# --------------------------------------------------------------------------- strict and safe

HOSTILE = make_definition(
    """
id: hostile
title: Values are data
version: "1.0"
sections:
  - key: notes
    label: Notes
    fields:
      - {key: line, label: A line, type: text, max_length: 5000}
      - {key: box, label: A box, type: longtext}
      - {key: items, label: Items, type: list, max_rows: 3, max_length: 5000}
      - key: rows
        label: Rows
        type: table
        max_rows: 3
        columns:
          - {key: a, label: Column A, type: text, max_length: 5000}
          - {key: b, label: Column B, type: choice, options: ["Tom & Jerry", "<b>", "“q”"]}
"""
)

VALUES = [
    "{{ 7*7 }}",
    "{% if true %}yes{% endif %}",
    "{# not a comment #} {%p endfor %} {%tr endfor %}",
    "{_{ docxtpl escape }_} {_% x %_}",
    "Tom & Jerry &amp; &#x41;",
    "<b>bold</b></w:t></w:r><w:r><w:t>",
    "\"double\" 'single' “curly” ‘quotes’ ]]>",
    "tab\tseparated\tvalues",
    "first line\nsecond line\n\nfourth line",
    "Wójcik 😀 👩🏽‍🏫 Ştefan Čonka Олена ਪੰਜਾਬੀ اردو",
    "x" * 5000,
]


@pytest.fixture(scope="module")
def hostile_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("templates") / "hostile.docx"
    path.write_bytes(build_template(HOSTILE))
    return path


def _render_hostile(template: Path, data: dict[str, Any]) -> bytes:
    result = records.validate(HOSTILE, data, partial=True)
    assert result.ok, result.problems
    return render_docx(HOSTILE, result.data, template=template)


def _strict_parts(content: bytes) -> None:
    """Every XML part parses without recovery (Word refuses a document that does not)."""
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        assert z.testzip() is None
        for name in z.namelist():
            if name.endswith((".xml", ".rels")):
                etree.fromstring(z.read(name))


@pytest.mark.parametrize("value", VALUES, ids=lambda v: repr(v)[:24])
def test_values_come_out_literally(value: str, hostile_template: Path) -> None:
    data = {"notes": {"line": value, "box": value, "items": [value], "rows": [{"a": value, "b": "<b>"}]}}
    content = _render_hostile(hostile_template, data)
    _strict_parts(content)
    cells = texts(content)
    stored = types.normal_text(value)  # as validation stores it: a tab is a space
    assert cells.count(stored) >= 3  # line, box, table cell (and the list item's paragraph)
    assert f"{TICKED} <b>" in full_text(content)


def test_control_characters_are_dropped_not_written(hostile_template: Path) -> None:
    content = _render_hostile(hostile_template, {"notes": {"line": "bell\x07 null\x00 vt\x0b end"}})
    _strict_parts(content)
    assert "bell null vt end" in texts(content)


def test_missing_template_variable_fails(tmp_path: Path) -> None:
    broken = _replace_in_document(build_template(HOSTILE), "notes.line", "notes.lien")
    path = tmp_path / "broken.docx"
    path.write_bytes(broken)
    with pytest.raises(RenderError, match="lien"):
        render_docx(HOSTILE, {"notes": {"line": "x"}}, template=path)


def test_template_changed_on_disk_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "t.docx"
    path.write_bytes(build_template(HOSTILE))
    assert "Values are data" in texts(render_docx(HOSTILE, {}, template=path))
    path.write_bytes(build_template(make_definition(build_yaml_with_title("Values are still data"))))
    assert "Values are still data" in texts(render_docx(HOSTILE, {}, template=path))


def build_yaml_with_title(title: str) -> str:
    return f"""
id: hostile
title: {title}
version: "1.0"
sections:
  - key: notes
    label: Notes
    fields:
      - {{key: line, label: A line, type: text}}
"""


def _replace_in_document(content: bytes, old: str, new: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if item.filename == "word/document.xml":
                assert old.encode() in data
                data = data.replace(old.encode(), new.encode())
            zout.writestr(item, data)
    return out.getvalue()


# --------------------------------------------------------------------------- templates and their lint


def test_committed_templates_lint_clean(doc: str) -> None:
    assert lint_template(load_definition(doc)) == []


def test_committed_templates_are_the_fresh_build(doc: str) -> None:
    with (
        zipfile.ZipFile(template_path(doc)) as committed,
        zipfile.ZipFile(io.BytesIO(build_template(load_definition(doc)))) as fresh,
    ):
        assert committed.namelist() == fresh.namelist()
        stale = [n for n in fresh.namelist() if committed.read(n) != fresh.read(n)]
    assert stale == [], f"run: python scripts/build_templates.py {doc}"


def test_build_is_reproducible() -> None:
    definition = load_definition("sla")
    assert build_template(definition) == build_template(definition)


def test_lint_finds_unknown_names_and_unprinted_fields() -> None:
    content = build_template(HOSTILE)
    renamed = _replace_in_document(content, "notes.line", "notes.lien")
    assert lint_template(HOSTILE, renamed) == [
        "notes.lien: no field 'lien' in notes",
        "notes.line: 'A line' is not printed by the template",
    ]
    unknown = _replace_in_document(content, "notes.box", "nots.box")
    assert "nots.box: no section 'nots' in hostile" in lint_template(HOSTILE, unknown)
    grown = make_definition(
        build_yaml_with_title("Values are data").replace(
            "      - {key: line", "      - {key: extra, label: Extra, type: text}\n      - {key: line"
        )
    )
    problems = lint_template(grown, build_template(make_definition(build_yaml_with_title("t"))))
    assert problems == ["notes.extra: 'Extra' is not printed by the template"]


def test_lint_checks_choice_boxes_against_the_options() -> None:
    content = build_template(HOSTILE)
    fewer = _replace_in_document(content, '.box["\\U0000003cb\\U0000003e"]', '.box["gone"]')
    problems = lint_template(HOSTILE, fewer)
    assert "'gone' is not an option of notes.rows[].b" in problems[0]
    assert problems[1] == "notes.rows[].b: no box for option(s) <b>"


def test_plain_docxtpl_renders_the_templates_to_the_same_text(rendered: dict[str, bytes]) -> None:
    definition = load_definition("sla")
    tpl = DocxTemplate(str(template_path("sla")))
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    tpl.render(view.context(definition, canonical("sla", example_data("sla"))), env, autoescape=True)
    out = io.BytesIO()
    tpl.save(out)
    assert texts(out.getvalue()) == texts(rendered["sla"])
    assert ENV.undefined is jinja2.StrictUndefined and ENV.autoescape is True


# --------------------------------------------------------------------------- commands


def run(*args: str, input: str | None = None) -> Any:
    return CliRunner().invoke(main, list(args), input=input)


def test_render_command_writes_the_document(tmp_path: Path) -> None:
    out = tmp_path / "new" / "folder" / "sla.docx"
    result = run("render", "-", "-f", "docx", "-o", str(out), input=record_text("sla", example_data("sla")))
    assert result.exit_code == 0, result.output
    assert "Riverside Farm Learning CIC" in texts(out.read_bytes())
    assert "warning" not in result.output


def test_render_replaces_an_existing_file(tmp_path: Path) -> None:
    out = tmp_path / "sla.docx"
    out.write_bytes(b"old")
    source = tmp_path / "sla.json"
    source.write_text(record_text("sla", example_data("sla")), encoding="utf-8")
    assert run("render", str(source), "-f", "docx", "-o", str(out)).exit_code == 0
    assert out.read_bytes().startswith(b"PK")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sla.docx", "sla.json"]


def test_partial_record_renders_with_a_warning(tmp_path: Path) -> None:
    out = tmp_path / "partial.docx"
    text = record_text("sla", {"provider": {"name": "Peak Boxing Academy"}})
    result = run("render", "-", "-o", str(out), input=text)
    assert result.exit_code == 0, result.output
    assert "warning: 3 required field(s) left blank" in result.stderr
    assert "Name of school (school.name)" in result.stderr
    cells = texts(out.read_bytes())
    assert "Peak Boxing Academy" in cells
    assert cells[cells.index("Name of school") + 1] == ""


def test_invalid_values_stop_the_render(tmp_path: Path) -> None:
    out = tmp_path / "bad.docx"
    data = example_data("sla")
    data["provision"]["pupils"] = "several"
    data["school"]["postcode"] = "nowhere"
    result = run("render", "-", "-o", str(out), input=record_text("sla", data))
    assert result.exit_code == 1
    assert "Number of pupils (provision.pupils): Not a number: 'several'" in result.output
    assert "Postcode (school.postcode): 'nowhere' is not a UK postcode" in result.output
    assert not out.exists()


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        ("{not json", "not JSON"),
        ('{"document": "passport", "version": "1.0", "data": {}}', "unknown document"),
        ('{"document": "sla", "version": "9.0", "data": {}}', "newer than this apforms knows"),
    ],
)
def test_render_bad_input_exits_2_with_one_line(stdin: str, message: str, tmp_path: Path) -> None:
    result = run("render", "-", "-o", str(tmp_path / "x.docx"), input=stdin)
    assert result.exit_code == 2
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_blank_command(tmp_path: Path) -> None:
    out = tmp_path / "forms" / "qa-blank.docx"
    result = run("blank", "qa", "-f", "docx", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = full_text(out.read_bytes())
    assert "Requirement met" in text and TICKED not in text


def test_demo_writes_a_document_of_every_example_and_blank(tmp_path: Path) -> None:
    result = DemoResult(tmp_path)
    _demo_docx(result)
    for doc in ALL_DOCS:
        title = load_definition(doc).title
        filled = full_text((tmp_path / "docx" / f"{doc}.docx").read_bytes())
        blank = full_text((tmp_path / "docx" / f"{doc}-blank.docx").read_bytes())
        assert title in filled and title in blank
        assert TICKED in filled and TICKED not in blank
    # a document and a blank form each, and the referral read back from its Word document
    assert len(result.written) == 2 * len(ALL_DOCS) + 1
    assert result.written[-1][0] == tmp_path / "docx" / "referral-returned.json"


def _restyled(tmp_path: Path, drop_tag: str | None = None) -> Path:
    """templates/sla.docx restyled as a council would in Word: bigger, coloured labels."""
    document = docx.Document(str(template_path("sla")))
    label = document.styles["Form Label"]
    label.font.size = docx.shared.Pt(12)
    label.font.color.rgb = docx.shared.RGBColor(0x80, 0x00, 0x20)
    if drop_tag is not None:  # a tag deleted while restyling
        for p in (p for t in document.tables for r in t.rows for c in r.cells for p in c.paragraphs):
            for run in p.runs:
                run.text = run.text.replace(drop_tag, "")
    out = tmp_path / "sla-restyled.docx"
    document.save(str(out))
    return out


def _render_sla(out: Path, template: Path) -> Any:
    record = record_text("sla", example_data("sla"))
    return run("render", "-", "-o", str(out), "--template", str(template), input=record)


def test_a_restyled_template_renders_with_its_styles(tmp_path: Path) -> None:
    template = _restyled(tmp_path)
    out = tmp_path / "sla.docx"
    result = _render_sla(out, template)
    assert result.exit_code == 0, result.output
    rendered = docx.Document(str(out))
    assert rendered.styles["Form Label"].font.size == docx.shared.Pt(12)
    assert "Riverside Farm Learning CIC" in full_text(out.read_bytes())


def test_a_restyled_template_that_lost_a_tag_is_refused(tmp_path: Path) -> None:
    template = _restyled(tmp_path, drop_tag="{{ provider.name }}")
    out = tmp_path / "sla.docx"
    result = _render_sla(out, template)
    assert result.exit_code == 2
    assert "sla-restyled.docx is not a sla template" in result.output and "provider.name" in result.output
    assert not out.exists()


def test_the_template_command_gives_a_copy_to_restyle(tmp_path: Path) -> None:
    out = tmp_path / "council" / "sla.docx"
    result = run("template", "sla", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == template_path("sla").read_bytes()
    assert lint_template(load_definition("sla"), out.read_bytes()) == []
