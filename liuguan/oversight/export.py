"""The scorecard as an Excel workbook: the page's table, cell for cell, under a header saying what it is.

Counts, shares and days are written as numbers (shares formatted as percentages) so the workbook can be
sorted and charted; a share with an interval takes three columns (the share, the interval's low and high
ends) and its notes go in a comment on the share.
"""

import io

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .cells import CHINA
from .selectors_scorecard import Scorecard
from .selectors_scorecard_table import Cell, Table

FORMATS = {
    "estimate": "0.0%",
    "share": "0.0%",
    "change_pp": '+0.0" pp";-0.0" pp";0.0" pp"',
    "change_int": "+0;-0;0",
    "change_days": "+0;-0;0",
    "int": "0",
    "days": "0",
    "rank": "0",
}
HEADER_FILL = PatternFill("solid", fgColor="EEF1F5")
BOLD = Font(bold=True)


def header_lines(card: Scorecard, *, user) -> list[tuple[str, str]]:
    """What the table is: area, level, period and the one compared, the ranking, and when it was exported."""
    exported = timezone.localtime(card.generated_at, CHINA)
    return [
        (_("Area"), f"{card.area.name} ({card.area.code})"),
        (_("Level"), str(card.level_label)),
        (
            _("Period"),
            f"{card.period.code} ({card.period.start:%Y-%m-%d} – {card.period.end:%Y-%m-%d})",
        ),
        (
            _("Compared with"),
            f"{card.previous.code} ({card.previous.start:%Y-%m-%d} – {card.previous.end:%Y-%m-%d})",
        ),
        (_("Ranked by"), str(card.rank_label)),
        (
            _("Stale"),
            _("open stays not verified for over %(n)d months (last verified before %(day)s)")
            % {"n": card.stale_months, "day": card.stale_before.isoformat()},
        ),
        (_("Exported at"), f"{exported:%Y-%m-%d %H:%M:%S} (UTC+8)"),
        (_("Exported by"), str(user)),
    ]


def _expanded(table: Table) -> list[tuple[str, str, str]]:
    """(group, header, part) per worksheet column; a share with an interval is three columns."""
    out = []
    for c in table.columns:
        if c.kind == "estimate":
            out += [
                (c.group, c.header, "value"),
                (c.group, _("%(column)s: 95%% CI low") % {"column": c.header}, "low"),
                (c.group, _("%(column)s: 95%% CI high") % {"column": c.header}, "high"),
            ]
        else:
            out.append((c.group, c.header, "value"))
    return out


def _values(cells: list[Cell]) -> list[tuple[object, Cell]]:
    out = []
    for cell in cells:
        if cell.kind == "estimate":
            out += [(cell.value, cell), (cell.low, cell), (cell.high, cell)]
        else:
            out.append((cell.value, cell))
    return out


def scorecard_workbook(card: Scorecard, table: Table, *, user) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Scorecard")[:31]
    sheet.append([_("Scorecard")])
    sheet["A1"].font = Font(bold=True, size=14)
    for label, value in header_lines(card, user=user):
        sheet.append([label, value])
        sheet.cell(sheet.max_row, 1).font = BOLD
    sheet.append([])
    columns = _expanded(table)
    sheet.append([group for group, _h, _p in columns])
    sheet.append([header for _g, header, _p in columns])
    header_row = sheet.max_row
    for row in (header_row - 1, header_row):
        for index in range(1, len(columns) + 1):
            cell = sheet.cell(row, index)
            cell.font, cell.fill = BOLD, HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for table_row in [*table.rows, table.total]:
        sheet.append([value for value, _c in _values(table_row.cells)])
        excel_row = sheet.max_row
        for index, (value, cell) in enumerate(_values(table_row.cells), start=1):
            target = sheet.cell(excel_row, index)
            if cell.kind in FORMATS and value is not None:
                target.number_format = FORMATS[cell.kind]
            if cell.notes and columns[index - 1][2] == "value":
                target.comment = Comment("; ".join(cell.notes), "Liuguan")
        if table_row is table.total:
            for index in range(1, len(columns) + 1):
                sheet.cell(excel_row, index).font = BOLD
    sheet.freeze_panes = sheet.cell(header_row + 1, 3)
    sheet.column_dimensions["A"].width = 8
    sheet.column_dimensions["B"].width = 28
    for index in range(3, len(columns) + 1):
        sheet.column_dimensions[get_column_letter(index)].width = 13
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def scorecard_workbook_response(card: Scorecard, table: Table, *, user) -> HttpResponse:
    content = scorecard_workbook(card, table, user=user)
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"scorecard-{card.area.code}-{card.level}-{card.period.code}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
