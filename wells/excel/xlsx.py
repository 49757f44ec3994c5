"""A minimal streaming .xlsx writer for big exports, and the fast reader of
the import.

Writing: openpyxl's write-only mode builds a cell object per value and
spends most of an export's time there (about 4,000 rows/s for the ledger's
24 columns). This writer emits the sheet XML straight into a deflated zip
entry, a few hundred rows at a time: the rows never sit in memory. Each
column gets a function that turns its value into the cell's XML, chosen once
for the column (:class:`Cells`: text, number, moment, any), so that a cell
costs one call and no type checks; a column of few distinct values (labels,
names, dates) writes each value once, keeps its text in the shared strings,
and reuses its XML. It knows what the ledger export needs and no more:
shared and inline strings, numbers, dates and date-times, a few cell
styles, column widths, a frozen header row and an autofilter. The files it
writes are read back by openpyxl in the tests.

Kept by measurement (bench/excel_bench.py): 12 times as fast as xlsxwriter
on the ledger export, in constant memory.
"""

import datetime
import operator
import re
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

# Characters XML 1.0 does not allow, even escaped.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_EXCEL_EPOCH = datetime.datetime(1899, 12, 30)

# Built-in and custom number formats; ids from 164 up are the file's own.
_NUMBER_FORMATS = {"0": 1, "0.00": 2, "0.0%": 164, "yyyy-mm-dd": 165, "yyyy-mm-dd hh:mm": 166, "0.000000": 167}


class Style:
    """A cell style: a number format and whether it is a header cell (bold
    on a light blue fill)."""

    def __init__(self, number_format=None, header=False):
        self.number_format = number_format
        self.header = header

    def key(self):
        return (self.number_format, self.header)


class StreamingWorkbook:
    """Write sheets one after another into ``fileobj``; with
    ``guard_formulas``, text that a spreadsheet would take for a formula
    (:data:`FORMULA_STARTS`) is written after an apostrophe, so that it
    shows as the text it is::

    book = StreamingWorkbook(handle)
    with book.sheet("台账", widths=[16, 24], styles=[None, Style("yyyy-mm-dd")]) as sheet:
        sheet.append(["机井编码", "限期"], header=True)
        sheet.append(["CJ-01", datetime.date(2023, 11, 30)])
    book.close()
    """

    def __init__(self, fileobj, *, guard_formulas=False):
        self.guard_formulas = guard_formulas
        self._zip = zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self._sheets = []
        # <definedName> elements: the autofilters' ranges and the rows printed
        # on every page, each local to its sheet.
        self._names = []
        self._styles = {(None, False): 0}
        # The shared strings: <t> element -> its index.
        self._shared = {}

    def share(self, text_xml):
        """The index of a string (its <t> element) in the table of shared
        strings, or None once the table is full."""
        index = self._shared.get(text_xml)
        if index is None and len(self._shared) < MAX_SHARED_STRINGS:
            index = self._shared[text_xml] = len(self._shared)
        return index

    def style_id(self, style):
        if style is None:
            return 0
        return self._styles.setdefault(style.key(), len(self._styles))

    def sheet(self, title, *, widths, styles=None, freeze_header=True, autofilter=True, printed=False):
        """A sheet, written row by row inside ``with``. ``printed``: it prints
        on landscape A4 pages, fitted to the page's width, with its first row
        repeated at the top of every page."""
        self._sheets.append(title[:31])
        return _SheetWriter(self, len(self._sheets), widths, styles, freeze_header, autofilter, printed)

    def define_name(self, name, sheet_index, ref):
        """A name of the sheet ``sheet_index`` (from 1) for ``ref``, e.g.
        _xlnm._FilterDatabase, which LibreOffice needs to show an autofilter's
        buttons, and _xlnm.Print_Titles."""
        title = self._sheets[sheet_index - 1].replace("'", "''")
        hidden = ' hidden="1"' if name == "_xlnm._FilterDatabase" else ""
        self._names.append(
            f'<definedName name="{name}" localSheetId="{sheet_index - 1}"{hidden}>'
            f"{escape(chr(39) + title + chr(39))}!{ref}</definedName>"
        )

    def close(self):
        sheets = "".join(
            f'<sheet name="{escape(title, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
            for i, title in enumerate(self._sheets, start=1)
        )
        self._write(
            "xl/workbook.xml",
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{sheets}</sheets>"
            + (f"<definedNames>{''.join(self._names)}</definedNames>" if self._names else "")
            + "</workbook>",
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            f'worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(self._sheets) + 1)
        )
        styles_rel = len(self._sheets) + 1
        shared_rel = shared_override = ""
        if self._shared:
            shared_rel = (
                f'<Relationship Id="rId{styles_rel + 1}" '
                'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" '
                'Target="sharedStrings.xml"/>'
            )
            shared_override = (
                '<Override PartName="/xl/sharedStrings.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            )
            self._write(
                "xl/sharedStrings.xml",
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'uniqueCount="{len(self._shared)}">' + "".join(f"<si>{text}</si>" for text in self._shared) + "</sst>",
            )
        self._write(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{rels}<Relationship Id="rId{styles_rel}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            f"{shared_rel}</Relationships>",
        )
        self._write("xl/styles.xml", self._styles_xml())
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(self._sheets) + 1)
        )
        self._write(
            "[Content_Types].xml",
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}{shared_override}</Types>",
        )
        self._write(
            "_rels/.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>',
        )
        self._zip.close()

    def _write(self, name, xml):
        self._zip.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml)

    def _styles_xml(self):
        formats = sorted({fmt for fmt, _header in self._styles if fmt and _NUMBER_FORMATS[fmt] >= 164})
        num_fmts = "".join(f'<numFmt numFmtId="{_NUMBER_FORMATS[fmt]}" formatCode="{escape(fmt)}"/>' for fmt in formats)
        xfs = []
        for (fmt, header), _id in sorted(self._styles.items(), key=lambda item: item[1]):
            num = _NUMBER_FORMATS[fmt] if fmt else 0
            font, fill = (1, 2) if header else (0, 0)
            applied = (' applyNumberFormat="1"' if num else "") + (' applyFont="1" applyFill="1"' if header else "")
            xfs.append(f'<xf numFmtId="{num}" fontId="{font}" fillId="{fill}" borderId="0" xfId="0"{applied}/>')
        return (
            '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + (f'<numFmts count="{len(formats)}">{num_fmts}</numFmts>' if formats else "")
            + '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
            '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="3"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill>'
            '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill>'
            "</fill></fills>"
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        )


class Cells:
    """How :meth:`_SheetWriter.extend` writes one column.

    ``convert`` turns the value read into the cell's value (a label for a
    code, local time for a moment …). ``kind`` says what the cell always
    holds, so that each cell skips the type checks: ``"text"``, ``"number"``
    (int, float or Decimal), ``"datetime"`` (written to the second, its
    time zone ignored), or ``None`` for any type (as :meth:`append`).
    ``repeats`` says that the column holds few distinct values (labels,
    names, dates): each value is converted and written once, and its XML
    reused for every cell that holds it (a bounded cache, so a column with
    more values than expected costs time, never memory)."""

    def __init__(self, convert=None, *, kind=None, repeats=False):
        if kind not in _TAILS:
            raise ValueError(f"Unknown kind of cell: {kind!r}")
        self.convert = convert
        self.kind = kind
        self.repeats = repeats


class _Memo(dict):
    """value -> cell XML, made on first use; emptied when it grows past
    :data:`MEMO_SIZE` entries."""

    __slots__ = ("make",)

    def __init__(self, make):
        super().__init__()
        self.make = make

    def __missing__(self, key):
        if len(self) >= MEMO_SIZE:
            self.clear()
        made = self[key] = self.make(key)
        return made


MEMO_SIZE = 10_000
# Strings past this many are written in their cells (the table is held in
# memory until the workbook is closed).
MAX_SHARED_STRINGS = 100_000
# Rows gathered before they are compressed and written together.
ROWS_PER_WRITE = 500

# Text that a spreadsheet would take for a formula (OWASP "CSV injection"):
# written after an apostrophe when the workbook guards against formulas.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPE = "&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff"
# What text needs beyond being written as it is: escaping, dropping
# characters, xml:space="preserve" for spaces at either end (or Excel drops
# them), an apostrophe before a formula.
_NEEDS_CARE = re.compile(f"[{_ESCAPE}]|^\\s|\\s$")
_NEEDS_CARE_GUARDED = re.compile(f"[{_ESCAPE}]|^\\s|\\s$|^[=+\\-@]")


def _text_xml(text, guard):
    """Text as an XML element <t>: characters XML 1.0 cannot carry dropped,
    & < > escaped, spaces at either end kept, and (``guard``) an apostrophe
    before text that a spreadsheet would run as a formula. Most text needs
    none of it: one regular expression search tells."""
    if (_NEEDS_CARE_GUARDED if guard else _NEEDS_CARE).search(text) is None:
        return f"<t>{text}</t>"
    if guard and text.startswith(FORMULA_STARTS):
        text = "'" + text
    text = escape(_ILLEGAL_XML.sub("", text))
    if text[:1].isspace() or text[-1:].isspace():
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


# Each cell is written by a function of its value that returns the cell's
# XML from just after the row number of its reference (<c r="B7) up to the
# reference of the next cell included ('" s="2"><v>80</v></c><c r="C'), or
# the end of the row after the last cell. A row is then its pieces joined
# with its number (see _SheetWriter._row). An empty cell is written empty:
# <c r="B7"/>.


def _text_cell(style, after, guard):
    head = f'"{style} t="inlineStr"><is>'
    end = f"</is></c>{after}"
    empty = f'"/>{after}'

    def cell(value):
        if value is None or value == "":
            return empty
        return f"{head}{_text_xml(value, guard)}{end}"

    return cell


def _shared_text_cell(book, style, after, guard):
    """As _text_cell, the text kept once in the table of shared strings: for
    the columns whose values repeat (each value is written once, see
    _Memo), a cell is then '<c r="D7" t="s"><v>3</v></c>'."""
    inline = _text_cell(style, after, guard)
    empty = f'"/>{after}'

    def cell(value):
        if value is None or value == "":
            return empty
        index = book.share(_text_xml(value, guard))
        return inline(value) if index is None else f'"{style} t="s"><v>{index}</v></c>{after}'

    return cell


def _number_cell(style, after, guard):
    head = f'"{style}><v>'
    end = f"</v></c>{after}"
    empty = f'"/>{after}'

    def cell(value):
        return empty if value is None else f"{head}{value}{end}"

    return cell


_EPOCH_ORDINAL = _EXCEL_EPOCH.toordinal()


def _datetime_cell(style, after, guard):
    number = _number_cell(style, after, guard)

    def cell(value):
        if value is None:
            return number(None)
        seconds = (value.toordinal() - _EPOCH_ORDINAL) * 86400 + value.hour * 3600 + value.minute * 60 + value.second
        return number(seconds / 86400)

    return cell


def _any_cell(style, after, guard):
    text, number = _text_cell(style, after, guard), _number_cell(style, after, guard)
    boolean = f'"{style} t="b"><v>%d</v></c>{after}'

    def cell(value):
        if value is None or value == "":
            return text(None)
        if isinstance(value, str):
            return text(value)
        if isinstance(value, bool):
            return boolean % value
        if isinstance(value, int | float | Decimal):
            return number(value)
        if isinstance(value, datetime.datetime):
            return number((value.replace(tzinfo=None) - _EXCEL_EPOCH).total_seconds() / 86400)
        if isinstance(value, datetime.date):
            return number((value - _EXCEL_EPOCH.date()).days)
        return text(str(value))

    return cell


_TAILS = {None: _any_cell, "text": _text_cell, "number": _number_cell, "datetime": _datetime_cell}


def _cell_writer(book, spec, style, after):
    """A column's value -> its piece of the row's XML (see :class:`Cells`)."""
    guard = book.guard_formulas
    if spec.kind == "text" and spec.repeats:
        cell = _shared_text_cell(book, style, after, guard)
    else:
        cell = _TAILS[spec.kind](style, after, guard)
    convert = spec.convert
    if convert is not None:
        plain = cell

        def cell(value):
            return plain(convert(value))

    return _Memo(cell).__getitem__ if spec.repeats else cell


class _SheetWriter:
    def __init__(self, book, index, widths, styles, freeze_header, autofilter, printed):
        self._book = book
        self._index = index
        self._letters = [get_column_letter(i) for i in range(1, len(widths) + 1)]
        self._widths = widths
        style_ids = [book.style_id(style) for style in (styles or [None] * len(widths))]
        self._styles = [f' s="{style}"' if style else "" for style in style_ids]
        self._header_style = f' s="{book.style_id(Style(header=True))}"'
        # What follows each cell: the start of the next one, or the row's end.
        self._afters = [f'<c r="{letter}' for letter in self._letters[1:]] + ["</row>"]
        self._first_cell = f'"><c r="{self._letters[0]}'
        self._plain = self._writers([Cells()] * len(widths), self._styles)
        self._header = self._writers([Cells()] * len(widths), [self._header_style] * len(widths))
        self._freeze = freeze_header
        self._autofilter = autofilter
        self._printed = printed
        self._rows = 0

    def _writers(self, cells, styles):
        return [
            _cell_writer(self._book, spec, style, after)
            for spec, style, after in zip(cells, styles, self._afters, strict=True)
        ]

    def __enter__(self):
        self._stream = self._book._zip.open(f"xl/worksheets/sheet{self._index}.xml", "w", force_zip64=True)
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>' for i, width in enumerate(self._widths, 1)
        )
        pane = (
            '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
            'state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
            if self._freeze
            else ""
        )
        self._stream.write(
            (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                + ('<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>' if self._printed else "")
                + f"{pane}<cols>{cols}</cols><sheetData>"
            ).encode()
        )
        return self

    def append(self, values, *, header=False):
        """Write one row: ``None`` leaves a cell empty; text, numbers, dates
        and date-times are written as such, in the column's style."""
        width = len(self._letters)
        values = list(values[:width]) + [None] * (width - len(values))
        self._rows += 1
        self._stream.write(self._row(self._rows, self._header if header else self._plain, values).encode())

    def extend(self, rows, cells):
        """Write many rows fast: ``cells`` holds a :class:`Cells` per column,
        ``rows`` are sequences of as many values. Returns how many rows."""
        writers = self._writers(cells, self._styles)
        width = len(writers)
        row_start, first_cell = '<row r="', self._first_cell
        call = operator.call
        number = self._rows
        chunk = []
        for values in rows:
            if len(values) != width:
                raise ValueError(f"A row of {len(values)} values in a sheet of {width} columns.")
            number += 1
            # '<row r="' 7 '"><c r="A' 7 '" t="inlineStr">…</c><c r="B' 7 …
            chunk.append(str(number).join([row_start, first_cell, *map(call, writers, values)]))
            if len(chunk) == ROWS_PER_WRITE:
                self._stream.write("".join(chunk).encode())
                chunk.clear()
        if chunk:
            self._stream.write("".join(chunk).encode())
        written = number - self._rows
        self._rows = number
        return written

    def _row(self, number, writers, values):
        return str(number).join(['<row r="', self._first_cell, *map(operator.call, writers, values)])

    def __exit__(self, *exc):
        ref = f"A1:{self._letters[-1]}{max(self._rows, 1)}"
        tail = "</sheetData>"
        if self._autofilter:
            tail += f'<autoFilter ref="{ref}"/>'
            self._book.define_name("_xlnm._FilterDatabase", self._index, _absolute(ref))
        if self._printed:
            # A4 (paperSize 9), landscape, one page wide and as many high as it takes.
            tail += (
                '<printOptions horizontalCentered="1"/>'
                '<pageMargins left="0.5" right="0.5" top="0.6" bottom="0.6" header="0.3" footer="0.3"/>'
                '<pageSetup paperSize="9" orientation="landscape" fitToWidth="1" fitToHeight="0"/>'
                "<headerFooter><oddFooter>&amp;C第 &amp;P 页，共 &amp;N 页</oddFooter></headerFooter>"
            )
            self._book.define_name("_xlnm.Print_Titles", self._index, "$1:$1")
        self._stream.write((tail + "</worksheet>").encode())
        self._stream.close()
        return False


def _absolute(ref):
    """A1:Y100 as $A$1:$Y$100."""
    return ":".join("$" + re.sub(r"(\d+)", r"$\1", corner) for corner in ref.split(":"))
