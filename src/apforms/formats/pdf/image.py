"""A council's logo (read by :mod:`apforms.pictures`) as PDF image objects: a JPEG as it is
(``/DCTDecode``), a PNG's pixels compressed, its transparency as a soft mask."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from apforms.errors import RenderError
from apforms.formats.pdf import syntax as ps
from apforms.pictures import PictureError, read_picture

#: Replaced by the writer with the soft mask's object reference.
SMASK_REF = "@SMASK@"


@dataclass(frozen=True)
class Picture:
    """An image XObject's body, and its soft mask's (transparency) if it has one."""

    width: int
    height: int
    body: bytes
    #: the body of the soft mask; the image's header names it as ``/SMask {SMASK_REF}``
    mask: bytes | None = None


@lru_cache(maxsize=4)
def picture(data: bytes) -> Picture:
    """The logo ``data`` (PNG or JPEG bytes) as image objects; RenderError if it cannot be."""
    try:
        pic = read_picture(data)
    except PictureError as exc:
        raise RenderError(f"the logo: {exc}") from None
    head = f"/Type /XObject /Subtype /Image /Width {pic.width} /Height {pic.height} /BitsPerComponent 8"
    if pic.kind == "jpeg":
        space = {1: "/DeviceGray", 3: "/DeviceRGB", 4: "/DeviceCMYK"}[pic.channels]
        decode = " /Decode [1 0 1 0 1 0 1 0]" if pic.inverted else ""
        body = ps.stream(f"{head} /ColorSpace {space}{decode} /Filter /DCTDecode", pic.data, compress=False)
        return Picture(pic.width, pic.height, body)
    if pic.palette:
        space = f"[/Indexed /DeviceRGB {len(pic.palette) // 3 - 1} <{pic.palette.hex()}>]"
    else:
        space = "/DeviceGray" if pic.channels == 1 else "/DeviceRGB"
    smask = f" /SMask {SMASK_REF}" if pic.alpha is not None else ""
    body = ps.stream(f"{head} /ColorSpace {space}{smask}", pic.pixels, compress=True)
    mask = ps.stream(f"{head} /ColorSpace /DeviceGray", pic.alpha, compress=True) if pic.alpha else None
    return Picture(pic.width, pic.height, body, mask)
