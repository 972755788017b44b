"""Each figure of the new panels on hand-made cases: what a reader of the dashboard would see, from the cells after a
rebuild, and the same from the direct query over the live tables."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.insight.measures import MEASURES
from liuguan.insight.panels import PANELS, build_panel
from liuguan.insight.rollup import rollup_rebuild

from . import measures_world as w

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 6, 15)
C1, C2, C3 = w.COMMUNITIES[0], w.COMMUNITIES[1], w.COMMUNITIES[2]  # two townships of 锦江区
WUHOU = w.COMMUNITIES[3]  # 武侯区, same city


def shown(name: str, area: str, today: dt.date = TODAY) -> dict:
    """The panel from the cells (rebuilt now), after checking the direct query gives exactly the same."""
    rollup_rebuild()
    cells = build_panel(name, area, today=today).as_dict()
    assert cells == build_panel(name, area, source="live", today=today).as_dict()
    return cells


def series(panel: dict) -> dict[str, list]:
    return {s["name"]: s["data"] for s in panel["series"]}


def test_every_measure_code_fits_a_cell_and_every_panel_has_a_title():
    assert all(len(code) <= 16 for code in MEASURES)
    for name in (
        "industries",
        "housing",
        "tenancy",
        "permits",
        "rights",
        "schools",
        "timeliness",
        "staleness",
        "spot_checks",
        "grid",
    ):
        assert name in PANELS


def test_industries_count_open_stays_by_their_employer_industry(divisions):
    factory, builder = w.employer(C1, industry="C"), w.employer(C2, industry="E")
    w.stay(C1, employer=factory)
    w.stay(C2, employer=factory)  # works in one community, lives in another: counted where they live
    w.stay(C1, employer=builder)
    w.stay(C1)
    w.stay(C1, employer=factory, departed=dt.date(2025, 6, 1))  # gone: not counted
    w.stay(WUHOU, employer=builder)  # outside the township
    panel = shown("industries", "510104001")
    assert panel["keys"] == ["C", "", "E"]
    assert panel["series"][0]["data"] == [2, 1, 1]
    assert panel["total"] == 4
    assert shown("industries", C2)["keys"] == ["C"]
    assert shown("industries", "5101")["series"][0]["data"] == [2, 2, 1]  # E 2, then '' and C


def test_housing_kinds_count_hotel_stays_and_stays_without_a_house(divisions):
    rental, owned = w.house(C1, kind="rental"), w.house(C1, kind="owned")
    w.stay(C1, house=rental)
    w.stay(C1, house=rental)
    w.stay(C1, house=owned)
    w.stay(C1, lodging=w.lodging(C1))
    w.stay(C1)
    panel = shown("housing", C1)
    assert dict(zip(panel["keys"], panel["series"][0]["data"], strict=True)) == {
        "rental": 2,
        "owned": 1,
        "lodging": 1,
        "": 1,
    }


def test_tenancy_coverage_counts_rental_houses_with_an_active_filing(divisions):
    filed_lived_in = w.house(C1)
    w.filing(filed_lived_in)
    w.stay(C1, house=filed_lived_in)
    unfiled_lived_in = w.house(C1)
    w.stay(C1, house=unfiled_lived_in)
    w.house(C1)  # rental, empty, never filed
    marked_rented = w.house(C1, kind="owned", is_rented=True)
    w.filing(marked_rented, status="ended")  # the filing ended: not covered any more
    renewed = w.house(C1)
    w.filing(renewed, status="ended")
    w.filing(renewed)
    w.house(C1, kind="owned")  # not let: not counted
    gone = w.house(C1)
    w.stay(C1, house=gone, departed=dt.date(2025, 1, 1))  # its tenant left: empty
    panel = shown("tenancy", C1)
    figures = panel["figures"]
    assert (figures["houses"], figures["filed"], figures["unfiled"]) == (6, 2, 4)
    assert figures["coverage"] == round(2 / 6, 4)
    assert (figures["occupied"], figures["occupied_unfiled"], figures["occupied_coverage"]) == (2, 1, 0.5)
    assert [s["data"] for s in panel["series"]] == [[1, 1], [1, 3]]  # lived in now, empty; filed, not filed


def test_permits_held_by_kind_and_status(divisions):
    for kind, status in [
        ("temporary", "valid"),
        ("temporary", "valid"),
        ("temporary", "suspended"),
        ("formal", "valid"),
        ("formal", "issued"),
        ("formal", "upgraded"),
        ("temporary", "upgraded"),
        ("permit", "expired"),
    ]:
        w.permit(C1, kind=kind, status=status)
    w.permit(WUHOU, kind="formal", status="valid")
    panel = shown("permits", "510104")
    assert panel["keys"] == ["permit", "temporary", "formal"]
    assert panel["total"] == panel["figures"]["held"] == 5
    assert panel["figures"]["valid"] == 3 and panel["figures"]["suspended"] == 1
    assert panel["figures"]["held_by_kind"] == {"permit": 0, "temporary": 3, "formal": 2}
    by_status = {name: data for name, data in series(panel).items()}
    assert len(by_status) == 5  # valid, issued, suspended, expired, upgraded: only the statuses present
    assert [sum(data) for data in by_status.values()] == [3, 1, 1, 1, 2]
    assert shown("permits", "5101")["figures"]["held_by_kind"]["formal"] == 3


def test_rights_used_per_right_with_this_years_count(divisions):
    w.school_application(C1, status="placed", year=2026)
    w.school_application(C1, status="placed", year=2025)
    w.school_application(C1, status="submitted")
    w.school_application(C1, status="refused")
    w.enrolment(C1, status="completed")
    w.enrolment(C1, status="dropped")
    w.enrolment(C1, subsidised=False)  # not a permit right
    w.job_seeker(C1, status="employed", on=dt.date(2025, 11, 1))
    w.legal_aid(C1, status="opened")
    w.treatment("510104", status="approved")
    w.treatment("510104", status="filed")
    w.treatment("510107", status="approved")  # another county
    panel = shown("rights", "510104")
    used, waiting, other = (s["data"] for s in panel["series"])
    assert panel["keys"] == ["right_school", "right_training", "right_treatment", "right_jobs", "right_legal_aid"]
    assert used == [2, 1, 1, 1, 0]
    assert waiting == [1, 0, 1, 0, 1]
    assert other == [1, 1, 0, 0, 0]
    assert panel["figures"]["used_this_year"] == {
        "right_school": 1,
        "right_training": 1,
        "right_treatment": 1,
        "right_jobs": 0,
        "right_legal_aid": 0,
    }
    # Remote treatment is filed for a county: a township or community below it has no such figure.
    township = shown("rights", "510104001")
    assert [s["data"][2] for s in township["series"]] == [0, 0, 0]
    assert shown("rights", "5101")["series"][0]["data"][2] == 2


def test_children_at_school_by_kind_and_level_where_the_school_is(divisions):
    public, private = w.school(C1, kind="public"), w.school(C2, kind="private")
    w.school_record(public, level="primary")
    w.school_record(public, level="primary")
    w.school_record(public, level="junior")
    w.school_record(private, level="primary")
    w.school_record(private, level="junior", ended=dt.date(2025, 7, 1))  # left: not at school now
    panel = shown("schools", "510104001")
    assert panel["keys"] == ["primary", "junior"]
    assert list(series(panel).values()) == [[2, 1], [1, 0]]
    assert panel["figures"]["public"] == 3 and panel["figures"]["private"] == 1
    assert panel["figures"]["public_share"] == 0.75
    assert shown("schools", C2)["total"] == 1


def test_timeliness_counts_registrations_by_china_month_on_time_or_late(divisions):
    # 23:30 on 31 March in China is still March (15:30 UTC); 00:30 on 1 April is April (16:30 UTC on 31 March).
    w.stay(C1, registered=w.at(dt.date(2026, 3, 31), dt.time(23, 30)))
    w.stay(C1, registered=w.at(dt.date(2026, 4, 1), dt.time(0, 30)), late=True)
    w.stay(C1, registered=w.at(dt.date(2026, 4, 20)))
    w.stay(C1, registered=w.at(dt.date(2024, 4, 20)), late=True)  # more than 24 months back: not on the chart
    panel = shown("timeliness", C1)
    on_time, late = (s["data"] for s in panel["series"])
    months = panel["keys"]
    assert months[-1] == "202606" and len(months) == 24
    assert (on_time[months.index("202603")], late[months.index("202603")]) == (1, 0)
    assert (on_time[months.index("202604")], late[months.index("202604")]) == (1, 1)
    assert panel["figures"]["registered_12m"] == 3 and panel["figures"]["late_12m"] == 1
    assert panel["figures"]["on_time_share_12m"]["value"] == pytest.approx(2 / 3)


def test_staleness_is_the_scorecards_count_of_stays_not_confirmed_for_six_months(divisions, settings):
    from liuguan.oversight.cells import cells_rebuild
    from liuguan.oversight.selectors_scorecard_measures import open_measures

    settings.LIUGUAN_QUALITY = {**settings.LIUGUAN_QUALITY, "stale_months": 6}
    w.stay(C1, verified=dt.date(2025, 11, 30))  # before 1 December 2025: stale on 15 June 2026
    w.stay(C1, verified=dt.date(2025, 12, 1))
    w.stay(C1, registered=w.at(dt.date(2025, 11, 15)))  # never confirmed, registered long ago: stale
    w.stay(C1, registered=w.at(dt.date(2026, 6, 1)))
    w.stay(C1, verified=dt.date(2024, 1, 1), departed=dt.date(2025, 1, 1))  # gone
    panel = shown("staleness", C1)
    assert panel["total"] == 4
    assert panel["figures"]["stale"] == 2
    assert panel["series"][0]["data"] == [1, 0, 3, 0, 0]  # 0-2, 3-5, 6-11, 12-23, 24+ months
    cells_rebuild()
    assert open_measures(parent="510104001", level="community", stale_before=dt.date(2025, 12, 1), memory=False)[
        C1
    ] == [4, 2]


def test_spot_check_error_rate_is_the_scorecards_stratified_estimate(divisions, users):
    from liuguan.oversight.selectors_checks import error_by_unit

    collector, other = users[Role.COLLECTOR], users[Role.GRID_WORKER]
    spot = w.spot_round("510104")
    # Collector one: 40 records in C1, 3 checked, 1 wrong; collector two: 10 records in C2, 2 checked, both wrong.
    w.stratum(spot, collector, C1, records=40, drawn=4)
    w.stratum(spot, other, C2, records=10, drawn=2)
    for outcome in ("right", "right", "wrong", "unreachable"):
        w.spot_check(spot, collector, C1, outcome=outcome, done=dt.date(2026, 2, 28))
    w.spot_check(spot, other, C2, outcome="wrong", done=dt.date(2026, 3, 1))
    w.spot_check(spot, other, C2, outcome="wrong", done=dt.date(2026, 3, 2))
    w.spot_check(spot, other, C2, outcome="assigned")  # not done: not counted
    panel = shown("spot_checks", "510104")
    figures = panel["figures"]
    assert (figures["checked_12m"], figures["wrong_12m"], figures["unreachable_12m"]) == (5, 3, 1)
    # Weighted by the records behind each collector's sample: (40 * 1/3 + 10 * 2/2) / 50.
    assert figures["error_rate_12m"]["value"] == pytest.approx((40 / 3 + 10) / 50)
    scorecard = error_by_unit(
        user=users[Role.COUNTY_OFFICER], level="county", parent="510104", start=dt.date(2025, 7, 1), end=TODAY
    )["510104"]
    assert figures["error_rate_12m"]["value"] == pytest.approx(scorecard.estimate.value)
    assert figures["error_rate_12m"]["low"] == pytest.approx(scorecard.estimate.low)
    right, wrong, unreachable, rate = (s["data"] for s in panel["series"])
    february, march = panel["keys"].index("202602"), panel["keys"].index("202603")
    assert (right[february], wrong[february], unreachable[february]) == (2, 1, 1)
    assert (wrong[march], rate[march], rate[february]) == (2, 1.0, round(1 / 3, 4))


def test_grid_events_by_month_closed_on_time_or_late_open_or_overdue(divisions):
    w.grid_event(C1, state="closed", reported=dt.date(2026, 5, 3))
    w.grid_event(C1, state="closed_not_fixed", late=True, reported=dt.date(2026, 5, 9))
    w.grid_event(C1, state="accepted", reported=dt.date(2026, 5, 20))
    w.grid_event(C1, state="transmitted", late=True, reported=dt.date(2026, 6, 1))
    w.grid_event(C1, state="discovered", reported=dt.date(2023, 6, 1))  # old, still open: in the totals only
    w.grid_event(WUHOU, state="closed", reported=dt.date(2026, 5, 3))
    panel = shown("grid", "510104")
    data = dict(
        zip(
            ("closed_on_time", "closed_late", "open", "open_overdue"), (s["data"] for s in panel["series"]), strict=True
        )
    )
    may, june = panel["keys"].index("202605"), panel["keys"].index("202606")
    assert [data[k][may] for k in data] == [1, 1, 1, 0]
    assert [data[k][june] for k in data] == [0, 0, 0, 1]
    assert panel["figures"]["open_now"] == 3 and panel["figures"]["closed_on_time_share"] == 0.5
    assert panel["total"] == 5
