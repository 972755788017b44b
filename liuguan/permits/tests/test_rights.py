"""Rights and settlement read from data: what a permit grants, and the reasons given for what it does not."""

from liuguan.permits.policy import Status
from liuguan.permits.rights import Facts, rights_for, rights_load, settlement_check


def by_code(verdicts):
    return {v.code: v for v in verdicts}


def test_the_national_list_is_art_12_and_13():
    _version, rights = rights_load("national")
    assert len(rights) == 14 and {r.article.split()[0] + " " + r.article.split()[1] for r in rights} == {
        "Art. 12",
        "Art. 13",
    }


def test_chengdu_has_twelve_rights_and_a_temporary_permit_grants_only_some():
    _version, rights = rights_load("chengdu")
    assert len(rights) == 12
    found = by_code(rights_for(Facts("temporary", Status.VALID), "chengdu"))
    assert found["family_planning"].granted and found["vocational_training"].granted
    assert not found["compulsory_education"].granted
    assert found["compulsory_education"].missing == (("permit", ["formal"], "temporary"),)


def test_years_held_and_insurance_months_are_reasons_of_their_own():
    found = by_code(rights_for(Facts("formal", Status.VALID, years_held=1, social_insurance_months=5), "chengdu"))
    assert found["housing_fund"].missing == (("min_social_insurance_months", 6, 5),)
    assert found["public_rental_housing"].missing == (("min_social_insurance_months", 12, 5),)
    assert found["honours"].missing == (("min_years_held", 3, 1),)


def test_a_suspended_permit_grants_no_right_until_endorsed():
    found = rights_for(Facts("permit", Status.SUSPENDED, years_held=4), "national")
    assert not any(v.granted for v in found)
    assert all(v.missing == (("permit_valid", "valid", "suspended"),) for v in found)


def test_without_a_permit_everything_names_the_permit():
    found = rights_for(Facts(None, None), "national")
    assert all(v.missing[0][0] == "permit" for v in found)


def test_settlement_says_what_is_missing():
    ready = settlement_check(Facts("formal", Status.VALID, 2, 24, "owned"))
    assert ready.granted and ready.missing == ()
    short = settlement_check(Facts("formal", Status.VALID, 1, 30, "rented"))
    assert not short.granted
    assert [m[0] for m in short.missing] == ["min_years_held", "housing"]
