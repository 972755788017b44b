"""The result workbook: a summary, every rejected row as it was sent with each bad cell marked red and explained
in a comment, and the warnings of the accepted rows. Written in openpyxl's streaming mode.
"""

from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill

from ..models import ImportBatch, ImportRow
from .headers import column_label

RED = PatternFill("solid", fgColor="FFC7CE")
YELLOW = PatternFill("solid", fgColor="FFEB9C")
BOLD = Font(bold=True)
# Columns that hold numbers Excel would mangle if they were written back as numbers.
TEXT_FIELDS = {"doc_number", "phone", "community_code"}


def _cell(sheet, value) -> WriteOnlyCell:
    """A cell of the result; control characters a CSV may hold, which a workbook cannot, are left out."""
    return WriteOnlyCell(sheet, value=_writable(value))


def _writable(value):
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def _header_cells(sheet, names):
    cells = []
    for name in names:
        cell = _cell(sheet, name)
        cell.font = BOLD
        cells.append(cell)
    return cells


def _where(batch: ImportBatch, problem: dict) -> str:
    column = problem.get("column")
    if column is not None and column < len(batch.headers):
        return batch.headers[column]
    return column_label(problem.get("field", ""))


def _summary(workbook: Workbook, batch: ImportBatch) -> None:
    sheet = workbook.create_sheet(_("Summary"))
    sheet.column_dimensions["A"].width = 22
    sheet.column_dimensions["B"].width = 60
    ignored = [h for h, f in zip(batch.headers, batch.fields, strict=False) if h and not f]
    rows = [
        (_("File"), batch.file_name),
        ("SHA-256", batch.file_sha256),
        (_("Mode"), batch.get_mode_display()),
        (_("Status"), batch.get_status_display()),
        (_("Encoding"), batch.encoding or "—"),
        (_("Sheet"), batch.sheet or "—"),
        (_("Rows read"), batch.rows_done),
        (_("Accepted"), batch.accepted),
        (_("Already registered"), batch.already_registered),
        (_("Rejected"), batch.rejected),
        (_("Rows with warnings"), batch.warnings),
        (_("People created"), batch.people_created),
        (_("Ignored columns"), "、".join(ignored) or "—"),
        (_("Uploaded by"), str(batch.created_by or "")),
        (_("Started"), timezone.localtime(batch.started_at).strftime("%Y-%m-%d %H:%M:%S") if batch.started_at else ""),
        (
            _("Finished"),
            timezone.localtime(batch.finished_at).strftime("%Y-%m-%d %H:%M:%S") if batch.finished_at else "",
        ),
    ]
    if batch.mode == ImportBatch.Mode.ALL and batch.rejected:
        rows.append((_("Note"), _("All or nothing: no row was written because some rows were rejected.")))
    if batch.error:
        rows.append((_("Error"), batch.error))
    for label, value in rows:
        head = _cell(sheet, label)
        head.font = BOLD
        sheet.append([head, _writable(value)])


def _row_cells(sheet, batch: ImportBatch, row: ImportRow, width: int) -> list:
    marks: dict[int, list[dict]] = {}
    for problem in row.problems:
        column = problem.get("column")
        if column is not None and column < width:
            marks.setdefault(column, []).append(problem)
    cells = [_cell(sheet, row.row_number)]
    for index in range(width):
        value = row.values[index] if index < len(row.values) else None
        if batch.fields[index] in TEXT_FIELDS and value is not None and not isinstance(value, str):
            value = str(value)
        cell = _cell(sheet, value)
        if batch.fields[index] in TEXT_FIELDS:
            cell.number_format = "@"
        problems = marks.get(index)
        if problems:
            cell.fill = RED if any(p.get("level") == "error" for p in problems) else YELLOW
            text = "\n".join(f"{p['rule']}: {p['message']}" for p in problems)
            cell.comment = Comment(_writable(text), "Liuguan", width=320, height=120)
        cells.append(cell)
    explained = "；".join(f"{_where(batch, p)}：{p['message']}（{p['rule']}）" for p in row.problems)
    cells.append(_cell(sheet, explained))
    return cells


def _rows_sheet(workbook: Workbook, batch: ImportBatch, title: str, outcome: str, last: str) -> None:
    sheet = workbook.create_sheet(title)
    width = len(batch.headers)
    sheet.append(_header_cells(sheet, [_("Row"), *batch.headers, last]))
    rows = ImportRow.objects.filter(batch=batch, outcome=outcome).order_by("row_number")
    for row in rows.iterator(chunk_size=2000):
        sheet.append(_row_cells(sheet, batch, row, width))


def result_workbook(batch: ImportBatch, path: Path) -> Path:
    """Write the batch's result workbook to `path`."""
    workbook = Workbook(write_only=True)
    _summary(workbook, batch)
    # The last column's header is the one offices know; it stays Chinese in every language.
    _rows_sheet(workbook, batch, _("Rejected rows"), ImportRow.Outcome.REJECTED, "错误说明")
    _rows_sheet(workbook, batch, _("Warnings"), ImportRow.Outcome.WARNING, "警告说明")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    workbook.save(partial)
    partial.replace(path)
    return path
