"""Records from a file, one at a time, in constant memory: CSV, Open311 JSON and Open311 XML.

Each reader yields `(line, values)`: where the record starts (the physical line of a CSV, the
position in an Open311 list) and the values of the asked-for columns, in order, as text.

CSV bytes are decoded line by line: UTF-8 (with or without a byte-order mark), and a line that is
not UTF-8 is read as Windows-1252, the usual culprit when a spreadsheet saved the file. Mixed files
(UTF-8 history with cp1252 lines appended) therefore come through without mojibake on either part;
`Reader.fallback_lines` counts the lines read as cp1252 so the command can say so.
"""

import codecs
import csv
import json
from operator import itemgetter
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicdesk.lib.textfiles import decoded_lines

from .mapping import MappingError

CHUNK = 1 << 16
NOT_A_LIST = gettext_lazy("an Open311 JSON file must hold a list of requests ([{...}, ...])")


class Reader:
    """Base: the file is opened in binary; `position` (bytes read) drives the progress bar."""

    def __init__(self, file, columns):
        self.file = file
        self.columns = columns
        self.fallback_lines = 0

    @property
    def position(self):
        return self.file.tell()

    def __iter__(self):
        raise NotImplementedError


class BadRecord:
    """Stands in for a record's values when the record itself is malformed (reported, not fatal)."""

    def __init__(self, reason):
        self.reason = reason


class CSVReader(Reader):
    def _lines(self):
        for text, fell_back in decoded_lines(self.file):
            self.fallback_lines += fell_back
            yield text

    def __iter__(self):
        reader = csv.reader(self._lines())
        header = next(reader, None)
        if header is None:
            return
        header = [name.strip() for name in header]
        missing = [c for c in self.columns if c not in header]
        if missing:
            raise MappingError(
                _("the file has no column %(columns)s") % {"columns": ", ".join(f"“{c}”" for c in missing)}
            )
        positions = [header.index(c) for c in self.columns]
        pick = itemgetter(*positions) if len(positions) > 1 else lambda row: (row[positions[0]],)
        width, start = len(header), reader.line_num + 1
        for row in reader:
            if len(row) == width:
                yield start, pick(row)
            elif any(row):  # blank lines are not records
                yield (
                    start,
                    BadRecord(
                        _("the row has %(count)d columns, the header %(width)d")
                        % {"count": len(row), "width": width}
                    ),
                )
            start = reader.line_num + 1


def _text(value):
    if value is None:
        return ""
    return (
        value
        if isinstance(value, str)
        else json.dumps(value)
        if isinstance(value, dict | list)
        else str(value)
    )


class JSONReader(Reader):
    """A GeoReport v2 JSON list (`[{...}, {...}]`), decoded one object at a time.

    JSON is UTF-8 by definition (RFC 8259): bytes that are not become U+FFFD rather than failing.
    """

    def _objects(self):
        decoder, chunks = json.JSONDecoder(), self._text_chunks()
        buffer, position, opened = "", 0, False
        while True:
            while True:  # skip blanks and commas, fetching text when the buffer runs dry
                while position < len(buffer) and buffer[position] in " \t\r\n,":
                    position += 1
                if position < len(buffer):
                    break
                buffer, position = next(chunks, None), 0
                if buffer is None:
                    raise MappingError(NOT_A_LIST if not opened else _("the JSON list is not closed with ]"))
            if not opened:
                if buffer[position] != "[":
                    raise MappingError(NOT_A_LIST)
                opened, position = True, position + 1
                continue
            if buffer[position] == "]":
                return
            while True:
                try:
                    value, position = decoder.raw_decode(buffer, position)
                    break
                except json.JSONDecodeError as error:
                    more = next(chunks, None)
                    if more is None:
                        raise MappingError(
                            _("the JSON file is broken: %(error)s") % {"error": error}
                        ) from None
                    buffer, position = buffer[position:] + more, 0
            yield value

    def _text_chunks(self):
        decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        while chunk := self.file.read(CHUNK):
            yield decoder.decode(chunk)
        if tail := decoder.decode(b"", final=True):
            yield tail

    def __iter__(self):
        for number, item in enumerate(self._objects(), 1):
            if isinstance(item, dict):
                yield number, tuple(_text(item.get(c)) for c in self.columns)
            else:
                yield number, BadRecord(_("the list item is not an object"))


class XMLReader(Reader):
    """A GeoReport v2 XML list (`<service_requests><request>...</request>...`), element by element."""

    def __iter__(self):
        number = 0
        try:
            for _event, element in iterparse(self.file, events=("end",), forbid_dtd=True):
                if _local(element.tag) != "request":
                    continue
                number += 1
                fields = {_local(child.tag): (child.text or "").strip() for child in element}
                yield number, tuple(fields.get(c, "") for c in self.columns)
                element.clear()
        except ParseError as error:  # its message says where: "mismatched tag: line 3, column 2"
            raise MappingError(_("the XML file is broken: %(error)s") % {"error": error}) from None
        except DefusedXmlException as error:
            raise MappingError(
                _("the XML file declares a DTD or entities, which are refused for safety: %(error)s")
                % {"error": error}
            ) from None


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def reader_for(path, kind, file, columns):
    """The reader for `kind` (csv, json, xml); Open311 files are told apart by their suffix."""
    if kind == "open311":
        kind = "xml" if str(path).lower().endswith(".xml") else "json"
    return {"csv": CSVReader, "json": JSONReader, "xml": XMLReader}[kind](file, columns)
