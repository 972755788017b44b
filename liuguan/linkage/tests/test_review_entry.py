"""The entry-time duplicate warning with a trained model: the batch runs' standardisation and comparisons."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, citizen_id
from liuguan.registry.duplicates import likely_duplicates
from liuguan.registry.models import Person
from liuguan.registry.services import LikelyDuplicate, PersonInput, StayInput, person_register

from .factories import activate_model, person


def _register(user, number, name, **kw):
    return person_register(
        actor=user,
        person=PersonInput(doc_type="citizen_id", doc_number=number, name=name, phone=kw.pop("phone", "")),
        stay=StayInput(community_code=IN_COMMUNITY, arrived_on=dt.date(2025, 3, 1), reason="work"),
        **kw,
    )


def test_traditional_name_under_a_mistyped_number_warns_with_the_models_reasons(users, person_in):
    activate_model()
    n = person_in.doc_number
    # 張三 (traditional characters) with two digits of the number swapped and a recomputed check digit.
    body = n[:14] + n[15] + n[14] + n[16]
    with pytest.raises(LikelyDuplicate) as exc_info:
        _register(users[Role.COLLECTOR], citizen_id(body[:6], body[6:14], body[14:17]), "張三", phone=person_in.phone)
    (candidate,) = exc_info.value.candidates
    assert candidate.person == person_in and candidate.probability >= 0.5
    assert "name exact characters" in candidate.reasons and "same phone" in candidate.reasons
    assert Person.objects.count() == 1


def test_a_namesake_born_the_same_day_elsewhere_is_not_a_duplicate_under_the_model(users, person_in):
    activate_model()
    # Same birth date, same pinyin, different number, hukou, phone and sex: the rules warned, the model does not.
    found = likely_duplicates(
        name="张山",
        name_pinyin="zhangshan",
        birth_date=person_in.birth_date,
        doc_type="citizen_id",
        doc_number=citizen_id("440301", "19900307", "224"),
        sex="F",
        phone="13111111111",
        hukou_code="440301",
    )
    assert found == []


def test_merged_away_people_are_never_candidates(users, person_in):
    twin = person(citizen_id("510104", "19900307", "557"), "张叁", pinyin="zhangsan", departed=dt.date(2024, 9, 1))
    Person.objects.filter(pk=twin.pk).update(merged_into=person_in)
    found = likely_duplicates(
        name="张叁", name_pinyin="zhangsan", birth_date=dt.date(1990, 3, 7), doc_type="citizen_id", doc_number="x"
    )
    assert [c.person.pk for c in found] == [person_in.pk]


def test_a_passport_holder_is_checked_without_failing_the_registration(users, person_in):
    activate_model()
    found = likely_duplicates(
        name="JOHN SMITH",
        name_pinyin="johnsmith",
        birth_date=person_in.birth_date,
        doc_type="passport",
        doc_number="K12345678",
        sex="M",
        nationality="USA",
    )
    assert [c.person for c in found] in ([], [person_in])
