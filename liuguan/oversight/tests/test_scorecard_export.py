"""The Excel export holds exactly what the page shows, under a header naming area, level, period and time."""

import io
import re
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook

from liuguan.accounts.roles import Role
from liuguan.conftest import login
from liuguan.oversight.selectors_scorecard_table import NOTES, estimate_text, percent
from liuguan.oversight.stats import Estimate

from .scorecard_world import world_fixture  # noqa: F401 (the world fixture)

pytestmark = pytest.mark.django_db


class TableCells(HTMLParser):
    """The text of each cell of the scorecard table, by row key and column key, note marks left out."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, dict[str, str]] = {}
        self.order: list[str] = []
        self.headers: list[str] = []
        self._row = self._col = None
        self._skip = 0
        self._in_header = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and "data-key" in attrs:
            self._row = attrs["data-key"]
            self.rows[self._row] = {}
            self.order.append(self._row)
        elif tag == "td" and self._row is not None and "data-col" in attrs:
            self._col = attrs["data-col"]
            self.rows[self._row][self._col] = ""
        elif tag == "th" and "data-col" in attrs:
            self._in_header = True
            self.headers.append("")
        elif tag == "sup" and self._col is not None:
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "td":
            self._col = None
        elif tag == "tr":
            self._row = None
        elif tag == "th":
            self._in_header = False
        elif tag == "sup" and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if self._col is not None and not self._skip:
            self.rows[self._row][self._col] += data
        elif self._in_header:
            self.headers[-1] += data


def _page_text(value, kind, low=None, high=None) -> str:
    """What the page prints for a workbook value of a column kind."""
    if value is None:
        return "—"
    if kind == "estimate":
        return estimate_text(Estimate(value, low=low, high=high))
    if kind == "share":
        return percent(value)
    if kind == "change_pp":
        return f"{value:+.1f}"
    if kind in ("change_int", "change_days"):
        return f"{value:+d}"
    return str(value)


def test_export_matches_the_page(world, users):
    client = login(users[Role.COUNTY_OFFICER])
    query = {"level": "street", "parent": "510104", "period": world.period.code, "rank": "on_time"}
    page = client.get("/oversight/scorecard/", {**query, "part": "full"})
    assert page.status_code == 200
    table = page.context["table"]
    parsed = TableCells()
    parsed.feed(page.content.decode())
    response = client.get("/oversight/scorecard/export.xlsx", query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    header = {row[0]: row[1] for row in cells[1:10] if row and row[0]}
    joined = " ".join(str(v) for v in header.values())
    assert "锦江区" in joined and "510104" in joined and world.period.code in joined
    assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", joined)  # the time of export
    assert world.period.previous().code in joined
    # The table: find the heading row, then one worksheet row per page row, in the page's order.
    start = next(i for i, row in enumerate(cells) if row and row[0] == table.columns[0].header)
    body = cells[start + 1 :]
    assert len(body) == len(parsed.order) == len(table.rows) + 1
    assert [str(h) for h in cells[start] if h][: len(table.columns)] != []
    for excel_row, key in zip(body, parsed.order, strict=True):
        shown = parsed.rows[key]
        index = 0
        for column in table.columns:
            if column.kind == "estimate":
                value, low, high = excel_row[index : index + 3]
                expected = _page_text(value, "estimate", low, high)
                index += 3
            else:
                value = excel_row[index]
                expected = _page_text(value, column.kind)
                index += 1
            text = " ".join(shown[column.key].split())
            if column.key == "unit":
                assert str(value) in text or text in str(value), (key, text, value)
            else:
                assert text.startswith(expected), (key, column.key, text, expected)
    # The hand-made figures are in the workbook as numbers: A's street, its registrations and share on time.
    a_row = body[parsed.order.index("510104001")]
    assert a_row[2] == 10
    assert a_row[3] == pytest.approx(0.5)


def test_collector_level_export_names_the_residual_row(world, users):
    client = login(users[Role.COUNTY_OFFICER])
    query = {"level": "collector", "period": world.period.code}
    sheet = load_workbook(io.BytesIO(client.get("/oversight/scorecard/export.xlsx", query).content)).active
    units = [row[1].value for row in sheet.iter_rows()]
    assert "采集员甲" in units and any("本人申报" in str(u) for u in units)


def test_area_levels_show_the_omission_estimate_for_each_unit_and_the_whole(world, users):
    client = login(users[Role.COUNTY_OFFICER])
    card = client.get("/oversight/scorecard/", {"level": "street", "period": world.period.code}).context["card"]
    assert card.available["omission"]
    figures = {row.key: row.omission for row in card.rows if not row.is_residual}
    assert figures and all(f is None or f.n1 >= f.m for f in figures.values())
    # The whole county's figure is its own estimate, from the counts of all its streets added.
    assert card.total.omission is not None
    assert card.total.omission.n1 == sum(f.n1 for f in figures.values() if f is not None)
    collectors = client.get("/oversight/scorecard/", {"level": "collector", "period": world.period.code})
    assert not collectors.context["card"].available["omission"]


def test_htmx_asks_for_the_table_alone(world, users):
    client = login(users[Role.COUNTY_OFFICER])
    response = client.get(
        "/oversight/scorecard/", {"level": "street", "period": world.period.code}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="scorecard"' in html and "<html" not in html


def test_page_shows_intervals_notes_and_drill_links(world, users):
    client = login(users[Role.COUNTY_OFFICER])
    response = client.get("/oversight/scorecard/", {"level": "community", "period": world.period.code})
    html = response.content.decode()
    parsed = TableCells()
    parsed.feed(html)
    shown = " ".join(parsed.rows["510104001001"]["on_time"].split())
    assert shown == estimate_text(Estimate(0.5, low=0.2366, high=0.7634))  # "50.0% (95% CI 23.7–76.3%)"
    # Ten registrations are a small sample, and the page says so: a numbered note, explained under the table.
    assert "data-notes" in html and 'data-testid="notes"' in html and str(NOTES["small_sample"]) in html
    assert 'href="?level=collector&amp;parent=510104001001' in html
    assert 'href="?level=point&amp;parent=510104001001' in html


def test_collector_rows_lead_to_their_feedback_tasks_for_those_who_may_open_them(world, users):
    query = {"level": "collector", "parent": "510104", "period": world.period.code}
    officer = login(users[Role.COUNTY_OFFICER]).get("/oversight/scorecard/", query).content.decode()
    assert f"?collector={world.a.pk}" in officer and 'data-testid="collector-feedback"' in officer
    auditor = login(users[Role.AUDITOR]).get("/oversight/scorecard/", query).content.decode()
    assert 'data-testid="scorecard"' in auditor and 'data-testid="collector-feedback"' not in auditor
