"""The model: definitions, field types, code lists, identifiers, records and their JSON Schema.

The bottom layer: it imports nothing else of apforms but ``errors`` and ``resources``.

Internal (not public API): callers use :mod:`apforms.api` or the :mod:`apforms` facade.
"""
