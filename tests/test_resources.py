"""YAML as apforms reads it (definitions, code lists, --config files): safe loading with
libyaml, aliases that repeat no more than a bound, no key given twice (issue 14: bad input
gets a clear error and loses nothing)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from apforms import resources
from apforms.cli import main
from apforms.errors import ConfigError, DefinitionError
from apforms.model.config import read_config
from apforms.resources import parse_yaml, read_yaml


def laughs(levels: int = 9) -> str:
    """'Billion laughs': nine aliases of nine aliases …, 9**levels values from 1 KB."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


ALIASES_REFUSED = "its aliases repeat more than 100,000 values (the most read)"


def test_an_alias_bomb_is_refused_in_one_line() -> None:
    """A kilobyte of aliases loaded as 387 million strings, shared: whatever walked them next
    (a check, str(), JSON) took minutes and gigabytes."""
    with pytest.raises(DefinitionError, match=_line(f"bomb.yaml: cannot read: {ALIASES_REFUSED}")):
        parse_yaml(laughs(), "bomb.yaml")


def test_a_config_file_with_an_alias_bomb_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "council.yaml"
    path.write_text(laughs() + "registration:\n  single_pupil_triggers: *a9\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=_line(f"{path}: cannot read: {ALIASES_REFUSED}")):
        read_config(path)
    record = tmp_path / "sla.json"
    record.write_text(CliRunner().invoke(main, ["example", "sla"]).stdout, encoding="utf-8")
    r = CliRunner().invoke(main, ["check", "--config", str(path), str(record)])
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [f"apforms: {path}: cannot read: {ALIASES_REFUSED}"]


def test_a_recursive_alias_is_refused() -> None:
    message = "loop.yaml: cannot read: an alias contains itself (line 1)"
    with pytest.raises(DefinitionError, match=_line(message)):
        parse_yaml("a: &a [1, *a]\n", "loop.yaml")


def test_aliases_that_repeat_a_little_are_read() -> None:
    """The referral repeats its session fields with an alias; repeating is fine up to the bound."""
    data = parse_yaml(laughs(4), "small.yaml")  # 6,561 strings
    assert len(data["a4"]) == 9 and data["a4"][0] is data["a3"]
    merged = parse_yaml("base: &b {x: 1, y: 2}\nmerged: {<<: *b, x: 3}\n", "m.yaml")["merged"]
    assert merged == {"x": 3, "y": 2}  # a merged key may be overridden: not given twice


def test_every_shipped_yaml_file_reads_as_before() -> None:
    root = resources.schemas_dir()
    for path in sorted(root.rglob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            assert read_yaml(path) == yaml.safe_load(fh), path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "council: Derby\nfull_time: {}\ncouncil: Leicester\n",
            "key 'council' given twice (line 3; first at line 1)",
        ),
        (
            "registration:\n  pupils_at_least: 5\n  full_time_hours_over: 18\n  pupils_at_least: 1\n",
            "key 'pupils_at_least' given twice (line 4; first at line 2)",
        ),
        ("hours: {KS1: 21, KS2: 23.5, KS1: 0}\n", "key 'KS1' given twice (line 1; first at line 1)"),
        ("1: one\n0x1: also one\n", "key 1 given twice (line 2; first at line 1)"),
    ],
)
def test_a_key_given_twice_is_refused_naming_the_key_and_line(text: str, message: str) -> None:
    """The second value silently won: a council's threshold edited lower down the file, with
    the first one left in, was read as the last one, with no word about the other."""
    with pytest.raises(DefinitionError, match=_line(f"council.yaml: cannot read: {message}")):
        parse_yaml(text, "council.yaml")


def test_a_config_file_with_a_key_given_twice_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "council.yaml"
    path.write_text("council: Derby City Council\ncouncil: Leicester City Council\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match=_line(f"{path}: cannot read: key 'council' given twice (line 2; first at line 1)")
    ):
        read_config(path)


def test_a_definition_with_a_key_given_twice_names_its_file(tmp_path: Path) -> None:
    path = tmp_path / "sla.yaml"
    path.write_text("id: sla\ntitle: SLA\nid: qa\n", encoding="utf-8")
    with pytest.raises(
        DefinitionError, match=_line(f"{path}: cannot read: key 'id' given twice (line 3; first at line 1)")
    ):
        read_yaml(path)


def test_libyaml_is_used_where_it_is_installed() -> None:
    if not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("PyYAML without libyaml")
    assert issubclass(resources._LOADER, yaml.CSafeLoader)


def test_the_checks_hold_with_pyyamls_own_loader_too() -> None:
    """Without libyaml, PyYAML's pure-Python safe loader is used, with the same checks."""
    pure = type("PureLoader", (resources._Checked, yaml.SafeLoader), {})
    with pytest.raises(yaml.YAMLError, match=_line("key 'a' given twice (line 2; first at line 1)")):
        resources._load("a: 1\na: 2\n", pure)
    with pytest.raises(yaml.YAMLError, match=_line(ALIASES_REFUSED)):
        resources._load(laughs(), pure)
    assert resources._load("a: &a [1]\nb: *a\n", pure) == {"a": [1], "b": [1]}


def _line(text: str) -> str:
    """A pattern matching exactly this one line."""
    return f"^{re.escape(text)}$"


def test_a_yaml_file_that_is_not_utf8_is_refused_by_name(tmp_path: Path) -> None:
    from apforms.errors import DefinitionError
    from apforms.resources import read_yaml

    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Café\n".encode("latin-1"))
    with pytest.raises(DefinitionError, match=r"latin1\.yaml: cannot read: not UTF-8 text \(byte 9\)"):
        read_yaml(path)
