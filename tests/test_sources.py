"""Every check's source is a public document listed in docs/sources.md (issue 13, item 6):
named by the entry's short name, with the section after it, never an internal file alone."""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from click.testing import CliRunner

from apforms.cli import main
from apforms.rules import all_rules
from apforms.rules.sources import Source, all_sources, parse_sources

SOURCES_MD = Path(__file__).resolve().parents[1] / "docs" / "sources.md"
#: Hosts a URL in docs/sources.md may be on: gov.uk and its subdomains (legislation.gov.uk,
#: a council's own site such as schoolsportal.derby.gov.uk, DfE's services), and the own
#: domain of a publisher outside government (none yet), by the entry's publisher.
GOVERNMENT = "gov.uk"
OWN_DOMAINS: dict[str, str] = {}
#: What an internal pointer looks like: allowed only inside parentheses, beside a document.
INTERNAL = re.compile(r"schemas/|docs/|shared/|domain-facts|\.ya?ml\b|\.md\b|configuration")


def documents() -> list[Source]:
    return parse_sources(SOURCES_MD.read_text(encoding="utf-8"))


def parts(source: str) -> list[str]:
    """A source's documents: split at the semicolons that are outside parentheses."""
    out, depth, current = [], 0, ""
    for ch in source:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == ";" and depth == 0:
            out.append(current.strip())
            current = ""
        else:
            current += ch
    return [*out, current.strip()]


def outside_parentheses(text: str) -> str:
    while (stripped := re.sub(r"\([^()]*\)", "", text)) != text:
        text = stripped
    return text


def names() -> list[str]:
    """The short names, longest first (so a name that begins another never shadows it)."""
    return sorted((d.name for d in documents()), key=len, reverse=True)


def test_the_page_has_the_entries_the_checks_need() -> None:
    docs = documents()
    assert len({d.name for d in docs}) == len(docs), "a short name is listed twice"
    assert "Derby AP guidance" in {d.name for d in docs}
    for d in docs:
        assert d.title and d.publisher and d.date, d.name
        assert d.url or d.url_text.startswith("not confirmed"), d.name


@pytest.mark.parametrize("r", all_rules(), ids=lambda r: r.id)
def test_each_document_a_source_cites_begins_with_its_short_name(r) -> None:  # type: ignore[no-untyped-def]
    known = names()
    for part in parts(r.source):
        assert any(part.startswith(n) for n in known), (
            f"{r.id}: {part!r} names no document of docs/sources.md"
        )


@pytest.mark.parametrize("r", all_rules(), ids=lambda r: r.id)
def test_no_source_points_at_an_internal_file_alone(r) -> None:  # type: ignore[no-untyped-def]
    assert "domain-facts" not in r.source and "shared/" not in r.source, r.id
    for part in parts(r.source):
        assert not INTERNAL.search(outside_parentheses(part)), f"{r.id}: {part!r}"


def test_each_entry_lists_exactly_the_checks_that_cite_it() -> None:
    rules = all_rules()
    for d in documents():
        citing = [r.id for r in rules if d.name in r.source]
        assert list(d.rules) == citing, f"{d.name}: Rules in docs/sources.md should be {', '.join(citing)}"


def test_every_url_is_https_on_gov_uk_or_the_publishers_own_domain() -> None:
    text = SOURCES_MD.read_text(encoding="utf-8")
    by_url = {url: d for d in documents() for url in re.findall(r"https?://[^\s,;)]+", d.url_text)}
    urls = re.findall(r"\b[a-z]+://[^\s,;)`]+", text)
    assert urls and set(urls) <= set(by_url), "a URL outside an entry's URL field"
    for url in urls:
        parsed = urlparse(url)
        host = parsed.hostname or ""
        own = OWN_DOMAINS.get(by_url[url].publisher)
        allowed = host == GOVERNMENT or host.endswith("." + GOVERNMENT) or (own and host.endswith(own))
        assert parsed.scheme == "https" and allowed, url


def test_the_page_is_shipped_and_read_as_the_library_reads_it() -> None:
    assert list(all_sources()) == documents()


def test_parse_sources_reads_continued_fields_and_skips_prose() -> None:
    text = (
        "# Sources\n\nProse.\n\n## DfE Example (2020)\n\n- Title: Example: a guide\n  for schools\n"
        "- Publisher: Department for Education\n- Date: May 2020\n"
        "- URL: https://www.gov.uk/government/publications/example.\n- Rules: REF-001,\n  REF-002\n\n"
        "## Unconfirmed\n\n- Title: T\n- Publisher: P\n- Date: D\n"
        "- URL: not confirmed (a copy at https://www.gov.uk/x was not the document)\n- Rules: none\n\n"
        "## Not listed here\n\nProse only.\n"
    )
    first, second = parse_sources(text)
    assert first == Source(
        "DfE Example (2020)",
        "Example: a guide for schools",
        "Department for Education",
        "May 2020",
        "https://www.gov.uk/government/publications/example",
        "https://www.gov.uk/government/publications/example.",
        ("REF-001", "REF-002"),
    )
    assert second.url is None and second.rules == ()


def test_rules_sources_lists_the_documents() -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["rules", "--sources"])
    assert result.exit_code == 0
    assert result.output.startswith("Derby AP guidance\n  Alternative provision guidance for schools")
    assert "  URL: https://www.gov.uk/government/publications/alternative-provision\n" in result.output
    listed = json.loads(runner.invoke(main, ["rules", "--sources", "--json"]).output)
    assert [d["name"] for d in listed] == [d.name for d in documents()]
    kcsie = next(d for d in listed if d["name"] == "DfE KCSIE 2025")
    assert kcsie["rules"] == ["QA-001"] and kcsie["url"].startswith("https://www.gov.uk/")
    # the checks themselves still print their sources
    assert "[DfE Arranging AP (2025): schools inform" in runner.invoke(main, ["rules"]).output
