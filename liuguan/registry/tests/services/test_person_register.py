import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY
from liuguan.core.audit import audit_verify
from liuguan.core.errors import Conflict, InvalidInput, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.registry.models import Person, Stay
from liuguan.registry.services import PersonInput, StayInput, person_register


def _stay(**over):
    return StayInput(**{"community_code": IN_COMMUNITY, "arrived_on": dt.date(2025, 3, 1), "reason": "work", **over})


def _rules(exc_info):
    return {(p.field, p.rule) for p in exc_info.value.problems}


def test_register_reads_birth_date_sex_and_hukou_from_the_id(users):
    done = person_register(
        actor=users[Role.COLLECTOR],
        person=PersonInput(
            doc_type="citizen_id", doc_number="11010519491231002x", name=" 曾  小明 ", phone="+86 139-1234-5678"
        ),
        stay=_stay(),
    )
    person = Person.objects.get()
    assert (person.doc_number, person.birth_date, person.sex) == ("11010519491231002X", dt.date(1949, 12, 31), "F")
    assert (person.hukou_code, person.name, person.phone) == ("110105", "曾 小明", "13912345678")
    assert (person.name_pinyin, person.name_initials) == ("zengxiaoming", "zxm")
    assert done.stay.community_id == IN_COMMUNITY and done.stay.collector == users[Role.COLLECTOR]
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    # The new stay is a fact of the classified management: the tier is worked out in the same transaction.
    assert actions == ["person.register", "stay.register", "tier.recompute"] and audit_verify().ok


def test_legacy_15_digit_number_is_converted(users):
    person_register(
        actor=users[Role.COLLECTOR],
        person=PersonInput(doc_type="citizen_id", doc_number="110105491231002", name="王芳"),
        stay=_stay(),
    )
    assert Person.objects.get().doc_number == "11010519491231002X"


def test_standard_example_with_1880_birth_is_accepted(users):
    person_register(
        actor=users[Role.STATION_OFFICER],
        person=PersonInput(doc_type="citizen_id", doc_number="440524188001010014", name="老人"),
        stay=_stay(arrived_on=dt.date(2000, 1, 1)),
    )
    assert Person.objects.get().birth_date == dt.date(1880, 1, 1)


@pytest.mark.parametrize(
    ("number", "field", "rule"),
    [
        ("110105194912310021", "doc_number", "gb11643.check_digit"),
        ("11010519491331002X", "doc_number", "gb11643.birth_date"),
        ("99010519491231002X", "doc_number", "gb11643.province"),
        ("1101051949123100", "doc_number", "gb11643.length"),
        ("", "doc_number", "gb11643.length"),
    ],
)
def test_bad_numbers_name_the_rule_and_write_nothing(users, number, field, rule):
    with pytest.raises(InvalidInput) as exc_info:
        person_register(
            actor=users[Role.COLLECTOR],
            person=PersonInput(doc_type="citizen_id", doc_number=number, name="某人"),
            stay=_stay(),
        )
    assert (field, rule) in _rules(exc_info)
    assert Person.objects.count() == Stay.objects.count() == AuditEvent.objects.count() == 0


def test_every_problem_is_reported_at_once(users):
    with pytest.raises(InvalidInput) as exc_info:
        person_register(
            actor=users[Role.COLLECTOR],
            person=PersonInput(
                doc_type="citizen_id",
                doc_number="11010519491231002X",
                name="",
                sex="M",
                birth_date=dt.date(1950, 1, 1),
                phone="12345",
            ),
            stay=_stay(arrived_on=dt.date(2999, 1, 1), reason="holiday"),
        )
    assert _rules(exc_info) == {
        ("name", "person.name_required"),
        ("sex", "person.sex_mismatch"),
        ("birth_date", "person.birth_date_mismatch"),
        ("phone", "mobile.format"),
        ("arrived_on", "stay.arrived_future"),
        ("reason", "stay.reason"),
    }


def test_one_document_number_is_one_person(users, person_in):
    with pytest.raises(Conflict) as exc_info:
        person_register(
            actor=users[Role.COLLECTOR],
            person=PersonInput(doc_type="citizen_id", doc_number=person_in.doc_number.lower(), name="张三"),
            stay=_stay(),
        )
    assert exc_info.value.rule == "person.one_per_document" and exc_info.value.existing_id == person_in.pk
    assert Person.objects.count() == 1


def test_existing_person_outside_scope_is_not_identified(users, person_far):
    with pytest.raises(Conflict) as exc_info:
        person_register(
            actor=users[Role.COLLECTOR],
            person=PersonInput(doc_type="citizen_id", doc_number=person_far.doc_number, name="王五"),
            stay=_stay(),
        )
    assert exc_info.value.existing_id is None


def test_unknown_area_code_is_a_warning_not_an_error(users):
    from liuguan.core.identity import mod11_2_check

    body = "51019919900101123"  # 510199 is not a 2023 county code but the province is real
    done = person_register(
        actor=users[Role.COLLECTOR],
        person=PersonInput(doc_type="citizen_id", doc_number=body + mod11_2_check(body), name="旧码"),
        stay=_stay(),
    )
    assert len(done.warnings) == 1 and Person.objects.count() == 1


def test_foreigner_with_passport_needs_birth_date_and_sex(users):
    with pytest.raises(InvalidInput) as exc_info:
        person_register(
            actor=users[Role.COLLECTOR],
            person=PersonInput(doc_type="passport", doc_number="E12345678", name="John Smith", nationality="GBR"),
            stay=_stay(),
        )
    assert {f for f, _r in _rules(exc_info)} == {"birth_date", "sex"}
    person_register(
        actor=users[Role.COLLECTOR],
        person=PersonInput(
            doc_type="passport",
            doc_number="e1234 5678",
            name="John Smith",
            nationality="gbr",
            sex="M",
            birth_date=dt.date(1980, 2, 3),
        ),
        stay=_stay(),
    )
    person = Person.objects.get()
    assert (person.doc_number, person.nationality, person.name_pinyin) == ("E12345678", "GBR", "johnsmith")


def test_roles_without_the_permission_are_refused(users):
    for role in (Role.AUDITOR, Role.DEPARTMENT_USER, Role.COUNTY_OFFICER, Role.POLICE):
        with pytest.raises(PermissionDenied):
            person_register(
                actor=users[role],
                person=PersonInput(doc_type="citizen_id", doc_number="11010519491231002X", name="某人"),
                stay=_stay(),
            )
    assert Person.objects.count() == 0
