"""Rows pre-formatted as PostgreSQL COPY text: one `str.format` per row instead of adapting each value.

psycopg's `write_row` adapts every value of every row (35 for a case); most of a case's columns are
the same for a whole import (empty contact fields, `{}` JSON, no assignee), so they are written
into the row template once, and only the changing ones are formatted per row.
"""

import json

NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def text(value):
    """A string as COPY text: backslash, tab, newline and carriage return escaped."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_ESCAPES)
    return value


def constant(value):
    """A Python value (a model field's default) as COPY text."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, dict | list):
        return text(json.dumps(value, ensure_ascii=False, separators=(",", ":")))
    return text(str(value))


def template(table, variable, constants=None):
    """A `str.format` template of one row of `table` (a lib.bulk.Table): the fields named in
    `variable` are its positional arguments in that order (already COPY text, or numbers and
    datetimes, which format as PostgreSQL reads them); `constants` override the fields' defaults."""
    constants = constants or {}
    position = {name: i for i, name in enumerate(variable)}
    parts = []
    for field, default in zip(table.fields, table.template, strict=True):
        if field.attname in position:
            parts.append(f"{{{position[field.attname]}}}")
        else:
            value = constants.get(field.attname, default)
            parts.append(constant(value).replace("{", "{{").replace("}", "}}"))
    unknown = set(variable) - {f.attname for f in table.fields}
    if unknown:
        raise ValueError(f"not fields of {table.model.__name__}: {', '.join(sorted(unknown))}")
    return "\t".join(parts) + "\n"
