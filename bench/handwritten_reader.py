"""The hand-written .xlsx reader the import used until python-calamine
replaced it (issue 13), kept here only so that bench/excel_bench.py can
measure the two side by side on the same files. Not used by the site.

openpyxl reads the workbook's small parts (through its private functions)
and the sheet is read by expat with one Python callback per element.
"""

import zipfile  # noqa: F401 - errors of zipfile are part of its contract
from xml.parsers import expat

# Reading ---------------------------------------------------------------------
#
# openpyxl's read-only mode reads a sheet's XML through defusedxml, whose
# parser is ElementTree's pure-Python one, and, when the sheet does not say
# its dimensions (as files written by openpyxl or other programs do not),
# reads the whole sheet once more only to learn them: some 4 s for a sheet
# of 10,000 rows × 17 columns. Here openpyxl reads the workbook's small
# parts (the list of sheets, the shared strings, the styles that make a
# number a date) and the sheet itself is read by expat with one callback per
# element, turning each cell into the value openpyxl would give
# (``values_only`` with ``data_only``). A document type declaration is
# refused, as defusedxml refuses it: no entity can be declared, so none can
# be expanded.

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ROW, _CELL, _VALUE, _FORMULA = f"{_MAIN} row", f"{_MAIN} c", f"{_MAIN} v", f"{_MAIN} f"
_INLINE, _TEXT, _PHONETIC = f"{_MAIN} is", f"{_MAIN} t", f"{_MAIN} rPh"
_SHEET_DATA, _MERGE = f"{_MAIN} sheetData", f"{_MAIN} mergeCell"
_READ_CHUNK = 1 << 16


class ForbiddenXML(ValueError):
    """A part of the workbook declares a document type (entities)."""


def _row_number(text):
    # As openpyxl reads it: "7", or written as a float, "7.0".
    try:
        return int(text)
    except ValueError:
        return int(float(text))


def _refuse(*args):
    raise ForbiddenXML("A document type declaration in a workbook part.")


class WorkbookReader:
    """The worksheets of an .xlsx file (a path or a binary file object)::

    book = WorkbookReader(upload)
    for title, path in book.sheets:
        sheet = book.sheet(path, max_col=20)
        for number, values in sheet.rows():
            ...
        sheet.merges, sheet.unsaved_formulas
    book.close()

    Any error (ValueError, KeyError, zipfile's, expat's) means a damaged or
    hostile file."""

    def __init__(self, fileobj):
        from openpyxl.reader.excel import ExcelReader
        from openpyxl.styles.stylesheet import apply_stylesheet

        reader = ExcelReader(fileobj, read_only=True, data_only=True, keep_links=False)
        self._archive = reader.archive
        try:
            reader.read_manifest()
            reader.read_strings()
            reader.read_workbook()
            apply_stylesheet(reader.archive, reader.wb)
            self.sheets = [
                (sheet.name, rel.target)
                for sheet, rel in reader.parser.find_sheets()
                if rel.target in reader.valid_files and "chartsheet" not in rel.Type
            ]
        except BaseException:
            self.close()
            raise
        self._strings = reader.shared_strings
        self._dates = frozenset(reader.wb._date_formats)
        self._durations = frozenset(reader.wb._timedelta_formats)
        self._epoch = reader.wb.epoch

    def sheet(self, path, *, max_col):
        return SheetReader(self, path, max_col)

    def close(self):
        self._archive.close()


class SheetReader:
    """The rows of one sheet, the first ``max_col`` columns of each."""

    def __init__(self, book, path, max_col):
        self._book = book
        self._path = path
        self._max_col = max_col
        # (first column 0-based, first row, last row) of each merged range.
        self.merges = set()
        # (row, column 0-based) of formula cells without a saved result.
        self.unsaved_formulas = set()

    def rows(self):
        """(row number, values) of each row the sheet writes, in order;
        ``values`` has ``max_col`` values, None where there is no cell."""
        from openpyxl.utils.cell import column_index_from_string
        from openpyxl.utils.datetime import from_excel, from_ISO8601
        from openpyxl.worksheet._reader import _cast_number

        book, width = self._book, self._max_col
        strings, dates, durations, epoch = book._strings, book._dates, book._durations, book._epoch
        merges, unsaved = self.merges, self.unsaved_formulas
        done = []  # rows finished by the parser, handed out after each chunk
        state = {"row": 0, "in_data": False}
        row_values = [None] * width
        cell = {}  # the cell being read: column, type, style, formula, text
        text = []  # character data of a <v> or an inline string's <t>
        capture = [False]
        phonetic = [0]

        def start(name, attrs):
            if name == _CELL:
                ref = attrs.get("r")
                column = column_index_from_string(ref.rstrip("0123456789")) if ref else cell.get("last", 0) + 1
                cell.clear()
                cell["last"] = column
                cell["column"] = column
                cell["type"] = attrs.get("t", "n")
                style = attrs.get("s")
                cell["style"] = int(style) if style else 0
                cell["formula"] = False
                cell["value"] = None
                cell["inline"] = None
            elif name == _VALUE:
                text.clear()
                capture[0] = True
            elif name == _TEXT:
                if cell.get("inline") is not None and not phonetic[0]:
                    text.clear()
                    capture[0] = True
            elif name == _INLINE:
                cell["inline"] = []
            elif name == _PHONETIC:
                phonetic[0] += 1
            elif name == _FORMULA:
                cell["formula"] = True
            elif name == _ROW:
                if not state["in_data"]:
                    return
                number = attrs.get("r")
                state["row"] = _row_number(number) if number else state["row"] + 1
                row_values[:] = [None] * width
                cell.clear()
            elif name == _SHEET_DATA:
                state["in_data"] = True
            elif name == _MERGE:
                first, _colon, last = attrs.get("ref", "").partition(":")
                if last:
                    first_col = first.rstrip("0123456789")
                    merges.add(
                        (
                            column_index_from_string(first_col) - 1,
                            int(first[len(first_col) :]),
                            int(last[len(last.rstrip("0123456789")) :]),
                        )
                    )

        def data(chunk):
            if capture[0]:
                text.append(chunk)

        def end(name):
            if name == _CELL:
                value = _cell_value(cell)
                column = cell["column"]
                if cell["formula"] and value is None:
                    unsaved.add((state["row"], column - 1))
                if column <= width:
                    row_values[column - 1] = value
            elif name == _VALUE:
                capture[0] = False
                cell["value"] = "".join(text)
            elif name == _TEXT:
                if capture[0]:
                    capture[0] = False
                    cell["inline"].append("".join(text))
            elif name == _PHONETIC:
                phonetic[0] -= 1
            elif name == _ROW:
                if state["in_data"]:
                    done.append((state["row"], tuple(row_values)))
            elif name == _SHEET_DATA:
                state["in_data"] = False

        def _cell_value(cell):
            kind, raw = cell["type"], cell["value"] or None
            if kind == "inlineStr":
                return None if cell["inline"] is None else "".join(cell["inline"])
            if raw is not None:
                if kind == "n":
                    value = _cast_number(raw)
                    style = cell["style"]
                    if style in dates:
                        try:
                            return from_excel(value, epoch, timedelta=style in durations)
                        except (OverflowError, ValueError):
                            return "#VALUE!"
                    return value
                if kind == "s":
                    return strings[int(raw)]
                if kind == "b":
                    return bool(int(raw))
                if kind == "d":
                    return from_ISO8601(raw)
                return raw  # str (a formula's text), e (an error such as #N/A)
            return None

        parser = expat.ParserCreate(namespace_separator=" ")
        parser.buffer_text = True
        parser.StartDoctypeDeclHandler = _refuse
        parser.EntityDeclHandler = _refuse
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = data
        with self._book._archive.open(self._path) as source:
            while chunk := source.read(_READ_CHUNK):
                parser.Parse(chunk, False)
                yield from done
                done.clear()
            parser.Parse(b"", True)
            yield from done


def read_all(fileobj, width=60):
    """Every sheet of an .xlsx as the old import read it: the rows (to the
    last filled one) and their merged cells filled down, for the benchmark's
    comparison with python-calamine (wells.excel.workbook)."""
    book = WorkbookReader(fileobj)
    sheets = []
    try:
        for title, path in book.sheets:
            reader = book.sheet(path, max_col=width)
            rows = []
            for number, values in reader.rows():
                rows.extend([(None,) * width] * (number - 1 - len(rows)))
                rows.append(values)
            for column, top, last_row in reader.merges:
                bottom = min(last_row, len(rows))
                value = rows[top - 1][column] if top <= len(rows) else None
                for row_number in range(top + 1, bottom + 1):
                    row = rows[row_number - 1]
                    if row[column] is None:
                        rows[row_number - 1] = row[:column] + (value,) + row[column + 1 :]
            sheets.append((title, rows))
    finally:
        book.close()
    return sheets
