import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, citizen_id
from liuguan.core.errors import NotFound
from liuguan.registry.duplicates import citizen_number_variants
from liuguan.registry.models import DuplicateReview, Person
from liuguan.registry.services import LikelyDuplicate, PersonInput, StayInput, duplicate_confirm_same, person_register


def _register(user, number, name, **kw):
    return person_register(
        actor=user,
        person=PersonInput(doc_type="citizen_id", doc_number=number, name=name),
        stay=StayInput(community_code=IN_COMMUNITY, arrived_on=dt.date(2025, 3, 1), reason="work"),
        **kw,
    )


def test_variants_are_valid_numbers_one_step_away():
    number = citizen_id("511321", "19900307", "123")
    variants = citizen_number_variants(number)
    assert number not in variants and len(variants) == 17 * 9 + 16 - sum(number[i] == number[i + 1] for i in range(16))
    swapped = number[:3] + number[4] + number[3] + number[5:17]
    assert swapped + __import__("liuguan.core.identity", fromlist=["x"]).mod11_2_check(swapped) in variants


def test_same_pinyin_and_birth_date_warns_and_both_answers_are_recorded(users, person_in):
    collector = users[Role.COLLECTOR]
    # 张叁 reads zhang san like 张三 and is born the same day, under another (valid) number.
    other = citizen_id("510104", "19900307", "551")
    with pytest.raises(LikelyDuplicate) as exc_info:
        _register(collector, other, "张叁")
    (candidate,) = exc_info.value.candidates
    assert candidate.person == person_in and "same_pinyin_and_birth_date" in candidate.reasons
    assert Person.objects.count() == 1
    done = _register(collector, other, "张叁", not_duplicate_of=[person_in.pk])
    review = DuplicateReview.objects.get()
    assert (review.candidate, review.registered, review.decision) == (person_in, done.person, "different")
    assert review.actor == collector


def test_number_one_digit_apart_warns(users, person_in):
    n = person_in.doc_number
    typo = n[:15] + str((int(n[15]) + 1) % 10) + n[16]
    from liuguan.core.identity import mod11_2_check

    with pytest.raises(LikelyDuplicate) as exc_info:
        _register(users[Role.COLLECTOR], typo + mod11_2_check(typo), "章山")
    assert "number_one_digit_or_transposition_apart" in exc_info.value.candidates[0].reasons


def test_name_one_character_apart_on_the_same_birth_date_warns(users, person_in):
    with pytest.raises(LikelyDuplicate) as exc_info:
        _register(users[Role.COLLECTOR], citizen_id("510104", "19900307", "771"), "张王")
    assert exc_info.value.candidates[0].reasons == ["name_one_char_apart_same_birth_date"]


def test_unrelated_person_registers_without_warning(users, person_in):
    _register(users[Role.COLLECTOR], citizen_id("510104", "19880101", "771"), "刘备")
    assert Person.objects.count() == 2 and not DuplicateReview.objects.exists()


def test_likely_duplicates_outside_scope_are_not_shown(users, person_far):
    # 王五 lives in Chongqing, outside the collector's community: nothing about them is revealed.
    _register(users[Role.COLLECTOR], citizen_id("510104", "19921120", "771"), "王五")
    assert Person.objects.count() == 2


def test_same_person_answer_is_recorded(users, person_in, person_far):
    duplicate_confirm_same(actor=users[Role.COLLECTOR], candidate_id=person_in.pk)
    review = DuplicateReview.objects.get()
    assert (review.candidate, review.decision, review.registered) == (person_in, "same", None)
    with pytest.raises(NotFound):
        duplicate_confirm_same(actor=users[Role.COLLECTOR], candidate_id=person_far.pk)
