"""What a returned PDF would have a viewer run, start or send: JavaScript, and Launch,
SubmitForm and ImportData actions, in the document's, its pages', its annotations' and its
fields' actions (``/OpenAction``, ``/AA``, ``/A``, the document's named scripts). apforms runs
none of them; each is named in a warning (issue 14), with where it is and what it names (the
program, the URL), so that a person knows the file was made to do more than hold a form.
"""

from __future__ import annotations

from typing import Any

import pikepdf

from apforms.formats.pdf.open import text_value

#: Walked at most (a field's parents, an action's chain).
MAX_DEPTH = 32

_RISKY = ("/JavaScript", "/Launch", "/SubmitForm", "/ImportData")


def active_content(pdf: pikepdf.Pdf) -> list[str]:
    """Warnings naming what the file would have a viewer run, start or send (never done here):
    actions of the document, its pages, their annotations and the fields above them."""
    found: dict[str, list[tuple[str, str]]] = {kind: [] for kind in _RISKY}
    parents: dict[tuple[int, int], pikepdf.Dictionary] = {}
    try:
        _document_actions(pdf, found)
        for n, page in enumerate(pdf.pages, start=1):
            _actions(page.obj.get("/AA"), f"page {n}", found)
            annots = page.obj.get("/Annots")
            for annot in annots if isinstance(annots, pikepdf.Array) else ():
                if not isinstance(annot, pikepdf.Dictionary):
                    continue
                if "/A" in annot or "/AA" in annot:
                    where = _field_name(annot) or f"a link on page {n}"
                    _actions(annot.get("/A"), where, found)
                    _actions(annot.get("/AA"), where, found)
                parent = annot.get("/Parent")  # a field above its widgets: a radio group's actions
                if isinstance(parent, pikepdf.Dictionary) and parent.is_indirect:
                    parents.setdefault(parent.objgen, parent)
        _field_actions(parents, found)
    except (pikepdf.PdfError, RuntimeError, ValueError, TypeError):
        pass
    return [_said(kind, places) for kind, places in found.items() if places]


def _document_actions(pdf: pikepdf.Pdf, found: dict[str, list[tuple[str, str]]]) -> None:
    root = pdf.Root
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary) and "/JavaScript" in names:
        found["/JavaScript"].append(("the document's scripts", ""))
    _actions(root.get("/OpenAction"), "when the document opens", found)
    _actions(root.get("/AA"), "the document's events", found)


def _field_actions(
    parents: dict[tuple[int, int], pikepdf.Dictionary], found: dict[str, list[tuple[str, str]]]
) -> None:
    """Actions on the fields above the widgets (and above them, a few levels up)."""
    seen: set[tuple[int, int]] = set()
    for node in parents.values():
        at: Any = node
        for _ in range(32):
            if not isinstance(at, pikepdf.Dictionary) or not at.is_indirect or at.objgen in seen:
                break
            seen.add(at.objgen)
            if "/AA" in at:
                _actions(at.get("/AA"), _field_name(at) or "a field", found)
            at = at.get("/Parent")


def _actions(obj: Any, where: str, found: dict[str, list[tuple[str, str]]], depth: int = 0) -> None:
    """Record the risky actions in an action, its /Next chain, or an /AA dictionary of them."""
    if depth > 16 or not isinstance(obj, pikepdf.Dictionary | pikepdf.Array):
        return
    if isinstance(obj, pikepdf.Array):
        for item in list(obj)[:64]:
            _actions(item, where, found, depth + 1)
        return
    kind = obj.get("/S")
    if kind is None and "/JS" not in obj:  # an /AA dictionary: one action per event
        for key in ("/O", "/C", "/K", "/F", "/V", "/C", "/E", "/X", "/D", "/U", "/Fo", "/Bl", "/PO", "/PC",
                    "/PV", "/PI", "/WC", "/WS", "/DS", "/WP", "/DP"):  # fmt: skip
            if key in obj:
                _actions(obj.get(key), where, found, depth + 1)
        return
    name = "/JavaScript" if "/JS" in obj else _name(kind)
    if name in found:
        found[name].append((where, _target(obj)))
    _actions(obj.get("/Next"), where, found, depth + 1)


def _name(obj: Any) -> str:
    try:
        return str(obj)
    except UnicodeDecodeError:  # not UTF-8: no action anyone knows
        return "/?"


def _target(action: pikepdf.Dictionary) -> str:
    """What a Launch, SubmitForm or ImportData action names (a program, a URL, a file)."""
    f = action.get("/F")
    if isinstance(f, pikepdf.Dictionary):
        f = f.get("/UF") or f.get("/F") or f.get("/FS")
    win = action.get("/Win")
    if f is None and isinstance(win, pikepdf.Dictionary):
        f = win.get("/F")
    text = text_value(f) if f is not None else None
    return (text or "")[:80]


def _field_name(node: pikepdf.Dictionary) -> str | None:
    parts: list[str] = []
    depth = 0
    at: Any = node
    while isinstance(at, pikepdf.Dictionary) and depth < 32:
        t = text_value(at.get("/T"))
        if t:
            parts.append(t)
        at, depth = at.get("/Parent"), depth + 1
    return f"field {'.'.join(reversed(parts))}" if parts else None


def _said(kind: str, places: list[tuple[str, str]]) -> str:
    wheres = list(dict.fromkeys(w for w, _ in places))
    where = ", ".join(wheres[:3]) + (f" and {len(wheres) - 3} more" if len(wheres) > 3 else "")
    targets = [t for _, t in places if t]
    target = f" {targets[0]!r}" if targets else ""
    return _SAID[kind].format(where=where, target=target or _NO_TARGET[kind])


_SAID = {
    "/JavaScript": "the file contains JavaScript ({where}); it was not run",
    "/Launch": "the file has a Launch action ({where}): it would start a program or open a file"
    "{target}; not done",
    "/SubmitForm": "the file has a SubmitForm action ({where}): it would send the form's data to"
    "{target}; not sent",
    "/ImportData": "the file has an ImportData action ({where}): it would fill the form from a file"
    "{target}; not done",
}
_NO_TARGET = {"/JavaScript": "", "/Launch": "", "/SubmitForm": " a server", "/ImportData": ""}


__all__ = ["active_content"]
