"""A person's facts for the rights rules: the current permit and its state, insurance months, housing kinds."""

import datetime as dt

import pytest

from liuguan.permits.facts import person_facts, whole_months
from liuguan.permits.policy import Status

from ._permrights import file_tenancy, house_for, insurance, make_permit

pytestmark = pytest.mark.django_db
D = dt.date


def test_whole_months_complete_on_the_corresponding_day():
    assert whole_months(D(2025, 1, 15), D(2025, 6, 14)) == 4
    assert whole_months(D(2025, 1, 15), D(2025, 6, 15)) == 5
    assert whole_months(D(2025, 1, 31), D(2025, 2, 28)) == 1  # Civil Code Art. 201: the month's last day
    assert whole_months(D(2025, 3, 1), D(2025, 2, 1)) == 0


def test_insurance_months_run_from_the_earliest_enrolment(resident):
    person = resident()
    insurance(person, D(2025, 3, 1))
    insurance(person, D(2025, 1, 15))
    insurance(person, D(2025, 7, 1))  # after the day: not counted
    assert person_facts(person, D(2025, 6, 14)).social_insurance_months == 4


def test_the_departments_own_count_wins_when_it_sends_one(resident):
    person = resident()
    insurance(person, D(2020, 1, 1))
    insurance(person, D(2025, 5, 1), months=30)  # gaps the register cannot see
    assert person_facts(person, D(2025, 6, 14)).social_insurance_months == 30


def test_no_insurance_record_is_zero_months(resident):
    assert person_facts(resident(), D(2025, 6, 14)).social_insurance_months == 0


@pytest.mark.parametrize(
    ("kind", "filed", "expected"),
    [
        ("owned", False, "owned"),
        ("rental", True, "filed_rental"),
        ("rental", False, "rental"),
        ("dormitory", False, ""),
        (None, False, ""),
    ],
)
def test_housing_kinds(resident, kind, filed, expected):
    person = resident()
    if kind:
        house = house_for(person, kind)
        if filed:
            file_tenancy(person, house, starts_on=D(2025, 1, 1), ends_on=D(2025, 12, 31))
    assert person_facts(person, D(2025, 6, 14)).housing == expected


def test_an_ended_or_lapsed_filing_is_a_plain_rental(resident):
    person = resident()
    house = house_for(person, "rental")
    file_tenancy(person, house, starts_on=D(2024, 1, 1), ends_on=D(2024, 12, 31))
    file_tenancy(person, house, starts_on=D(2025, 1, 1), ends_on=D(2025, 12, 31), status="ended")
    assert person_facts(person, D(2025, 6, 14)).housing == "rental"


def test_the_current_permit_skips_revoked_ones_and_counts_endorsed_years(resident, permit_policies):
    person = resident(arrived_on=D(2021, 1, 1))
    chengdu = permit_policies["chengdu"]
    make_permit(person, chengdu, kind="formal", issued_on=D(2023, 1, 10), endorsed=(D(2023, 12, 20), D(2024, 12, 20)))
    make_permit(person, chengdu, kind="formal", issued_on=D(2024, 6, 1), status="revoked")
    facts = person_facts(person, D(2025, 6, 1))
    assert (facts.permit_kind, facts.permit_status, facts.years_held) == ("formal", Status.VALID, 2)


def test_a_missed_endorsement_suspends_the_permit_in_the_facts(resident, permit_policies):
    person = resident(arrived_on=D(2021, 1, 1))
    make_permit(person, permit_policies["chengdu"], kind="formal", issued_on=D(2023, 1, 10))
    assert person_facts(person, D(2024, 3, 1)).permit_status == Status.SUSPENDED


def test_no_permit_no_kind(resident):
    facts = person_facts(resident(), D(2025, 6, 1))
    assert (facts.permit_kind, facts.permit_status, facts.years_held) == (None, None, 0)
