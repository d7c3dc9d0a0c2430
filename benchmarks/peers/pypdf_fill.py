"""The pypdf way to fill a PDF form, one shot: a blank form, field values as JSON, a file.

    python benchmarks/peers/pypdf_fill.py BLANK.pdf VALUES.json OUT.pdf

As pypdf's documentation shows it ("Filling out forms"): ``PdfWriter(clone_from=...)``, then
``update_page_form_field_values`` on every page (``page=None``), pypdf making the text fields'
appearances (``auto_regenerate`` sets NeedAppearances too).
"""

import json
import sys

from pypdf import PdfWriter

blank, values, out = sys.argv[1:4]
with open(values, encoding="utf-8") as fh:
    fields = json.load(fh)
writer = PdfWriter(clone_from=blank)
writer.update_page_form_field_values(None, fields, auto_regenerate=True)
writer.write(out)
