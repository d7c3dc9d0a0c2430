"""The docxtpl way to render a Word document, one shot: a template, its context as JSON, a file.

    python benchmarks/peers/docxtpl_render.py TEMPLATE.docx CONTEXT.json OUT.docx

As docxtpl's documentation shows it (``DocxTemplate``, ``render(context, autoescape=True)``,
``save``; text of several lines as a ``Listing``), with Jinja's StrictUndefined as apforms
renders.
"""

import json
import sys

import jinja2
from docxtpl import DocxTemplate, Listing

template, context, out = sys.argv[1:4]
with open(context, encoding="utf-8") as fh:
    values = json.load(fh, object_hook=lambda d: Listing(d["listing"]) if set(d) == {"listing"} else d)
doc = DocxTemplate(template)
doc.render(values, jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined), autoescape=True)
doc.save(out)
