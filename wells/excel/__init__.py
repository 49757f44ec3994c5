"""The inventory in Excel (DESIGN §5, §6), one module per job:

- :mod:`~wells.excel.workbook` reads a file of any format (.xlsx .xlsm .xls
  .ods .csv) into plain sheets, in a bounded child process;
- :mod:`~wells.excel.headers` the contract's columns and finding them in a
  sheet (synonyms, headers of two rows, columns twice or unknown);
- :mod:`~wells.excel.cells` reads each cell as a person reads it;
- :mod:`~wells.excel.inventory` the import: rows to wells through the
  import's door, the preview and its confirmation;
- :mod:`~wells.excel.template` the import template and the error report;
- :mod:`~wells.excel.ledger` the ledger export;
- :mod:`~wells.excel.xlsx` the streaming xlsx writer the export uses.

The workbook is a contract in Chinese whatever language the site speaks:
its header row (:data:`HEADERS`) and the words in its cells (类别 未经审批,
用途 生活、农灌 …) are those of the plan's 附件2 关停信息统计明细表
(:data:`wells.choices.WORKBOOK_LABELS`). Messages about a file go through
gettext like every other message.
"""

from wells.choices import WORKBOOK_LABELS as LABELS
from wells.excel.headers import COLUMN_BY_FIELD, COLUMNS, HEADERS, IMPORT_COLUMNS, VERSION_COLUMN
from wells.excel.inventory import (
    Book,
    ImportFileError,
    ImportResult,
    Sheet,
    import_book,
    import_staged,
    import_wells,
    read_upload,
    staged_plan,
)
from wells.excel.ledger import EXPORT_COLUMNS, export_wells
from wells.excel.template import ERROR_HEADER, EXAMPLE_MARK, error_workbook, preview_workbook, template_workbook

__all__ = [
    "COLUMNS",
    "COLUMN_BY_FIELD",
    "ERROR_HEADER",
    "EXAMPLE_MARK",
    "EXPORT_COLUMNS",
    "HEADERS",
    "IMPORT_COLUMNS",
    "LABELS",
    "VERSION_COLUMN",
    "Book",
    "ImportFileError",
    "ImportResult",
    "Sheet",
    "error_workbook",
    "preview_workbook",
    "export_wells",
    "import_book",
    "import_staged",
    "import_wells",
    "read_upload",
    "staged_plan",
    "template_workbook",
]
