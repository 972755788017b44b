"""The demo province, small: every panel from the cells equals the direct query at the province, one prefecture,
one county, one township and one community, after the generator and the demos of permits, welfare and schooling."""

import pytest
from django.core.management import call_command

from liuguan.demo.tests.conftest import AS_OF, fast_passwords, generate, sichuan  # noqa: F401 (fixtures)
from liuguan.insight.models import Cell
from liuguan.insight.panels import PANELS, build_all
from liuguan.insight.rollup import rollup_rebuild, rollup_refresh

pytestmark = pytest.mark.django_db


def _largest(level: int, under: str) -> str:
    """The area of a level under `under` with the most people living there now."""
    return (
        Cell.objects.filter(level=level, measure="stock", area__startswith=under)
        .order_by("-n", "area")
        .values_list("area", flat=True)
        .first()
    )


def test_every_panel_of_the_demo_province_agrees_with_the_live_tables(generate):  # noqa: F811 (the demo's fixture)
    from liuguan.livelihood.schooling.demo import schooling_demo
    from liuguan.livelihood.welfare.demo import welfare_demo
    from liuguan.permits.management.commands.permits_demo import permits_demo

    # given: a small demo province with permits, welfare records, schools and grid events
    generate(persons=400, seed=9)
    call_command("load_permit_policies", verbosity=0)
    permits_demo(share=0.5, seed=9)
    welfare_demo(seed=9, today=AS_OF)
    schooling_demo(seed=9, today=AS_OF)
    call_command("grid_rules", verbosity=0)
    # when: the cells are counted
    rollup_rebuild()
    assert rollup_refresh()["mode"] == "current"
    areas = ["51"]
    for level in (4, 6, 9, 12):
        areas.append(_largest(level, areas[-1]))
    assert all(areas) and [len(a) for a in areas] == [2, 4, 6, 9, 12]
    # then: each panel at each level is the direct query's
    for area in areas:
        cells, live = build_all(area, today=AS_OF), build_all(area, source="live", today=AS_OF)
        for name in PANELS:
            assert cells[name].as_dict() == live[name].as_dict(), (area, name)
    province = build_all("51", today=AS_OF)
    for name in ("children", "flows", "pyramid", "origins", "industries", "housing", "tenancy", "permits", "schools"):
        assert province[name].total, name
