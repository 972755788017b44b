"""The error rate from spot checks, by hand: stratified by collector and community for areas, Wilson per collector."""

import datetime as dt
import math

import pytest

from liuguan.accounts.roles import Role
from liuguan.core.identity import china_today
from liuguan.oversight.selectors_checks import CheckRow, error_by_unit, feedback_by_unit, figures
from liuguan.oversight.services.feedback import task_fix, task_open
from liuguan.oversight.services.spotchecks import check_record, round_create
from liuguan.oversight.stats import Z95, wilson

from .test_spotchecks_world import EAST, SEPTEMBER, WEST, build, make_user

WRONG = {"ethnicity": {"verdict": "corrected"}, "phone": {"verdict": "confirmed"}}
RIGHT = {"ethnicity": {"verdict": "confirmed"}, "phone": {"verdict": "confirmed"}}


def _rows(round_id, collector, community, point, wrong, right, unreachable=0):
    return (
        [CheckRow(round_id, collector, community, point, "done", WRONG) for _ in range(wrong)]
        + [CheckRow(round_id, collector, community, point, "done", RIGHT) for _ in range(right)]
        + [CheckRow(round_id, collector, community, point, "unreachable", {}) for _ in range(unreachable)]
    )


# Collector 1 registered 100 records in EAST, 5 checked, 1 wrong; collector 2 registered 20 in WEST, 5 checked,
# none wrong, and one more person could not be found.
ROWS = _rows(1, 1, EAST, 11, 1, 4) + _rows(1, 2, WEST, 12, 0, 5, unreachable=1)
SIZES = {(1, 1, EAST): 100, (1, 2, WEST): 20}
POINTS = {(1, 1, EAST): {11: 5}, (1, 2, WEST): {12: 6}}


def test_the_county_weights_each_collector_by_what_they_registered():
    county = figures(ROWS, SIZES, "county", POINTS)["510104"]
    # p = 100/120 * 1/5 + 20/120 * 0/5
    p = 100 / 120 * 0.2
    # var = W_A^2 (1 - n_A/N_A) p_A (1 - p_A) / (n_A - 1); stratum B has p_B = 0 and adds nothing.
    se = math.sqrt((100 / 120) ** 2 * (1 - 5 / 100) * 0.2 * 0.8 / 4)
    assert p == pytest.approx(0.166667, abs=1e-6) and se == pytest.approx(0.162447, abs=1e-6)
    assert county.estimate.value == pytest.approx(p)
    assert county.estimate.se == pytest.approx(se)
    assert county.estimate.low == 0.0
    assert county.estimate.high == pytest.approx(p + Z95 * se)
    assert county.estimate.high == pytest.approx(0.485056, abs=1e-6)
    assert (county.checked, county.wrong, county.unreachable) == (10, 1, 1)
    # The plain share of checked records would say 10%: the busy collector's records are under-counted there.
    assert county.estimate.value > 1 / 10
    assert county.by_field["ethnicity"].value == pytest.approx(0.1)
    assert county.by_field["phone"].value == 0
    assert "small_sample" in county.estimate.notes


def test_communities_and_points_are_their_own_strata():
    east = figures(ROWS, SIZES, "community", POINTS)[EAST]
    assert east.estimate.value == pytest.approx(0.2)
    assert east.estimate.se == pytest.approx(math.sqrt(0.95 * 0.2 * 0.8 / 4))
    west = figures(ROWS, SIZES, "community", POINTS)[WEST]
    assert west.estimate.value == 0 and west.estimate.high == pytest.approx(wilson(0, 5).high)
    points = figures(ROWS, SIZES, "point", POINTS)
    assert set(points) == {11, 12} and points[11].estimate.value == pytest.approx(0.2)


def test_a_collector_gets_the_plain_share_with_wilsons_interval():
    collectors = figures(ROWS, SIZES, "collector", POINTS)
    assert collectors[1].estimate == wilson(1, 5)
    assert collectors[2].estimate == wilson(0, 5) and collectors[2].unreachable == 1


def test_unchecked_strata_are_flagged_and_checks_still_to_do_say_nothing():
    waiting = [CheckRow(1, 3, EAST, 11, "assigned", {})]
    county = figures(ROWS + waiting, {**SIZES, (1, 3, EAST): 50}, "county", POINTS)["510104"]
    assert county.checked == 10 and 3 not in figures(waiting, SIZES, "collector")
    assert county.estimate.value == pytest.approx(100 / 120 * 0.2)  # the estimate covers the checked strata
    assert "strata_unchecked" in county.estimate.notes


@pytest.fixture
def checked(users):
    """A September round with every assigned check answered: c1's records wrong twice, c2's never."""
    world = build(users)
    start, end = SEPTEMBER
    spot = round_create(
        actor=users[Role.COUNTY_OFFICER],
        division_code="510104",
        period_start=start,
        period_end=end,
        seed=11,
        fields=["ethnicity", "hukou_address"],
    )
    wrong_left = 2
    for check in spot.checks.filter(verifier__isnull=False).order_by("id"):
        verdicts = {"ethnicity": {"verdict": "confirmed"}, "hukou_address": {"verdict": "confirmed"}}
        if check.collector_id == world["c1"].pk and wrong_left:
            verdicts["ethnicity"] = {"verdict": "corrected", "found": "07"}
            wrong_left -= 1
        check_record(actor=check.verifier, check_id=check.pk, verdicts=verdicts)
    return world, spot


@pytest.mark.django_db
def test_error_by_unit_from_the_database(checked):
    world, _spot = checked
    today = china_today()
    county_officer = world[Role.COUNTY_OFFICER]
    county = error_by_unit(user=county_officer, level="county", parent=None, start=today, end=today)
    # c1: 8 records, 5 checked, 2 wrong; c2: 3 records, 3 checked, none wrong; c3's 4 records had no verifier.
    p = 8 / 11 * 2 / 5
    se = math.sqrt((8 / 11) ** 2 * (1 - 5 / 8) * 0.4 * 0.6 / 4)
    figure = county["510104"]
    assert (figure.checked, figure.wrong) == (8, 2)
    assert figure.estimate.value == pytest.approx(p) and figure.estimate.se == pytest.approx(se)
    assert "strata_unchecked" in figure.estimate.notes  # c3's records were drawn but nobody could check them
    collectors = error_by_unit(user=county_officer, level="collector", parent=EAST, start=today, end=today)
    assert collectors[world["c1"].pk].estimate == wilson(2, 5)
    assert collectors[world["c2"].pk].estimate == wilson(0, 3)
    assert world["c3"].pk not in collectors
    # Another period, another area, an officer elsewhere: nothing.
    yesterday = today - dt.timedelta(days=1)
    assert error_by_unit(user=county_officer, level="county", start=yesterday, end=yesterday) == {}
    assert error_by_unit(user=county_officer, level="community", parent=WEST, start=today, end=today) == {}
    elsewhere = make_user("mianyang", Role.COUNTY_OFFICER, "510703")
    assert error_by_unit(user=elsewhere, level="county", start=today, end=today) == {}
    assert error_by_unit(user=elsewhere, level="county", parent="510104", start=today, end=today) == {}
    # A station officer sees their own community only, with the same figure as the county sees for it.
    station = error_by_unit(user=world[Role.STATION_OFFICER], level="community", start=today, end=today)
    assert set(station) == {EAST}
    assert (
        station[EAST].estimate
        == error_by_unit(user=county_officer, level="community", start=today, end=today)[EAST].estimate
    )


@pytest.mark.django_db
def test_feedback_by_unit_counts_open_overdue_and_fixed(checked):
    world, _spot = checked
    today = china_today()
    officer = world[Role.COUNTY_OFFICER]
    before = feedback_by_unit(user=officer, level="collector", start=today, end=today)
    c1 = world["c1"].pk
    assert (before[c1].open, before[c1].fixed, before[c1].opened) == (2, 0, 2)
    task = task_open(
        actor=world[Role.STATION_OFFICER],
        object_type="registry.person",
        object_id=world["stays"]["c2"][0].person_id,
        field="hukou_address",
        found_value="四川省南充市另一村",
        note="户籍地址不符",
    )
    task.due_on = today - dt.timedelta(days=1)
    task.save(update_fields=["due_on"])
    after = feedback_by_unit(user=officer, level="collector", start=today, end=today)
    c2 = world["c2"].pk
    assert (after[c2].open, after[c2].overdue) == (1, 1)
    task_fix(actor=world["c2"], task_id=task.pk, value="四川省南充市另一村")
    fixed = feedback_by_unit(user=officer, level="collector", start=today, end=today)
    assert (fixed[c2].open, fixed[c2].overdue, fixed[c2].fixed) == (0, 0, 1)
    area = feedback_by_unit(user=officer, level="street", start=today, end=today)["510104001"]
    assert (area.open, area.fixed) == (2, 1)
    assert (
        feedback_by_unit(user=make_user("my", Role.COUNTY_OFFICER, "510703"), level="county", start=today, end=today)
        == {}
    )


def test_a_collectors_records_in_several_communities_form_one_stratum_in_the_county():
    # Collector 3 registered 10 people in each community; one of each was checked, the one in EAST was wrong.
    rows = _rows(2, 3, EAST, 13, 1, 0) + _rows(2, 3, WEST, 13, 0, 1)
    sizes = {(2, 3, EAST): 10, (2, 3, WEST): 10}
    county = figures(rows, sizes, "county")["510104"]
    assert county.estimate.value == pytest.approx(0.5)
    assert county.estimate.se == pytest.approx(math.sqrt((1 - 2 / 20) * 0.25 / 1))
    assert "single_check_strata" not in county.estimate.notes
    # Within one community the collector's part is a single check: its variance cannot be estimated.
    assert "single_check_strata" in figures(rows, sizes, "community")[EAST].estimate.notes
