"""The monthly report as a workbook: a summary sheet, one sheet per panel, one per forecast (openpyxl).

Each panel sheet: the title in A1, the area and month in A2, the panel's table from row 4 (a header row, then
a row per category: the numbers exactly as the dashboard has them), then the total and the headline figures,
then the figure tables. Numbers stay numbers (shares formatted as percentages), so the sheet can be summed.
"""

import io
import re

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .forecast import method_label, note_text
from .reports_tables import Table, label, panel_tables, text

TABLE_ROW = 4  # the header row of every panel sheet's main table
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
HEAD_FILL = PatternFill("solid", fgColor="DDE6F0")
BAD_SHEET_CHARS = re.compile(r"[\[\]\:\*\?\/\\]")


def sheet_name(title: str, used: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of the characters BAD_SHEET_CHARS matches, unique."""
    base = BAD_SHEET_CHARS.sub(" ", str(title)).strip()[:31] or "Sheet"
    name, i = base, 2
    while name.lower() in used:
        suffix = f" ({i})"
        name, i = base[: 31 - len(suffix)] + suffix, i + 1
    used.add(name.lower())
    return name


def _value(value):
    if isinstance(value, dict) and "value" in value:
        return text(value, share=True)
    if isinstance(value, (list, dict)):
        return str(value)
    return value


def _write_table(ws, row: int, table: Table, *, title: bool = True) -> int:
    """Write a table from `row`; returns the first row after it."""
    if title:
        ws.cell(row, 1, table.title).font = BOLD
        row += 1
    for col, head in enumerate(table.header, start=1):
        cell = ws.cell(row, col, head)
        cell.font = BOLD
        cell.fill = HEAD_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    row += 1
    for values in table.rows:
        for col, value in enumerate(values, start=1):
            cell = ws.cell(row, col, _value(value))
            if col - 1 in table.shares and isinstance(value, float):
                cell.number_format = "0.0%"
        row += 1
    return row


def _widths(ws, first: int = 22, others: int = 14) -> None:
    ws.column_dimensions["A"].width = first
    for col in range(2, ws.max_column + 1):
        ws.column_dimensions[get_column_letter(col)].width = others


def _heading(ws, title: str, content) -> None:
    ws["A1"] = title
    ws["A1"].font = TITLE
    ws["A2"] = f"{content.trail} · {content.month:%Y-%m} · " + _("figures as of %(when)s") % {
        "when": _when(content.as_of)
    }


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"


def _panel_sheet(ws, panel, content) -> None:
    tables = panel_tables(panel)
    _heading(ws, str(panel.title), content)
    row = _write_table(ws, TABLE_ROW, tables.main, title=False)
    row += 1
    if panel.total is not None:
        ws.cell(row, 1, pgettext("insight report", "Total")).font = BOLD
        ws.cell(row, 2, panel.total)
        row += 1
    for name, value, share in tables.figures:
        ws.cell(row, 1, name)
        cell = ws.cell(row, 2, _value(value))
        if share and isinstance(value, float):
            cell.number_format = "0.0%"
        row += 1
    if panel.note:
        ws.cell(row, 1, str(panel.note))
        row += 1
    for table in tables.extra:
        row = _write_table(ws, row + 1, table)
    _widths(ws)
    ws.freeze_panes = ws.cell(TABLE_ROW + 1, 2)


def _summary_sheet(ws, content) -> None:
    ws["A1"] = content.title
    ws["A1"].font = TITLE
    rows = [
        (pgettext("insight report", "Area"), f"{content.trail} ({content.area})"),
        (pgettext("insight report", "Month"), content.month.strftime("%Y-%m")),
        (pgettext("insight report", "Figures as of"), _when(content.as_of)),
        (pgettext("insight report", "Changes not yet counted"), content.pending),
        (pgettext("insight report", "Made"), _when(content.made_at)),
    ]
    row = 3
    for name, value in rows:
        ws.cell(row, 1, name).font = BOLD
        ws.cell(row, 2, value)
        row += 1
    row += 1
    head = Table(
        pgettext("insight report", "Key figures"),
        [
            pgettext("insight report", "Figure"),
            pgettext("insight report", "Number"),
            pgettext("insight report", "Change"),
        ],
        [],
    )
    head.rows = [[h.label, h.value, h.note] for h in content.headlines]
    row = _write_table(ws, row, head) + 1
    sections = Table(
        pgettext("insight report", "Contents"),
        [pgettext("insight report", "Section"), pgettext("insight report", "Total")],
        [[str(p.title), p.total] for p in content.panels],
    )
    sections.rows += [[str(panel.title), panel.total] for _s, _r, panel in content.forecasts]
    _write_table(ws, row, sections)
    _widths(ws, first=34, others=22)


def _forecast_sheet(ws, series, result, panel, content) -> None:
    _heading(ws, str(panel.title), content)
    header = [
        pgettext("insight report", "Month"),
        pgettext("insight report", "Observed"),
        pgettext("insight report", "Forecast"),
        pgettext("insight report", "80% band, low"),
        pgettext("insight report", "80% band, high"),
        pgettext("insight report", "95% band, low"),
        pgettext("insight report", "95% band, high"),
        _("Spring Festival share of the month"),
    ]
    rows = [
        [m, v, None, None, None, None, None, None] for m, v in zip(result["months"], result["observed"], strict=True)
    ]
    fc = result.get("forecast")
    if fc:
        for i, month in enumerate(fc["months"]):
            rows.append(
                [
                    month,
                    None,
                    fc["mean"][i],
                    fc["lo80"][i],
                    fc["hi80"][i],
                    fc["lo95"][i],
                    fc["hi95"][i],
                    fc["festival"][i],
                ]
            )
    row = _write_table(ws, TABLE_ROW, Table("", header, rows, {7}), title=False) + 1
    ws.cell(row, 1, label("method")).font = BOLD
    ws.cell(row, 2, method_label(result))
    row += 1
    if note_text(result):
        ws.cell(row, 1, label("note")).font = BOLD
        ws.cell(row, 2, note_text(result))
        row += 1
    tables = panel_tables(panel)
    for name, value, share in tables.figures:
        if name in (label("method"), label("note")):
            continue
        ws.cell(row, 1, name)
        cell = ws.cell(row, 2, _value(value))
        if share and isinstance(value, float):
            cell.number_format = "0.0%"
        row += 1
    for table in tables.extra:
        row = _write_table(ws, row + 1, table)
    _widths(ws)
    ws.freeze_panes = ws.cell(TABLE_ROW + 1, 2)


def report_workbook(content) -> bytes:
    """The workbook's bytes (sheet names in the current language)."""
    wb = Workbook()
    used: set[str] = set()
    summary = wb.active
    summary.title = sheet_name(pgettext("insight report", "Summary"), used)
    _summary_sheet(summary, content)
    for panel in content.panels:
        _panel_sheet(wb.create_sheet(sheet_name(panel.title, used)), panel, content)
    for series, result, panel in content.forecasts:
        title = _("Forecast %(series)s") % {"series": panel.figures.get("series", series)}
        _forecast_sheet(wb.create_sheet(sheet_name(title, used)), series, result, panel, content)
    wb.properties.title = content.title
    wb.properties.creator = "Liuguan"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
