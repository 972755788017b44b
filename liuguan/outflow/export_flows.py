"""A flow matrix as an Excel workbook: the page's table cell for cell, under a header saying what it is."""

import io

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .selectors_flows import FlowMatrix

HEADER_FILL = PatternFill("solid", fgColor="EEF1F5")
BOLD = Font(bold=True)


def header_lines(matrix: FlowMatrix, *, user) -> list[tuple[str, str]]:
    exported = timezone.localtime(timezone.now())
    return [
        (_("Flow"), matrix.direction_label),
        (_("Area"), f"{matrix.area.name} ({matrix.area.code})"),
        (_("Period"), f"{matrix.period.code} ({matrix.period.start:%Y-%m-%d} – {matrix.period.end:%Y-%m-%d})"),
        (_("Rows shown"), str(matrix.top)),
        (_("Exported at"), f"{exported:%Y-%m-%d %H:%M:%S} (UTC+8)"),
        (_("Exported by"), str(user)),
    ]


def flow_workbook(matrix: FlowMatrix, *, user) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Flows")[:31]
    sheet.append([matrix.direction_label])
    sheet["A1"].font = Font(bold=True, size=14)
    for label, value in header_lines(matrix, user=user):
        sheet.append([label, value])
        sheet.cell(sheet.max_row, 1).font = BOLD
    sheet.append([])
    sheet.append([f"{matrix.row_heading} \\ {matrix.column_heading}", *(c.name for c in matrix.columns), _("Total")])
    header_row = sheet.max_row
    for index in range(1, len(matrix.columns) + 3):
        cell = sheet.cell(header_row, index)
        cell.font, cell.fill = BOLD, HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.append([_("Code"), *(c.code for c in matrix.columns), ""])
    for row in matrix.shown_rows:
        sheet.append([row.label, *row.cells, row.total])
    sheet.append([_("Total"), *matrix.totals, matrix.total])
    for index in range(1, len(matrix.columns) + 3):
        sheet.cell(sheet.max_row, index).font = BOLD
    sheet.freeze_panes = sheet.cell(header_row + 2, 2)
    sheet.column_dimensions["A"].width = 34
    for index in range(2, len(matrix.columns) + 3):
        sheet.column_dimensions[get_column_letter(index)].width = 12
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def flow_workbook_response(matrix: FlowMatrix, *, user) -> HttpResponse:
    response = HttpResponse(
        flow_workbook(matrix, user=user),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    name = f"flows-{matrix.direction}-{matrix.area.code}-{matrix.period.code}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
