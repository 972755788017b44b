"""The dashboard page and its API: the figures of the reader's area only, drill-down links, freshness, the check
against the live tables, and panels drawn by their kind (a new panel appears without a change to the page).
"""

import datetime as dt
import json

import pytest
from django.utils.translation import gettext, ngettext

from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, api_client, citizen_id, login
from liuguan.core.testing import assert_matches_openapi
from liuguan.insight import panels as panels_module
from liuguan.insight.panels import PanelData, Series
from liuguan.insight.rollup import rollup_rebuild, rollup_refresh
from liuguan.registry.services import PersonInput, StayInput, person_register

pytestmark = pytest.mark.django_db


def _page_data(response) -> dict:
    """The json_script data the page's charts are drawn from."""
    html = response.content.decode()
    start = html.index('id="insight-panels"')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


def _panel(data: dict, name: str) -> dict:
    return next(p for p in data["panels"] if p["name"] == name)


def test_the_province_dashboard_shows_each_city_and_drills_down_to_a_community(
    users, person_in, person_out, person_far
):
    # given: one person in 锦江区 (成都), one in 涪城区 (绵阳), one in 重庆 (outside every jurisdiction here)
    rollup_rebuild()
    page = login(users[Role.PROVINCE_ADMIN])
    # when: the province dashboard
    response = page.get("/insight/")
    # then: one bar per city, each a link one level down; nothing of 重庆 anywhere
    assert response.status_code == 200
    children = _panel(_page_data(response), "children")
    assert dict(zip(children["keys"], children["series"][0]["data"], strict=True)) == {"5101": 1, "5107": 1}
    assert children["categories"] == ["成都市", "绵阳市"]
    html = response.content.decode()
    assert 'href="?area=5101"' in html and 'href="?area=5107"' in html
    assert "重庆" not in html and "万州" not in html and "太白" not in html
    # when: drilling down to 成都市, 锦江区, 督院街街道 and the community
    for code, name, child in [
        ("5101", "成都市", "锦江区"),
        ("510104", "锦江区", "督院街街道"),
        ("510104001", "督院街街道", "东御河沿社区"),
    ]:
        response = page.get("/insight/", {"area": code})
        data = _page_data(response)
        assert data["area"] == code
        assert _panel(data, "children")["categories"] == [child]
        assert "绵阳" not in response.content.decode()
        assert [d.name for d in response.context["board"].trail][-1] == name
    response = page.get("/insight/", {"area": IN_COMMUNITY})
    data = _page_data(response)
    assert _panel(data, "children")["categories"] == []
    assert gettext("No areas below this one have anything counted.") in response.content.decode()
    assert _panel(data, "pyramid")["total"] == 1
    trail = [d.name for d in response.context["board"].trail]
    assert trail == ["四川省", "成都市", "锦江区", "督院街街道", "东御河沿社区"]


def test_a_county_officer_sees_only_their_county(users, person_in, person_out):
    rollup_rebuild()
    response = login(users[Role.COUNTY_OFFICER]).get("/insight/")
    data = _page_data(response)
    assert data["area"] == "510104"
    assert _panel(data, "flows")["total"] == 1  # person_out lives in 绵阳, outside 锦江区
    assert [d.name for d in response.context["board"].trail] == ["锦江区"]
    assert 'href="/insight/reports/?area=510104"' in response.content.decode()


def test_the_api_gives_every_panel_and_one_panel_with_the_freshness(users, token_for, person_in, person_out):
    rollup_rebuild()
    api = api_client(token_for(users[Role.CITY_OFFICER]))
    response = api.get("/api/insight/panels")
    assert_matches_openapi("GET", "/api/insight/panels", response)
    body = response.json()
    assert body["area"] == {"code": "5101", "name": "成都市", "level": "prefecture"}
    assert [p["name"] for p in body["panels"]] == list(panels_module.PANELS)
    assert body["freshness"]["built"] is True and body["freshness"]["pending"] == 0
    assert _panel(body, "children")["keys"] == ["510104"]
    one = api.get("/api/insight/panels/pyramid", {"area": "510104"})
    assert_matches_openapi("GET", "/api/insight/panels/pyramid", one)
    assert one.json()["panel"]["kind"] == "pyramid" and one.json()["panel"]["total"] == 1
    assert one.json()["freshness"]["as_of"] is not None


def test_the_freshness_line_counts_the_changes_waiting_and_the_refresh_clears_them(users, token_for, person_in):
    # given: counted, then a new person registered through the service (an audited write)
    rollup_rebuild()
    person_register(
        actor=users[Role.COLLECTOR],
        person=PersonInput(
            doc_type="citizen_id", doc_number=citizen_id("511321", "19880412", "317"), name="赵六", hukou_code="511321"
        ),
        stay=StayInput(
            community_code=IN_COMMUNITY, arrived_on=dt.date(2026, 3, 1), reason="work", address="督院街 3 号"
        ),
    )
    page = login(users[Role.COUNTY_OFFICER])
    # when / then: the page says how many writes wait, and the figures do not include them yet
    response = page.get("/insight/")
    pending = response.context["board"].freshness["pending"]
    assert pending >= 1
    as_of = response.context["board"].freshness["as_of"]
    from django.utils import timezone
    from django.utils.formats import date_format

    line = ngettext(
        "Figures as of %(t)s, %(n)s change waiting.", "Figures as of %(t)s, %(n)s changes waiting.", pending
    ) % {"t": date_format(timezone.localtime(as_of), "Y-m-d H:i:s"), "n": pending}
    assert line in response.content.decode()
    assert _panel(_page_data(response), "children")["series"][0]["data"] == [1]
    api = api_client(token_for(users[Role.COUNTY_OFFICER]))
    assert api.get("/api/insight/panels").json()["freshness"]["pending"] == pending
    # when: the refresh runs (every minute on the schedule)
    rollup_refresh()
    response = page.get("/insight/")
    assert response.context["board"].freshness["pending"] == 0
    assert _panel(_page_data(response), "children")["series"][0]["data"] == [2]


def test_officers_may_check_the_cells_against_the_live_tables_and_auditors_get_the_cells(
    users, token_for, person_in, person_out
):
    rollup_rebuild()
    officer = login(users[Role.PROVINCE_ADMIN])
    cells = _page_data(officer.get("/insight/"))
    live = _page_data(officer.get("/insight/", {"source": "live"}))
    assert cells["source"] == "cells" and live["source"] == "live"
    assert live["panels"] == cells["panels"]
    html = officer.get("/insight/").content.decode()
    assert 'data-testid="live-link"' in html
    auditor = login(users[Role.AUDITOR])
    assert _page_data(auditor.get("/insight/", {"source": "live"}))["source"] == "cells"
    assert 'data-testid="live-link"' not in auditor.get("/insight/").content.decode()
    api = api_client(token_for(users[Role.AUDITOR]))
    assert api.get("/api/insight/panels", {"source": "live"}).json()["source"] == "cells"
    api = api_client(token_for(users[Role.PROVINCE_ADMIN]))
    assert api.get("/api/insight/panels/children", {"source": "live"}).json()["source"] == "live"


def test_a_new_panel_appears_on_the_page_and_in_the_api_without_a_change_to_either(
    users, token_for, person_in, monkeypatch
):
    # given: a panel registered the way measures/panels add them
    def build(source, area, today):
        return PanelData(
            name="test_kinds",
            title="Kinds of test",
            kind="pie",
            categories=["甲", "乙"],
            keys=["a", "b"],
            series=[Series("n", [3, 4])],
            total=7,
            figures={"coverage": 0.25, "by_kind": [["甲", 3], ["乙", 4]]},
        )

    monkeypatch.setitem(panels_module.PANELS, "test_kinds", build)
    monkeypatch.setitem(panels_module.TITLES, "test_kinds", "Kinds of test")
    rollup_rebuild()
    # when
    response = login(users[Role.STREET_OFFICER]).get("/insight/")
    # then: a card with its title, headline share as a percentage, a chart slot and its figures table
    html = response.content.decode()
    assert 'data-panel="test_kinds"' in html and "Kinds of test" in html
    assert 'data-chart="test_kinds"' in html
    assert "25.0%" in html
    assert 'data-figure-list="by_kind"' in html
    assert _panel(_page_data(response), "test_kinds")["series"][0]["data"] == [3, 4]
    body = api_client(token_for(users[Role.STREET_OFFICER])).get("/api/insight/panels").json()
    assert _panel(body, "test_kinds")["total"] == 7


def test_the_page_loads_the_vendored_echarts_and_its_script_and_no_inline_code(users):
    rollup_rebuild()
    html = login(users[Role.CITY_OFFICER]).get("/insight/").content.decode()
    assert 'src="/static/vendor/echarts.min.js"' in html
    assert 'src="/static/insight/dashboard.js"' in html
    content = html[html.index("<main>") :]
    scripts = content.count("<script")
    assert scripts == 3  # the json_script data, ECharts and the dashboard's script
    assert 'type="application/json"' in content
