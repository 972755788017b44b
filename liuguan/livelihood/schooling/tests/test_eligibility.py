"""Eligibility on hand-made cases: each of Chengdu's conditions met and not met, with the reason given."""

import datetime as dt

import pytest

from liuguan.livelihood.schooling.eligibility import evaluate, rules_for
from liuguan.permits.tests._permrights import insurance, make_permit
from liuguan.permits.tests.conftest import permit_policies  # noqa: F401 (fixture)
from liuguan.registry.models import Stay

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 11, 1)
ALL_DOCUMENTS = ["hukou_booklet", "residence_permit", "lease", "labour_contract", "vaccination_certificate"]


def _check(family, documents=ALL_DOCUMENTS, level="primary", year=2027):
    rules = rules_for("510104001001", ON)
    result = evaluate(
        rules=rules,
        child=family.child,
        guardians=[family.father, family.mother],
        level=level,
        school_year=year,
        documents=documents,
        on=ON,
    )
    return result, {c["code"]: c for c in result["conditions"]}


@pytest.fixture
def eligible_family(family, permit_policies):  # noqa: F811
    make_permit(family.mother, permit_policies["chengdu"], kind="formal", issued_on=dt.date(2026, 3, 1))
    insurance(family.father, dt.date(2025, 1, 1))
    return family


def test_the_city_profile_applies_with_its_version(divisions):
    chengdu = rules_for("510104001001", ON)
    assert (chengdu.code, chengdu.content["stay_months"], chengdu.content["social_insurance_months"]) == (
        "chengdu",
        12,
        12,
    )
    assert rules_for("510703001001", ON).code == "national"  # 绵阳: no city profile, the national floor


def test_a_family_meeting_every_condition_is_eligible(eligible_family):
    result, by = _check(eligible_family)
    assert result["eligible"] is True and (result["rules"], result["version"]) == ("chengdu", "2024-04-01")
    assert [c["code"] for c in result["conditions"]] == ["permit", "stay", "social_insurance", "age", "documents"]
    assert all(c["met"] for c in by.values())
    assert "30" in by["stay"]["reason"] and "22" in by["social_insurance"]["reason"]


def test_no_valid_permit(family, permit_policies):  # noqa: F811
    # A temporary permit of 2025 lapsed after its one year.
    make_permit(family.father, permit_policies["chengdu"], kind="temporary", issued_on=dt.date(2025, 3, 1))
    insurance(family.father, dt.date(2025, 1, 1))
    result, by = _check(family)
    assert result["eligible"] is False
    assert by["permit"]["met"] is False and by["stay"]["met"] and by["social_insurance"]["met"]


def test_stay_too_short(eligible_family):
    Stay.objects.filter(person__in=[eligible_family.father, eligible_family.mother]).update(
        arrived_on=dt.date(2026, 1, 15)
    )
    result, by = _check(eligible_family)
    assert (result["eligible"], by["stay"]["met"]) == (False, False)
    assert "9" in by["stay"]["reason"] and "12" in by["stay"]["reason"]


def test_exactly_twelve_months_of_stay_is_enough(eligible_family):
    Stay.objects.filter(person=eligible_family.father).update(arrived_on=dt.date(2025, 11, 1))
    Stay.objects.filter(person=eligible_family.mother).update(arrived_on=dt.date(2025, 11, 2))
    _result, by = _check(eligible_family)
    assert by["stay"]["met"] is True


def test_social_insurance_from_the_department_short(family, permit_policies):  # noqa: F811
    make_permit(family.father, permit_policies["chengdu"], kind="formal", issued_on=dt.date(2026, 3, 1))
    insurance(family.father, dt.date(2026, 1, 1), months=8)
    # A declared record does not override what the department says.
    result, by = _check(family, documents=[*ALL_DOCUMENTS, "social_insurance_record"])
    assert (result["eligible"], by["social_insurance"]["met"]) == (False, False)
    assert "8" in by["social_insurance"]["reason"]


def test_social_insurance_declared_when_no_department_record(family, permit_policies):  # noqa: F811
    make_permit(family.father, permit_policies["chengdu"], kind="formal", issued_on=dt.date(2026, 3, 1))
    _result, without = _check(family)
    assert without["social_insurance"]["met"] is False
    result, declared = _check(family, documents=[*ALL_DOCUMENTS, "social_insurance_record"])
    assert declared["social_insurance"]["met"] is True and result["eligible"] is True


def test_child_too_young_for_primary(eligible_family):
    result, by = _check(eligible_family, year=2025)  # six on 5 May 2025, before 31 August
    assert by["age"]["met"] is True
    result, by = _check(eligible_family, year=2024)
    assert (result["eligible"], by["age"]["met"]) == (False, False)


def test_missing_documents_are_named(eligible_family):
    result, by = _check(eligible_family, documents=["hukou_booklet", "residence_permit"])
    assert result["eligible"] is False and by["documents"]["met"] is False
    assert "居住证明" in by["documents"]["reason"] and "预防接种证" in by["documents"]["reason"]
    # Junior secondary asks for the primary record instead of the vaccination certificate.
    _result, junior = _check(eligible_family, level="junior", year=2031, documents=ALL_DOCUMENTS)
    assert "小学学籍" in junior["documents"]["reason"] and "预防接种证" not in junior["documents"]["reason"]
