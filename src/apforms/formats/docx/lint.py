"""Checks a Word template against its definition, so the two cannot drift apart.

Every name a template prints must be a field of the definition (or ``doc.id``, ``doc.version``,
``doc.title``, or a loop's own ``loop``), read the way :mod:`apforms.formats.docx.context` offers it:
a choice as ``.text`` or ``.box['<option value>']``, a table or list through a ``for`` loop.
Every field of the definition must be printed somewhere, and a choice printed as boxes must
have a box for every option. Problems are one line each, naming the key path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import TemplateSyntaxError, nodes

from apforms.formats.docx import context as view
from apforms.formats.docx.compile import ENV, template_path, template_sources
from apforms.model.definitions import Definition, Field
from apforms.model.types import Shape

_LOOP = "loop"


@dataclass(frozen=True)
class _Row:
    """A loop variable: one row of a table (``of.fields``) or one item of a list."""

    of: Field


@dataclass
class _Lint:
    definition: Definition
    used: set[str] = field(default_factory=set)
    boxes: dict[str, set[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def visit(self, node: nodes.Node, scope: dict[str, _Row | None]) -> None:
        if isinstance(node, nodes.For):
            self._for(node, scope)
        elif isinstance(node, nodes.Name | nodes.Getattr | nodes.Getitem):
            self.resolve(node, scope)
        else:
            for child in node.iter_child_nodes():
                self.visit(child, scope)

    def _for(self, node: nodes.For, scope: dict[str, _Row | None]) -> None:
        target = self.resolve(node.iter, scope)
        inner: dict[str, _Row | None] = {**scope, _LOOP: None}
        if isinstance(node.target, nodes.Name):
            if isinstance(target, Field) and target.shape in (Shape.ROWS, Shape.ITEMS):
                inner[node.target.name] = _Row(target)
                if target.shape == Shape.ITEMS:
                    self.used.add(target.path)
            else:
                self.problems.append(f"{node.target.name}: loops only over a table or a list")
                inner[node.target.name] = None
        for child in [*node.body, *node.else_] + ([node.test] if node.test else []):
            self.visit(child, inner)

    def resolve(self, node: nodes.Node, scope: dict[str, _Row | None]) -> Field | None:
        """Follow ``a.b['c']`` from its root name through the definition; record what it prints."""
        steps: list[str] = []
        while isinstance(node, nodes.Getattr | nodes.Getitem):
            if isinstance(node, nodes.Getattr):
                steps.append(node.attr)
            elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                steps.append(node.arg.value)
            else:  # a computed subscript: check what it is computed from, not the subscript
                self.visit(node.arg, scope)
                steps.clear()
            node = node.node
        if not isinstance(node, nodes.Name):
            self.visit(node, scope)
            return None
        steps.reverse()
        return self._follow(node.name, steps, scope)

    def _follow(self, name: str, steps: list[str], scope: dict[str, _Row | None]) -> Field | None:
        shown = ".".join([name, *steps])
        if name in scope:
            row = scope[name]
            if row is None:  # Jinja's loop or an unusable loop variable
                return None
            if row.of.shape == Shape.ITEMS:
                if steps:
                    self.problems.append(f"{shown}: an item of {row.of.path} is text")
                return None
            return self._walk_fields(row.of, steps, shown, row=True)
        if name == view.DOC:
            if len(steps) != 1 or steps[0] not in view.DOC_ATTRIBUTES:
                self.problems.append(f"{shown}: doc has only {', '.join(view.DOC_ATTRIBUTES)}")
            return None
        section = next((s for s in self.definition.sections if s.key == name), None)
        if section is None:
            self.problems.append(f"{shown}: no section {name!r} in {self.definition.id}")
            return None
        return self._walk_fields(section, steps, shown)

    def _walk_fields(self, current: Field, steps: list[str], shown: str, row: bool = False) -> Field | None:
        for i, step in enumerate(steps):
            if current.is_leaf:
                return self._leaf(current, steps[i:], shown)
            if current.shape == Shape.ROWS and not (row and i == 0):
                self.problems.append(f"{shown}: the rows of {current.path} are read with a for loop")
                return None
            try:
                current = current.child(step)
            except KeyError:
                self.problems.append(f"{shown}: no field {step!r} in {current.path}")
                return None
        if current.is_leaf:
            return self._leaf(current, [], shown)
        return current

    def _leaf(self, f: Field, steps: list[str], shown: str) -> Field:
        if not view.options_of(f) or not steps:
            if steps:
                self.problems.append(f"{shown}: {f.path} is printed as text, it has no {steps[0]!r}")
            self.used.add(f.path)
            return f
        values = {o.value for o in view.options_of(f)}
        if steps == ["text"]:
            self.used.add(f.path)
        elif len(steps) == 2 and steps[0] == "box" and steps[1] in values:
            self.used.add(f.path)
            self.boxes.setdefault(f.path, set()).add(steps[1])
        elif steps[0] == "box" and len(steps) == 2:
            self.problems.append(f"{shown}: {steps[1]!r} is not an option of {f.path}")
        else:
            self.problems.append(f"{shown}: a choice is printed as .text or .box['<option>']")
        return f

    def unprinted(self) -> list[str]:
        out = []
        for f in self.definition.leaves():
            if f.path not in self.used:
                out.append(f"{f.path}: {f.label!r} is not printed by the template")
            elif f.path in self.boxes and self.boxes[f.path] != {o.value for o in view.options_of(f)}:
                missing = sorted({o.value for o in view.options_of(f)} - self.boxes[f.path])
                out.append(f"{f.path}: no box for option(s) {', '.join(missing)}")
        return out


def lint_template(definition: Definition, content: bytes | None = None) -> list[str]:
    """Every problem of a Word template (default: ``templates/<id>.docx``) against ``definition``."""
    if content is None:
        path: Path = template_path(definition.id)
        content = path.read_bytes()
    lint = _Lint(definition)
    for part, source in template_sources(content):
        try:
            tree = ENV.parse(source)
        except TemplateSyntaxError as exc:
            lint.problems.append(f"{part}: template error: {exc.message}")
            continue
        lint.visit(tree, {})
    return lint.problems + lint.unprinted()
