"""Reading an uploaded inventory file, whatever office program wrote it:
.xlsx and .xlsm (Excel, WPS, LibreOffice), .xls (Excel 97–2003), .ods
(LibreOffice, WPS) and .csv (UTF-8 with or without a BOM, GB18030/GBK) —
into plain sheets of cell values with what the values alone do not say:
merged ranges, hidden rows, hidden columns, hidden sheets and formulas whose
result was never saved.

Nothing here imports Django: the workbooks are read in a child process
(:func:`read_workbook`, this file run as a script), with a memory limit, a
CPU-time limit, a lower priority and a wall-clock timeout, so that no file
— a zip bomb, a used range to row 1,048,576, ten thousand sheets, a merged
range blown up — holds a web worker for longer than
``settings.IMPORT_READ_SECONDS`` or takes its memory; the parent gets the
sheets back, or the reason they were refused. Each limit is checked from the
file's own structure (the zip's directory, the list of sheets, the merged
ranges, the sheet's extent) before the work it would make heavy.

Measured (bench/excel_bench.py, 10,000 rows × 17 columns, the benchmark's
workbook): python-calamine (Rust) reads the sheet in 0.17 s, the hand-written
expat reader it replaces (openpyxl's parts plus one Python callback per XML
element) in 0.45 s plus a second pass for the header; calamine also reads
.xls and .ods, which the hand-written one did not. The hand-written reader is
kept in bench/handwritten_reader.py for the comparison only.
"""

import csv
import io
import pickle
import re
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

# The kinds of file, told by their content (and, for a CSV, by its name).
XLSX, XLS, ODS, CSV = "xlsx", "xls", "ods", "csv"

# Limits, for an inventory of up to 50,000 wells in a few dozen sheets.
MAX_SHEETS = 100
MAX_SHEET_ROWS = 60_000
MAX_CELLS = 3_000_000
MAX_MERGES = 5_000
MAX_MERGED_CELLS = 1_000_000
# A workbook of 50,000 rows unpacks to some 20 MB; far more is a zip bomb.
# zipfile stops at each part's declared size (a part that unpacks to more
# fails its checksum), so checking the declared sizes bounds the real ones.
MAX_UNPACKED_BYTES = 64 * 1024 * 1024
MAX_PARTS = 500
# Sheet XML compresses 5–30 times (measured on files of Excel, WPS and
# LibreOffice); a part past 1 MB that unpacks 200 times its size is a bomb.
MAX_RATIO = 200
RATIO_FROM_BYTES = 1024 * 1024
# What the child may take. At the web worker's own priority: a niced child
# read a legitimate 10,000-row file 2–3 times slower on a busy machine
# (bench/excel_bench.py), and the structure checks already refuse the
# hostile files in well under a second of CPU.
CHILD_MEMORY_BYTES = 1024 * 1024 * 1024
CHILD_NICE = 0

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


class Refused(Exception):
    """The file cannot be read: ``reason`` is one of the keys of
    :data:`REASONS` (the messages are the importer's, in gettext), with
    ``params`` for its message."""

    def __init__(self, reason, **params):
        super().__init__(reason, params)
        self.reason = reason
        self.params = params


REASONS = (
    "damaged",
    "password",
    "not_a_workbook",
    "encoding",
    "parts",
    "unpacked",
    "ratio",
    "sheets",
    "rows",
    "cells",
    "merges",
    "merged_cells",
    "too_slow",
    "too_big",
)


@dataclass
class RawSheet:
    """One sheet as read: ``rows`` from row 1 (``rows[0]``), each a tuple of
    the cells' values from column A (None or "" where empty), as long as the
    sheet's widest row or shorter; ``merges`` as (first row, first column,
    last row, last column), rows from 1 and columns from 0, like
    ``hidden_rows`` and ``hidden_columns``; ``unsaved_formulas`` the (row,
    column) of formulas without a saved result."""

    title: str
    rows: list
    merges: list = field(default_factory=list)
    hidden_rows: set = field(default_factory=set)
    hidden_columns: set = field(default_factory=set)
    unsaved_formulas: set = field(default_factory=set)
    hidden: bool = False


# Telling the kind ------------------------------------------------------------------


def kind_of(head, name):
    """The kind of an upload from its first bytes (and its name, for text)."""
    if head.startswith(OLE_MAGIC):
        return XLS
    if head.startswith(ZIP_MAGIC):
        return XLSX  # or ODS: told apart by the parts (check_zip)
    if Path(name or "").suffix.lower() in (".csv", ".txt"):
        return CSV
    raise Refused("not_a_workbook")


def check_zip(data):
    """Refuse a zip that is no workbook or is a bomb, from its directory
    (and the first bytes of its XML parts) alone; returns XLSX or ODS."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_PARTS:
                raise Refused("parts", count=len(parts), limit=MAX_PARTS)
            unpacked = sum(part.file_size for part in parts)
            if unpacked > MAX_UNPACKED_BYTES:
                raise Refused("unpacked", size=unpacked, limit=MAX_UNPACKED_BYTES)
            for part in parts:
                if part.file_size > RATIO_FROM_BYTES and part.file_size > MAX_RATIO * max(part.compress_size, 1):
                    raise Refused("ratio", part=part.filename, ratio=part.file_size // max(part.compress_size, 1))
            names = {part.filename for part in parts}
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
            # No office program declares a document type in its parts; one
            # that does may declare entities (the "billion laughs").
            for part in parts:
                if part.filename.endswith((".xml", ".rels")) and part.file_size:
                    with archive.open(part) as stream:
                        if b"<!DOCTYPE" in stream.read(4096).upper():
                            raise Refused("damaged")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError, RuntimeError):
        raise Refused("damaged") from None
    if mimetype.strip() == ODS_MIMETYPE and "content.xml" in names:
        return ODS
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return XLSX
    raise Refused("not_a_workbook")


# CSV ------------------------------------------------------------------------------------


def decode_text(data):
    """The text of a CSV: UTF-8 (a BOM or none), else GB18030, the superset
    of GBK and GB2312 that Excel and WPS write on Chinese Windows."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Refused("encoding")


def read_csv(data, title):
    """A CSV file as one sheet named ``title`` (as LibreOffice names it: the
    file's name). The delimiter is the comma, or the tab or semicolon when
    the first line holds more of those."""
    text = decode_text(data)
    first = text[: text.find("\n")] if "\n" in text else text
    delimiter = max((",", "\t", ";"), key=first.count)
    rows = []
    cells = 0
    try:
        for values in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append(tuple(values))
            cells += len(values)
            if len(rows) > MAX_SHEET_ROWS:
                raise Refused("rows", sheet=title, limit=MAX_SHEET_ROWS)
            if cells > MAX_CELLS:
                raise Refused("cells", limit=MAX_CELLS)
    except csv.Error:
        raise Refused("damaged") from None
    return [RawSheet(title, rows)]


# Workbooks, in the child --------------------------------------------------------------

_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b[^>]*>")
_COL_TAG = re.compile(rb"<(?:\w+:)?col\b[^>]*>")
_HIDDEN = re.compile(rb'\shidden="(?:1|true)"')
_ROW_NUMBER = re.compile(rb'\sr="(\d+)"')
_MIN_MAX = re.compile(rb'\smin="(\d+)"[^>]*?\smax="(\d+)"|\smax="(\d+)"[^>]*?\smin="(\d+)"')
_FORMULA_CELL = re.compile(
    rb'<(?:\w+:)?c\s[^>]*?r="([A-Z]{1,3})(\d+)"[^>]*>\s*<(?:\w+:)?f\b(?:[^>]*/>|[^>]*>.*?</(?:\w+:)?f>)'
    rb"\s*(?:<(?:\w+:)?v\s*/>|<(?:\w+:)?v>\s*</(?:\w+:)?v>)?\s*</(?:\w+:)?c>",
    re.DOTALL,
)


def _column_index(letters):
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1


def _xlsx_sheet_parts(archive):
    """Sheet name -> the path of its part, from the workbook and its
    relationships (both small; parsed with defusedxml's expat)."""
    from defusedxml import ElementTree

    main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {item.get("Id"): item.get("Target", "") for item in rels}
    parts = {}
    for sheet in workbook.iter(f"{main}sheet"):
        target = targets.get(sheet.get(f"{rel}id"), "")
        path = target.lstrip("/") if target.startswith("/") else "xl/" + target
        parts[sheet.get("name")] = path
    return parts


def _xlsx_structure(data, names):
    """Hidden rows and columns and unsaved formulas of each sheet of an
    .xlsx, read from the sheet XML with regular expressions (what calamine
    does not tell)."""
    found = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = _xlsx_sheet_parts(archive)
        for name in names:
            path = parts.get(name)
            if path is None or path not in archive.namelist():
                continue
            xml = archive.read(path)
            rows, columns, formulas = set(), set(), set()
            if b"hidden=" in xml:
                for tag in _ROW_TAG.finditer(xml):
                    if _HIDDEN.search(tag.group()):
                        number = _ROW_NUMBER.search(tag.group())
                        if number:
                            rows.add(int(number.group(1)))
                for tag in _COL_TAG.finditer(xml):
                    if _HIDDEN.search(tag.group()):
                        span = _MIN_MAX.search(tag.group())
                        if span:
                            low, high = (span.group(1), span.group(2)) if span.group(1) else span.group(4, 3)
                            # A hidden range to column XFD hides the empty rest.
                            columns.update(range(int(low) - 1, min(int(high), int(low) + 200)))
            if b"<f" in xml or b":f" in xml:
                for cell in _FORMULA_CELL.finditer(xml):
                    formulas.add((int(cell.group(2)), _column_index(cell.group(1))))
            found[name] = (rows, columns, formulas)
    return found


# BIFF records (Microsoft's [MS-XLS]): each a 2-byte type, a 2-byte length
# and its data. A sheet's stream begins with BOF; the globals' BOUNDSHEET
# records name each sheet and where its BOF lies in the stream.
_BIFF_BOF, _BIFF_EOF, _BIFF_BOUNDSHEET = 0x0809, 0x000A, 0x0085
_BIFF_ROW, _BIFF_COLINFO = 0x0208, 0x007D
_BIFF_ROW_HIDDEN = 0x0020  # ROW.fDyZero: the row's height is zero
_BIFF_COLUMN_HIDDEN = 0x0001  # COLINFO.fHidden
_BIFF_COLUMNS = 256  # an .xls sheet has columns A to IV


def _biff_records(stream, start):
    """(type, data) of the records of one substream, from its BOF at
    ``start`` to its EOF."""
    position, end = start, len(stream)
    while position + 4 <= end:
        kind, length = _u16(stream, position), _u16(stream, position + 2)
        data = stream[position + 4 : position + 4 + length]
        position += 4 + length
        yield kind, data
        if kind == _BIFF_EOF:
            return


def _u16(data, offset):
    return int.from_bytes(data[offset : offset + 2], "little")


def _biff_sheet_name(data, biff8):
    """The name in a BOUNDSHEET record: a short string after the sheet's
    position (4 bytes), state and type (1 byte each)."""
    count = data[6]
    if not biff8:  # Excel 5/95: bytes in the workbook's code page
        return data[7 : 7 + count].decode("gbk", "replace")
    if data[7] & 0x01:  # UTF-16
        return data[8 : 8 + 2 * count].decode("utf-16-le", "replace")
    return data[8 : 8 + count].decode("latin-1")


def _xls_structure(data, names):
    """Hidden rows and columns of each sheet of an .xls (calamine does not
    tell them), from the ROW and COLINFO records of the sheet's BIFF stream
    in the compound file (olefile, pure Python)."""
    import olefile

    with olefile.OleFileIO(io.BytesIO(data)) as ole:
        stream_name = "Workbook" if ole.exists("Workbook") else "Book"
        stream = ole.openstream(stream_name).read()
    records = _biff_records(stream, 0)
    kind, bof = next(records, (None, b""))
    if kind != _BIFF_BOF:
        raise Refused("damaged")
    biff8 = bof[:2] == b"\x00\x06"
    starts = {}
    for kind, record in records:
        if kind == _BIFF_BOUNDSHEET and len(record) >= 8:
            starts[_biff_sheet_name(record, biff8)] = int.from_bytes(record[:4], "little")
    found = {}
    for name in names:
        if name not in starts:
            continue
        rows, columns = set(), set()
        for kind, record in _biff_records(stream, starts[name]):
            if kind == _BIFF_ROW and len(record) >= 16 and _u16(record, 12) & _BIFF_ROW_HIDDEN:
                rows.add(_u16(record, 0) + 1)
            elif kind == _BIFF_COLINFO and len(record) >= 10 and _u16(record, 8) & _BIFF_COLUMN_HIDDEN:
                columns.update(range(_u16(record, 0), min(_u16(record, 2), _BIFF_COLUMNS - 1) + 1))
        found[name] = (rows, columns, set())
    return found


_ODS_TAG = re.compile(
    rb"<table:table-row\b([^>]*)>|<table:table-column\b([^>]*)>|<table:table[\s>]([^>]*)>"
    rb"|<table:(?:covered-)?table-cell\b([^>]*)>|</table:table-row>"
)
_ODS_NAME = re.compile(rb'table:name="([^"]*)"')
_ODS_ROWS_REPEATED = re.compile(rb'number-rows-repeated="(\d+)"')
_ODS_COLUMNS_REPEATED = re.compile(rb'number-columns-repeated="(\d+)"')
_ODS_COLLAPSED = re.compile(rb'table:visibility="(?:collapse|filter)"')
_ODS_ROWS_SPANNED = re.compile(rb'number-rows-spanned="(\d+)"')
_ODS_COLUMNS_SPANNED = re.compile(rb'number-columns-spanned="(\d+)"')


def _ods_structure(data):
    """Hidden rows and columns and the merged ranges of each table of an
    .ods (calamine tells none of them), from content.xml's tags."""
    from xml.sax.saxutils import unescape

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("content.xml")
    spans = b"spanned=" in xml
    found = {}
    current = None
    row = column = 0
    for match in _ODS_TAG.finditer(xml):
        row_attrs, column_attrs, table_attrs, cell_attrs = match.groups()
        if table_attrs is not None:
            name = _ODS_NAME.search(table_attrs)
            current = found.setdefault(unescape((name.group(1) if name else b"").decode()), (set(), set(), []))
            row = column = 0
            columns_seen = 0
        elif current is None:
            continue
        elif row_attrs is not None:
            repeated = _ODS_ROWS_REPEATED.search(row_attrs)
            count = int(repeated.group(1)) if repeated else 1
            if _ODS_COLLAPSED.search(row_attrs) and row < MAX_SHEET_ROWS:
                current[0].update(range(row + 1, min(row + count, MAX_SHEET_ROWS) + 1))
            row_start, row = row + 1, row + count
            column = 0
        elif column_attrs is not None:
            repeated = _ODS_COLUMNS_REPEATED.search(column_attrs)
            count = int(repeated.group(1)) if repeated else 1
            if _ODS_COLLAPSED.search(column_attrs) and columns_seen < 1024:
                current[1].update(range(columns_seen, min(columns_seen + count, 1024)))
            columns_seen += count
        elif cell_attrs is not None:
            repeated = _ODS_COLUMNS_REPEATED.search(cell_attrs)
            count = int(repeated.group(1)) if repeated else 1
            if spans:
                down = _ODS_ROWS_SPANNED.search(cell_attrs)
                across = _ODS_COLUMNS_SPANNED.search(cell_attrs)
                if down or across:
                    height = int(down.group(1)) if down else 1
                    width = int(across.group(1)) if across else 1
                    if height > 1 or width > 1:
                        current[2].append((row_start, column, row_start + height - 1, column + width - 1))
                        if len(current[2]) > MAX_MERGES:
                            raise Refused("merges", count=len(current[2]), limit=MAX_MERGES)
            column += count
    return found


def _read_in_child(data, kind):
    """Read a workbook (``kind`` XLSX, XLS or ODS) with calamine; the
    sheets, or :class:`Refused`. Runs in the child process."""
    import python_calamine

    try:
        book = python_calamine.CalamineWorkbook.from_object(io.BytesIO(data))
    except python_calamine.PasswordError:
        raise Refused("password") from None
    except Exception:
        raise Refused("damaged") from None
    metadata = [sheet for sheet in book.sheets_metadata if sheet.typ == python_calamine.SheetTypeEnum.WorkSheet]
    if len(metadata) > MAX_SHEETS:
        raise Refused("sheets", count=len(metadata), limit=MAX_SHEETS)
    names = [sheet.name for sheet in metadata]
    try:
        structure = _xlsx_structure(data, names) if kind == XLSX else _xls_structure(data, names) if kind == XLS else {}
        ods = _ods_structure(data) if kind == ODS else {}
    except Refused:
        raise
    except Exception:
        raise Refused("damaged") from None
    sheets, cells, merged = [], 0, 0
    for meta in metadata:
        try:
            sheet = book.get_sheet_by_name(meta.name)
        except Exception:
            raise Refused("damaged") from None
        end = sheet.end
        height, width = (end[0] + 1, end[1] + 1) if end else (0, 0)
        if height > MAX_SHEET_ROWS:
            raise Refused("rows", sheet=meta.name, limit=MAX_SHEET_ROWS)
        cells += height * width
        if cells > MAX_CELLS:
            raise Refused("cells", limit=MAX_CELLS)
        merges = [(top + 1, left, bottom + 1, right) for (top, left), (bottom, right) in sheet.merged_cell_ranges or ()]
        hidden_rows, hidden_columns, formulas = structure.get(meta.name, (set(), set(), set()))
        if kind == ODS:
            hidden_rows, hidden_columns, merges = ods.get(meta.name, (set(), set(), []))
        if len(merges) > MAX_MERGES:
            raise Refused("merges", count=len(merges), limit=MAX_MERGES)
        for top, left, bottom, right in merges:
            merged += (min(bottom, height) - top + 1) * (min(right, width - 1) - left + 1) if top <= height else 0
        if merged > MAX_MERGED_CELLS:
            raise Refused("merged_cells", limit=MAX_MERGED_CELLS)
        rows = [tuple(values) for values in sheet.to_python(skip_empty_area=False)] if end else []
        hidden = meta.visible != python_calamine.SheetVisibleEnum.Visible
        sheets.append(RawSheet(meta.name, rows, merges, hidden_rows, hidden_columns, formulas, hidden))
    return sheets


def _child_main():
    """The child: limits first, then the file from standard input, then
    the answer on standard output: ("ok", sheets) or ("refused", reason,
    params)."""
    import os
    import resource

    seconds = int(sys.argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))
    if CHILD_NICE:
        os.nice(CHILD_NICE)
    data = sys.stdin.buffer.read()
    try:
        # Plain values: the parent does not know this script's __main__.
        answer = ("ok", [vars(sheet) for sheet in _read_in_child(data, sys.argv[1])])
    except Refused as refused:
        answer = ("refused", refused.reason, refused.params)
    except MemoryError:
        answer = ("refused", "too_big", {})
    sys.stdout.buffer.write(pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL))


def child_command(kind, seconds):
    # -I: the child sees neither the environment's PYTHON* variables nor
    # this directory on its path; it imports the standard library,
    # defusedxml, olefile and python_calamine only.
    return [sys.executable, "-I", __file__, kind, str(seconds)]


def read_workbook(data, kind, *, seconds):
    """The sheets of a workbook (XLSX, XLS or ODS), read in a child process
    that may take ``seconds`` of wall-clock and CPU time and
    :data:`CHILD_MEMORY_BYTES` of memory; raises :class:`Refused`."""
    try:
        done = subprocess.run(
            child_command(kind, seconds),
            input=data,
            capture_output=True,
            timeout=seconds,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise Refused("too_slow", seconds=seconds) from None
    if done.returncode != 0 or not done.stdout:
        # Killed for its memory or CPU time (a Rust allocation that fails
        # aborts the process), or a crash: the file asked for too much.
        raise Refused("too_big")
    answer = pickle.loads(done.stdout)  # our own child's answer
    if answer[0] == "refused":
        raise Refused(answer[1], **answer[2])
    return [RawSheet(**sheet) for sheet in answer[1]]


if __name__ == "__main__":
    _child_main()
