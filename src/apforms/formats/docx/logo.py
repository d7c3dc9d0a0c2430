"""A council's logo put into a rendered Word document: in the page header, to the right of the
council's name, as the PDF form has it in its top margin.

The picture becomes a media part of the package, related from the header, and an inline
drawing in the header's first paragraph. The rest of the document is untouched.
"""

from __future__ import annotations

import io
import re
import zipfile

from apforms.errors import RenderError
from apforms.pictures import PictureError, read_picture

_EMU_PER_CM = 360_000
LOGO_HEIGHT_CM, LOGO_MAX_WIDTH_CM = 1.0, 5.0
_IMAGE_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/image"
_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_REL_ID = "rIdApformsLogo"
_DOC_RELS_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def with_logo(docx: bytes, logo: bytes) -> bytes:
    """``docx`` with ``logo`` (PNG or JPEG bytes) in its page header."""
    try:
        pic = read_picture(logo)
    except PictureError as exc:
        raise RenderError(f"the logo: {exc}") from None
    ext, media_type = ("png", "image/png") if pic.kind == "png" else ("jpeg", "image/jpeg")
    height = LOGO_HEIGHT_CM * _EMU_PER_CM
    width = min(height * pic.width / pic.height, LOGO_MAX_WIDTH_CM * _EMU_PER_CM)
    height = width * pic.height / pic.width
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(docx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        names = src.namelist()
        header = next((n for n in names if re.fullmatch(r"word/header\d+\.xml", n)), None)
        if header is None:
            raise RenderError("the Word template has no page header to put the logo in")
        rels_name = f"word/_rels/{header.rsplit('/', 1)[1]}.rels"
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "[Content_Types].xml" and f'Extension="{ext}"' not in data.decode("utf-8"):
                default = f'<Default Extension="{ext}" ContentType="{media_type}"/>'
                data = data.replace(b"<Default ", default.encode() + b"<Default ", 1)
            elif info.filename == header:
                data = _header_with_drawing(data, int(width), int(height))
            elif info.filename == rels_name:
                data = data.replace(b"</Relationships>", _relationship(ext).encode() + b"</Relationships>")
            dst.writestr(info, data)
        if rels_name not in names:
            body = (
                f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_RELS_NS}">'
            )
            dst.writestr(_member(rels_name), (body + _relationship(ext) + "</Relationships>").encode())
        dst.writestr(_member(f"word/media/apforms-logo.{ext}"), logo)
    return out.getvalue()


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))  # reproducible, as the rest
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _relationship(ext: str) -> str:
    return f'<Relationship Id="{_REL_ID}" Type="{_IMAGE_REL}" Target="media/apforms-logo.{ext}"/>'


def _header_with_drawing(xml: bytes, cx: int, cy: int) -> bytes:
    """The header with the logo as the last run of its first paragraph: to the right of the
    council's name, as on the PDF form."""
    drawing = (
        '<w:r><w:drawing><wp:inline distT="0" distB="0" distL="114300" distR="0">'
        f'<wp:extent cx="{cx}" cy="{cy}"/><wp:docPr id="9001" name="Council logo" descr="Council logo"/>'
        '<a:graphic xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main">'
        '<a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:pic xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture">'
        '<pic:nvPicPr><pic:cNvPr id="0" name="Council logo"/><pic:cNvPicPr/></pic:nvPicPr>'
        f'<pic:blipFill><a:blip xmlns:r="{_DOC_RELS_NS}" r:embed="{_REL_ID}"/>'
        "<a:stretch><a:fillRect/></a:stretch></pic:blipFill>"
        f'<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{cx}" cy="{cy}"/></a:xfrm>'
        '<a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr>'
        "</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"
    ).encode()
    at = xml.find(b"</w:p>")
    if at < 0:
        raise RenderError("the Word template's page header has no paragraph to put the logo in")
    return xml[:at] + drawing + xml[at:]
