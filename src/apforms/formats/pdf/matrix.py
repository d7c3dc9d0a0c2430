"""PDF transformation matrices ``(a, b, c, d, e, f)``, as content streams write them."""

from __future__ import annotations

Matrix = tuple[float, ...]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def compose(a: Matrix, b: Matrix) -> Matrix:
    """``a`` then ``b`` (row-vector matrices as PDF writes them): an object inside a form
    XObject is placed on the page by its own matrix and then by the form's."""
    return (
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    )
