"""Opening an import file as a stream of rows: .xlsx through openpyxl's read-only mode, .csv in the encodings
Chinese offices produce. Nothing here holds more than a block of the file in memory.
"""

import codecs
import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from django.utils.translation import gettext_lazy as _

from liuguan.core.errors import FieldProblem, InvalidInput

from .headers import HeaderMap, header_map

BLOCK = 1 << 20
# Excel's "CSV UTF-8" writes a BOM, plain "CSV" writes the system code page (GBK on Chinese Windows).
ENCODINGS = ("utf-8-sig", "gb18030")
HEADER_SCAN_ROWS = 10
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def file_problem(rule: str, message) -> InvalidInput:
    return InvalidInput([FieldProblem("file", rule, message)])


@dataclass
class Opened:
    """A readable import file: its format, encoding (CSV), sheet (xlsx), header and an estimate of its rows."""

    path: Path
    format: str
    encoding: str = ""
    delimiter: str = ","
    sheet: str = ""
    header: HeaderMap | None = None
    estimated_rows: int | None = None


def sniff_format(path: Path, file_name: str) -> str:
    """The format the bytes say, which must agree with the name; old .xls files are refused with a way out."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    suffix = Path(file_name).suffix.lower()
    if head.startswith(_OLE_MAGIC):
        raise file_problem(
            "import.xls_unsupported", _("This is an old Excel 97-2003 .xls file; save it as .xlsx or as CSV UTF-8")
        )
    if head.startswith(_ZIP_MAGIC):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except Exception:  # BadZipFile, NotImplementedError (an unknown version or method), OSError, ...
            names = set()
        if "xl/workbook.xml" not in names:
            raise file_problem("import.not_xlsx", _("The file is a ZIP archive but not an Excel .xlsx workbook"))
        return "xlsx"
    if suffix == ".xlsx":
        raise file_problem("import.not_xlsx", _("The file is named .xlsx but its content is not an Excel workbook"))
    if suffix not in (".csv", ".txt"):
        raise file_problem("import.extension", _("Upload an .xlsx workbook or a .csv file"))
    return "csv"


def _decodes(path: Path, encoding: str) -> tuple[bool, int, int]:
    """Whether the whole file decodes strictly, where it first fails, and how many line ends it has."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    offset = 0
    lines = 0
    with open(path, "rb") as handle:
        while True:
            block = handle.read(BLOCK)
            if b"\0" in block and not encoding.startswith("utf-16"):
                raise file_problem(
                    "import.not_text", _("This file is not text (it holds zero bytes); upload an .xlsx or .csv file")
                )
            try:
                decoder.decode(block, final=not block)
            except UnicodeDecodeError as exc:
                return False, offset + exc.start, lines
            if not block:
                return True, offset, lines
            lines += block.count(b"\n")
            offset += len(block)


def detect_encoding(path: Path) -> tuple[str, int]:
    """UTF-16 by its BOM, else the first of UTF-8 (with or without BOM) and GB18030 that reads every byte."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        ok, _at, _lines = _decodes(path, "utf-16")
        if ok:
            with open(path, encoding="utf-16", newline="") as handle:
                return "utf-16", sum(chunk.count("\n") for chunk in iter(lambda: handle.read(BLOCK), ""))
    failed_at = 0
    for encoding in ENCODINGS:
        ok, at, lines = _decodes(path, encoding)
        if ok:
            return encoding, lines
        failed_at = max(failed_at, at)
    raise file_problem(
        "import.encoding",
        _(
            "The file is neither UTF-8 nor GBK/GB18030 text (the byte at position %(offset)d cannot be read in "
            "either). Save it from Excel as “CSV UTF-8” or as .xlsx and upload it again."
        )
        % {"offset": failed_at},
    )


def _csv_text(path: Path, encoding: str):
    return open(path, encoding=encoding, newline="", errors="strict")  # noqa: SIM115 (closed by the caller)


def _delimiter(sample: str) -> str:
    counts = {d: sample.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _first_rows(rows: Iterator[list], limit: int) -> list[tuple[int, list]]:
    return [(number, cells) for number, cells in enumerate(islice(rows, limit), start=1)]


def _fail_header(found: HeaderMap | None) -> None:
    if found is None:
        raise file_problem(
            "import.header_missing",
            _("No header row found: the first rows must hold the column names of the template (证件号码, 姓名, ...)"),
        )
    problems = []
    if found.missing:
        from .headers import column_label

        names = "、".join(column_label(name) for name in found.missing)
        problems.append(
            FieldProblem(
                "file", "import.column_missing", _("Required columns are missing: %(columns)s") % {"columns": names}
            )
        )
    for first, second, _name in found.doubled:
        problems.append(
            FieldProblem(
                "file",
                "import.column_twice",
                _("Columns “%(first)s” and “%(second)s” mean the same thing; keep one of them")
                % {"first": first, "second": second},
            )
        )
    if problems:
        raise InvalidInput(problems)


def open_import(path: Path, file_name: str) -> Opened:
    """Check a file can be imported (format, encoding, header) and say where its data starts; raises InvalidInput."""
    path = Path(path)
    kind = sniff_format(path, file_name)
    if kind == "xlsx":
        return _open_xlsx(path)
    encoding, line_ends = detect_encoding(path)
    with _csv_text(path, encoding) as handle:
        delimiter = _delimiter("".join(islice(handle, HEADER_SCAN_ROWS)))
    with _csv_text(path, encoding) as handle:
        try:
            found = header_map(_first_rows(csv.reader(handle, delimiter=delimiter), HEADER_SCAN_ROWS))
        except csv.Error as exc:
            raise file_problem(
                "import.csv_format", _("The CSV file cannot be read (%(error)s)") % {"error": exc}
            ) from exc
    _fail_header(found)
    return Opened(
        path=path,
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        header=found,
        estimated_rows=max(line_ends + 1 - found.row_number, 0),
    )


def _load_workbook(path: Path):
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook; all mean the same to the user
        raise _damaged(exc) from exc


def _damaged(exc: Exception) -> InvalidInput:
    return file_problem(
        "import.xlsx_damaged", _("The workbook cannot be read (%(error)s)") % {"error": exc.__class__.__name__}
    )


def _sheet_rows(sheet, **where) -> Iterator[tuple]:
    """A sheet's rows; a part of the workbook damaged past what load_workbook read is refused like a damaged file."""
    try:
        yield from sheet.iter_rows(values_only=True, **where)
    except Exception as exc:  # zipfile, zlib and XML errors, read lazily as the rows are
        raise _damaged(exc) from exc


def _open_xlsx(path: Path) -> Opened:
    workbook = _load_workbook(path)
    try:
        best = None
        for sheet in workbook.worksheets:
            found = header_map(_first_rows(_sheet_rows(sheet), HEADER_SCAN_ROWS))
            if found is None:
                continue
            if not found.missing and not found.doubled:
                best = (sheet, found)
                break
            if best is None:
                best = (sheet, found)
        _fail_header(best[1] if best else None)
        sheet, found = best
        estimated = sheet.max_row - found.row_number if sheet.max_row else None
        return Opened(path=path, format="xlsx", sheet=sheet.title, header=found, estimated_rows=estimated)
    finally:
        workbook.close()


def iter_rows(opened: Opened) -> Iterator[tuple[int, tuple]]:
    """Every row after the header as (sheet row number, cells); rows are read as they are needed."""
    start = opened.header.row_number
    if opened.format == "csv":
        with _csv_text(opened.path, opened.encoding) as handle:
            reader = enumerate(csv.reader(handle, delimiter=opened.delimiter), start=1)
            number = 0
            try:
                for number, cells in reader:
                    if number > start:
                        yield number, cells
            except csv.Error as exc:
                raise file_problem(
                    "import.csv_format",
                    _("The CSV file cannot be read after row %(row)d (%(error)s)") % {"row": number, "error": exc},
                ) from exc
        return
    workbook = _load_workbook(opened.path)
    try:
        sheet = workbook[opened.sheet]
        # A wrong <dimension> would cut the sheet short; read to the real end instead.
        sheet.reset_dimensions()
        for number, cells in enumerate(_sheet_rows(sheet, min_row=start + 1), start=start + 1):
            yield number, cells
    finally:
        workbook.close()


def is_blank(cells) -> bool:
    """A row with nothing but empty cells and spaces."""
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)
