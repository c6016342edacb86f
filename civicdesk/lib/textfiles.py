"""Text out of files people export from spreadsheets and GIS tools."""

BOM = b"\xef\xbb\xbf"


def decoded_lines(file):
    """(text, fell_back) for each line of a binary file: UTF-8 (its byte-order mark dropped), and a
    line that is not UTF-8 read as Windows-1252, the usual culprit when a spreadsheet saved it; a
    file of mixed lines (UTF-8 history, cp1252 lines appended) comes through without mojibake."""
    first = True
    for raw in file:
        if first:
            raw, first = raw.removeprefix(BOM), False
        try:
            yield raw.decode("utf-8"), False
        except UnicodeDecodeError:
            yield raw.decode("cp1252", errors="replace"), True
