"""Rendering records as documents: Word (docx.py) and fillable PDF (pdf.py)."""
