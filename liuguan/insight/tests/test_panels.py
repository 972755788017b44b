"""Every panel from the cells equals the same panel from the direct query over the live tables, at every level of a
small generated province; panels are plain data that pages, reports and open data can use as they are."""

import datetime as dt
import json

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import TREE
from liuguan.insight.panels import PANELS, PanelData, build_all, build_panel
from liuguan.insight.rollup import rollup_rebuild
from liuguan.registry.models import Stay

from . import measures_world as w

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)
SICHUAN = [code for code, _name, _level in TREE if code.startswith("51")]


def test_every_panel_from_the_cells_equals_the_direct_query_at_every_level(divisions, users):
    w.province(seed=11, size=60, collectors=(users[Role.COLLECTOR], users[Role.GRID_WORKER]))
    rollup_rebuild()
    for area in SICHUAN:
        cells = build_all(area, today=TODAY)
        live = build_all(area, source="live", today=TODAY)
        for name in PANELS:
            assert cells[name].as_dict() == live[name].as_dict(), (area, name)
    # and the province's panels are not empty: every kind of row was generated and counted
    province = build_all("51", today=TODAY)
    assert province["children"].total == Stay.objects.filter(departed_on__isnull=True).count()
    assert province["children"].keys == ["5101", "5107"]  # largest first
    for name, panel in province.items():
        assert panel.total, name


def test_a_panel_is_plain_data_with_one_number_per_category(divisions, users):
    w.province(seed=2, size=20, collectors=(users[Role.COLLECTOR],))
    rollup_rebuild()
    for area in ("51", "510104001001"):
        for name, panel in build_all(area, today=TODAY).items():
            assert isinstance(panel, PanelData) and panel.name == name
            data = json.loads(json.dumps(panel.as_dict()))
            assert data["title"] and isinstance(data["title"], str)
            assert len(data["keys"]) == len(data["categories"]), name
            for series in data["series"]:
                assert len(series["data"]) == len(data["categories"]), (name, series["name"])


def test_an_area_with_nothing_and_cells_never_built_give_empty_panels(divisions):
    w.stay(w.COMMUNITIES[0])
    before = build_all("510703", today=TODAY)  # no cells yet: nothing, not an error
    assert all(not panel.total for panel in before.values())
    rollup_rebuild()
    assert all(not panel.total for panel in build_all("510703", today=TODAY).values())
    assert build_panel("children", "510104", today=TODAY).total == 1


def test_a_panel_refuses_what_is_not_a_division_code():
    with pytest.raises(ValueError):
        build_panel("children", "5101041", today=TODAY)
