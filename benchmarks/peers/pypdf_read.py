"""The pypdf way to read a filled PDF form, one shot: the form, its field values as JSON.

    python benchmarks/peers/pypdf_read.py FILLED.pdf OUT.json

As pypdf's documentation shows it ("Reading form fields"): ``PdfReader(path).get_fields()``,
each field's value (``/V``) written as text; a field with no value is left out.
"""

import json
import sys

from pypdf import PdfReader

form, out = sys.argv[1:3]
fields = PdfReader(form).get_fields() or {}
values = {name: str(f.value) for name, f in fields.items() if f.value is not None}
with open(out, "w", encoding="utf-8") as fh:
    json.dump(values, fh, ensure_ascii=False)
