"""Where apforms' own files are: definitions, Word templates and fonts.

Inside an installed wheel they live under ``apforms/_data`` (see ``pyproject.toml``); in a
source tree, at the repository root (``schemas/``, ``templates/``) and ``src/apforms/fonts``.
YAML is read with libyaml's safe loader where it is installed (three times faster than the
pure-Python one), else with PyYAML's own; either way a key given twice in a mapping is refused
(PyYAML lets the last one win, silently), and so are aliases that repeat more than
:data:`MAX_REPEATED` values or contain themselves ("billion laughs": a kilobyte that loads as
hundreds of millions of shared values, for whatever walks them next). What a file read is
kept in the disk cache (:mod:`apforms.cache`, by the text's hash), so that a one-shot command
reads it as JSON; PyYAML is imported only when a file is read for the first time.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apforms.errors import DefinitionError, first_line

if TYPE_CHECKING:  # PyYAML is imported when a file is first read, not with this module
    import yaml

_PACKAGE = Path(__file__).resolve().parent
#: Values that aliases may repeat in one file (the referral's session fields repeat 405).
MAX_REPEATED = 100_000
_MERGE = "tag:yaml.org,2002:merge"


@cache
def _refused() -> type[Exception]:
    """The error for a YAML file apforms does not read (one line, for parse_yaml's message):
    a ``yaml.YAMLError``, made when first needed."""
    import yaml

    return type("_Refused", (yaml.YAMLError,), {"__doc__": _refused.__doc__})


class _Checked:
    """What a safe loader (libyaml's or PyYAML's) adds: a key given twice and aliases that
    repeat too much are refused."""

    aliased = True  # whether the text may hold an alias (it has a '*')

    def get_single_data(self: Any) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        if self.aliased:
            _check_aliases(node)
        return self.construct_document(node)

    def construct_mapping(self: Any, node: yaml.MappingNode, deep: bool = False) -> Any:
        import yaml

        if isinstance(node, yaml.MappingNode):
            _check_keys(self, node)
        return yaml.constructor.SafeConstructor.construct_mapping(self, node, deep)  # both loaders'


@cache
def _loader() -> Any:
    """The safe loader apforms reads YAML with: libyaml's where installed, with :class:`_Checked`."""
    import yaml

    base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return type("_Loader", (_Checked, base), {"__doc__": "The safe loader apforms reads YAML with."})


def _check_keys(loader: Any, node: yaml.MappingNode) -> None:
    """_Refused naming a key given twice in ``node`` (merged keys, ``<<``, may be overridden)."""
    import yaml

    first: dict[Any, int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE:
            continue
        key = loader.construct_object(key_node)  # kept: constructing the mapping takes it again
        line = key_node.start_mark.line + 1
        try:
            if key in first:
                raise _refused()(f"key {key!r} given twice (line {line}; first at line {first[key]})")
            first[key] = line
        except TypeError:  # unhashable: the constructor says so
            continue


def _check_aliases(root: yaml.Node) -> None:
    """_Refused unless the values aliases repeat (the document's size with every alias
    written out, less its own) are at most MAX_REPEATED, and no alias contains itself.

    Sequences and mappings are walked once each; a scalar counts once where it is written
    (an alias of a scalar repeats one value: no more than the file's own size)."""
    import yaml

    size: dict[int, int] = {}  # a collection's size with its aliases written out
    open_: set[int] = set()
    own = 0
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            open_.discard(key)
            size[key] = 1 + sum(size.get(id(c), 1) for c in _children(node))
            continue
        if key in size:
            continue
        if key in open_:
            raise _refused()(f"an alias contains itself (line {node.start_mark.line + 1})")
        children = _children(node)
        inner = [c for c in children if not isinstance(c, yaml.ScalarNode)]
        own += 1 + len(children) - len(inner)
        open_.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in inner)
    if size.get(id(root), 1) - own > MAX_REPEATED:
        raise _refused()(f"its aliases repeat more than {MAX_REPEATED:,} values (the most read)")


def _children(node: yaml.Node) -> list[yaml.Node]:
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return node.value  # type: ignore[no-any-return]
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def _load(text: str | bytes, loader_class: Any = None) -> Any:
    loader = (loader_class or _loader())(text)
    loader.aliased = b"*" in text if isinstance(text, bytes) else "*" in text  # no '*', no alias
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def _load_kept(text: str | bytes, name: object) -> Any:
    """What :func:`_load` reads from ``text``, kept in the disk cache by the text's hash (as
    JSON, when it is plain JSON data: a file with dates or sets is read each time); a
    :class:`DefinitionError` naming ``name`` if it is not YAML apforms reads."""
    from apforms import cache

    return cache.cached_json("yaml", cache.text_digest(text), lambda: _parse(text, name))


def _parse(text: str | bytes, name: object) -> Any:
    import yaml

    try:
        return _load(text)
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{name}: cannot read: {first_line(exc)}") from exc


def __getattr__(name: str) -> Any:
    if name == "_LOADER":  # the loader class, made when first asked for (tests/test_resources.py)
        return _loader()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def data_dir(name: str) -> Path:
    """The folder ``schemas`` or ``templates``: inside the wheel, or at the repository root."""
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parents[1] / name


def schemas_dir() -> Path:
    return data_dir("schemas")


def templates_dir() -> Path:
    return data_dir("templates")


def font_file(name: str) -> Path:
    """A font shipped in ``apforms/fonts`` (with its licence beside it)."""
    return _PACKAGE / "fonts" / name


def parse_yaml(text: str | bytes, name: str) -> Any:
    """YAML already read from ``name`` (safe loading only); a :class:`DefinitionError` naming it."""
    return _load_kept(text, name)


def read_yaml(path: Path) -> Any:
    """A YAML file (safe loading only); a :class:`DefinitionError` naming it if unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DefinitionError(f"{path}: cannot read: not UTF-8 text (byte {exc.start})") from exc
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot read: {first_line(exc)}") from exc
    return _load_kept(text, path)
