"""Flow matrices on hand-made stays and outflow records: the counts, the folded rows, drill-down and the Excel."""

import datetime as dt
import io

import pytest
from django.utils import translation
from django.utils.translation import gettext
from openpyxl import load_workbook

from liuguan.accounts.roles import Role
from liuguan.conftest import citizen_id, login
from liuguan.core.errors import InvalidInput, NotFound
from liuguan.outflow.models import OutflowRecord
from liuguan.outflow.selectors_flows import INFLOW, OUTFLOW, flow_matrix, parse_period
from liuguan.registry.models import Person, Stay

YEAR = parse_period("2025")
# (hukou, community, arrival): who arrived where; the last two are outside the period or the city.
ARRIVALS = [
    ("500101", "510104001001", dt.date(2025, 1, 3)),
    ("500101", "510104002001", dt.date(2025, 2, 3)),
    ("500101", "510107001001", dt.date(2025, 3, 3)),
    ("511321", "510104001001", dt.date(2025, 4, 3)),
    ("511321", "510107001001", dt.date(2025, 5, 3)),
    ("510104", "510107001001", dt.date(2025, 6, 3)),
    ("440305", "510107001001", dt.date(2025, 7, 3)),
    ("522401", "510104001002", dt.date(2025, 8, 3)),
    ("", "510104001001", dt.date(2025, 9, 3)),
    ("500101", "510104001001", dt.date(2024, 12, 31)),
    ("500101", "510703001001", dt.date(2025, 3, 3)),
]


@pytest.fixture
def arrivals(divisions):
    for n, (hukou, community, arrived) in enumerate(ARRIVALS):
        number = citizen_id(hukou or "810000", "19900101", f"{n:03d}")
        person = Person.objects.create(
            doc_type="citizen_id" if hukou else "hmt_resident",
            doc_number=number,
            name=f"甲{n}",
            name_pinyin=f"jia{n}",
            name_initials="j",
            sex="M",
            birth_date=dt.date(1990, 1, 1),
            hukou_code=hukou,
        )
        Stay.objects.create(
            person=person, community_id=community, reason="work", arrived_on=arrived, source_channel="collector"
        )


def _cells(matrix) -> dict[str, list[int]]:
    return {row.key: row.cells for row in matrix.shown_rows}


def test_arrivals_by_hukou_province_or_prefecture_and_by_county_of_arrival(users, arrivals):
    matrix = flow_matrix(user=users[Role.CITY_OFFICER], direction=INFLOW, period=YEAR)
    assert [c.code for c in matrix.columns] == ["510104", "510107"]
    assert _cells(matrix) == {
        "50": [2, 1],
        "5113": [1, 1],
        "5101": [0, 1],
        "44": [0, 1],
        "52": [1, 0],
        "": [1, 0],
    }
    assert [r.key for r in matrix.rows][:2] == ["50", "5113"]  # by total, largest first
    assert matrix.totals == [5, 4] and matrix.total == 9
    labels = {r.key: r.label for r in matrix.rows}
    assert labels["50"] == "重庆市" and labels["5113"] == "四川省南充市" and labels["44"] == "广东省"


def test_this_provinces_rows_by_county_and_the_rest_folded_past_the_top(users, arrivals):
    matrix = flow_matrix(user=users[Role.CITY_OFFICER], period=YEAR, origin_level="county", top=3)
    assert [r.key for r in matrix.rows] == ["50", "511321", "44"]
    assert matrix.rest.folded == 3 and matrix.rest.cells == [2, 1]
    assert [sum(col) for col in zip(*(r.cells for r in matrix.shown_rows), strict=True)] == matrix.totals


def test_drilling_down_to_a_county_gives_its_townships(users, arrivals):
    matrix = flow_matrix(user=users[Role.CITY_OFFICER], area_code="510104", period=YEAR)
    assert [c.code for c in matrix.columns] == ["510104001", "510104002"]
    assert matrix.totals == [4, 1] and [d.code for d in matrix.trail] == ["5101", "510104"]


def test_a_community_officer_sees_one_column_and_other_areas_are_missing(users, arrivals):
    station = users[Role.STATION_OFFICER]
    matrix = flow_matrix(user=station, period=YEAR)
    assert [(c.code, c.drill) for c in matrix.columns] == [("510104001001", False)]
    assert matrix.total == 3
    with pytest.raises(NotFound):
        flow_matrix(user=users[Role.COUNTY_OFFICER], area_code="510107", period=YEAR)
    with pytest.raises(InvalidInput):
        flow_matrix(user=station, direction="sideways", period=YEAR)


@pytest.fixture
def departures(divisions, person_in):
    # (origin, destination code, country, left on)
    rows = [
        ("510104001001", "440305", "CHN", dt.date(2025, 3, 1)),
        ("510104001001", "440106", "CHN", dt.date(2025, 4, 1)),
        ("510104002001", "440305", "CHN", dt.date(2025, 5, 1)),
        ("510104001002", "500101", "CHN", dt.date(2025, 6, 1)),
        ("510104002001", "510703", "CHN", dt.date(2025, 7, 1)),
        ("510104001001", "", "USA", dt.date(2025, 8, 1)),
        ("510104001001", "", "CHN", dt.date(2025, 9, 1)),
        ("510104001001", "440305", "CHN", dt.date(2024, 9, 1)),  # before the period
        ("510107001001", "440305", "CHN", dt.date(2025, 9, 1)),  # another county's
    ]
    for n, (origin, destination, country, left_on) in enumerate(rows):
        person = Person.objects.create(
            doc_type="citizen_id",
            doc_number=citizen_id(origin[:6], "19900101", f"{n:03d}"),
            name=f"乙{n}",
            name_pinyin=f"yi{n}",
            name_initials="y",
            sex="M",
            birth_date=dt.date(1990, 1, 1),
            hukou_code=origin[:6],
        )
        OutflowRecord.objects.create(
            person=person,
            origin_id=origin,
            destination_code=destination,
            destination_country=country,
            destination_place="Los Angeles" if country == "USA" else "",
            left_on=left_on,
            reason="work",
            reported_by="family",
            last_heard_on=left_on,
        )


def test_this_areas_people_by_destination_province_and_by_origin_township(users, departures):
    matrix = flow_matrix(user=users[Role.COUNTY_OFFICER], direction=OUTFLOW, period=YEAR)
    assert [c.code for c in matrix.columns] == ["510104001", "510104002"]
    assert _cells(matrix) == {"44": [2, 1], "50": [1, 0], "5107": [0, 1], "abroad": [1, 0], "": [1, 0]}
    labels = {r.key: r.label for r in matrix.rows}
    assert labels["5107"] == "四川省绵阳市"
    assert labels["abroad"] == gettext("Abroad") and labels[""] == gettext("Not known")
    assert matrix.total == 7


def test_the_page_shows_the_matrix_and_the_excel_holds_exactly_the_same_numbers(users, arrivals):
    client = login(users[Role.CITY_OFFICER])
    page = client.get("/outflow/flows/?period=2025&top=3&origin_level=county")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-drill="510104"' in html and 'data-testid="grand-total">9<' in html
    export = client.get("/outflow/flows/export.xlsx?period=2025&top=3&origin_level=county&area=5101")
    assert export.status_code == 200
    sheet = load_workbook(io.BytesIO(export.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows.index([None] * len(rows[0])) + 1
    assert rows[header][1:-1] == ["锦江区", "武侯区"] and rows[header + 1][1:-1] == ["510104", "510107"]
    body = rows[header + 2 :]
    with translation.override("zh-hans"):
        matrix = flow_matrix(user=users[Role.CITY_OFFICER], period=YEAR, origin_level="county", top=3)
        expected = [[r.label, *r.cells, r.total] for r in matrix.shown_rows] + [[gettext("Total"), 5, 4, 9]]
    assert body == expected
    assert [r[0] for r in body] == ["重庆市", "四川省南充市南部县", "广东省", expected[3][0], expected[4][0]]


def test_the_page_refuses_roles_without_flow_view_and_areas_outside(users, arrivals):
    assert login(users[Role.COLLECTOR]).get("/outflow/flows/").status_code == 403
    assert login(users[Role.COUNTY_OFFICER]).get("/outflow/flows/?area=510107").status_code == 404
    assert login(users[Role.COUNTY_OFFICER]).get("/outflow/flows/?period=nonsense").status_code == 400
