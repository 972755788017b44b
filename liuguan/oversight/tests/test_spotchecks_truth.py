"""The demo's truth plays the verifiers, and the estimate is set beside the true error rate (hand-made truth)."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.demo.models import Defect, DefectKind, DemoRun, TruePerson
from liuguan.oversight.models import FeedbackTask, SpotCheck
from liuguan.oversight.services.spotchecks import round_create
from liuguan.oversight.truth_errors import answer_from_truth, error_comparison

from .test_spotchecks_world import EAST, SEPTEMBER, WEST, build, register

pytestmark = pytest.mark.django_db


def _truth(run, stay, key, **different):
    p = stay.person
    values = {
        "name": p.name,
        "ethnicity": p.ethnicity,
        "hukou_address": p.hukou_address,
        "phone": p.phone,
        "education": p.education,
        "marital_status": p.marital_status,
        **different,
    }
    return TruePerson.objects.create(
        run=run,
        true_key=key,
        person=p,
        doc_type=p.doc_type,
        doc_number=p.doc_number,
        sex=p.sex,
        birth_date=p.birth_date,
        nationality="CHN",
        hukou_code=p.hukou_code,
        community_id=stay.community_id,
        arrived_on=stay.arrived_on,
        **values,
    )


@pytest.fixture
def world(users):
    made = build(users)
    run = DemoRun.objects.create(seed=1, persons=20)
    stays = made["stays"]
    # Truly wrong: two of c1's records (ethnicity, phone) and one of c3's (hukou address).
    wrong = {stays["c1"][0].pk: {"ethnicity": "07"}, stays["c1"][5].pk: {"phone": "13900001111"}}
    wrong[stays["c3"][1].pk] = {"hukou_address": "四川省南充市另一个村"}
    n = 0
    for group in stays.values():
        for stay in group:
            n += 1
            _truth(run, stay, f"P{n}", **wrong.get(stay.pk, {}))
    # c2's third record is a second registration of someone else (named differently): wrong by its name.
    dup = stays["c2"][2]
    TruePerson.objects.filter(person=dup.person).delete()
    real = register(made["c1"], EAST, on=dt.date(2025, 8, 1), name="周")  # the first registration, outside the period
    _truth(run, real, "P999")
    Defect.objects.create(run=run, kind=DefectKind.DUPLICATE, person=dup.person, true_key="P999")
    # c2's first person has really moved away: the verifier will not find them.
    TruePerson.objects.filter(person=stays["c2"][0].person).update(departed_on=dt.date(2025, 9, 20))
    return {**made, "dup": dup, "real": real}


def _round(world, size):
    start, end = SEPTEMBER
    return round_create(
        actor=world[Role.COUNTY_OFFICER],
        division_code="510104",
        period_start=start,
        period_end=end,
        seed=5,
        sample_size=size,
        fields=["name", "ethnicity", "hukou_address", "phone"],
    )


def test_the_truth_answers_every_check_and_the_comparison_sees_through_the_corrections(world):
    spot = _round(world, size=50)  # every record drawn: the estimate must equal the truth
    street = world[Role.STREET_OFFICER]  # stands in where nobody else works (西御河沿)
    assert answer_from_truth(spot, actor=street) == 15
    checks = {c.stay_id: c for c in SpotCheck.objects.filter(round=spot)}
    stays = world["stays"]
    assert checks[stays["c2"][0].pk].status == SpotCheck.Status.UNREACHABLE
    wrong = {sid for sid, c in checks.items() if c.is_wrong}
    assert wrong == {stays["c1"][0].pk, stays["c1"][5].pk, stays["c3"][1].pk, world["dup"].pk}
    dup = checks[world["dup"].pk]
    assert dup.results["name"]["found"] == world["real"].person.name  # the duplicate's true person
    stays["c1"][0].person.refresh_from_db()
    assert stays["c1"][0].person.ethnicity == "07"  # corrected by the check
    assert FeedbackTask.objects.filter(origin="spot_check").count() == 4
    rows = {r["unit"]: r for r in error_comparison(spot, level="community")}
    whole = error_comparison(spot, level="county")[0]
    assert whole["unit"] == "510104" and whole["records"] == 15
    # Judged on what the records held before the check corrected them: 4 wrong of 15.
    assert (whole["true_wrong"], whole["true_rate"]) == (4, pytest.approx(4 / 15))
    east, west = rows[EAST], rows[WEST]
    assert (east["records"], east["true_wrong"], west["records"], west["true_wrong"]) == (11, 3, 4, 1)
    # Everything but one person (not found) was checked; in 西御河沿 all were: the estimate is the truth there.
    assert west["estimate"].value == pytest.approx(0.25) and west["contains"]
    assert east["checked"] == 10 and east["unreachable"] == 1
    # c1: 8 records, all checked, 2 wrong; c2: 3 records, 2 checked (one not found), 1 wrong (the duplicate).
    assert east["wrong"] == 3 and east["estimate"].value == pytest.approx(8 / 11 * 2 / 8 + 3 / 11 * 1 / 2)
    assert east["contains"]


def test_a_stand_in_who_may_not_record_leaves_the_unassigned_checks(world):
    spot = _round(world, size=50)
    assert answer_from_truth(spot, actor=world[Role.PROVINCE_ADMIN]) == 11  # 西御河沿's 4 have no verifier
    assert spot.checks.filter(status=SpotCheck.Status.ASSIGNED, verifier__isnull=True).count() == 4


def test_a_partial_sample_is_compared_with_every_record(world):
    spot = _round(world, size=2)
    answer_from_truth(spot, actor=world[Role.STREET_OFFICER])
    rows = error_comparison(spot, level="county")
    whole = rows[0]
    assert whole["checked"] + whole["unreachable"] == 6  # 2 per collector
    assert (whole["records"], whole["true_wrong"]) == (15, 4)  # the truth covers the records not drawn
    assert [r["unit"] for r in rows] == ["510104", "510104"]
