"""Subsystems and their keys: created, issued, rotated, revoked and deactivated by administrators, each audited,
and the hub honours the change on the next call.
"""

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import api_client
from liuguan.core.audit import audit_verify
from liuguan.core.errors import InvalidInput, NotFound, PermissionDenied
from liuguan.core.models import AuditEvent
from liuguan.exchange.models import Subsystem
from liuguan.exchange.services.members import (
    subsystem_create,
    subsystem_deactivate,
    subsystem_key_issue,
    subsystem_key_revoke,
    subsystem_key_rotate,
)

from .factories import make_department, make_grant

pytestmark = pytest.mark.django_db


def verify(key, person):
    body = {"doc_number": person.doc_number, "case_ref": "C-1"}
    return api_client(key).post("/api/exchange/verify/residence", body, content_type="application/json")


@pytest.fixture
def admin(users):
    return users[Role.PROVINCE_ADMIN]


@pytest.fixture
def hrss(divisions):
    return make_department()


def test_a_subsystem_gets_a_service_account_without_password_login(admin, hrss):
    subsystem = subsystem_create(
        actor=admin, department_code="hrss", code="insurance", name="社保核验", rate_per_minute=120
    )
    account = subsystem.account
    assert account.role == Role.DEPARTMENT_USER and account.department_id == "hrss"
    assert not account.has_usable_password() and account.division_id is None
    event = AuditEvent.objects.get(action="subsystem.create")
    assert event.actor_id == admin.pk and event.changes["rate_per_minute"] == 120


def test_bad_subsystems_are_refused_with_field_and_rule(admin, users, hrss):
    subsystem_create(actor=admin, department_code="hrss", code="insurance", name="社保")
    with pytest.raises(InvalidInput) as caught:
        subsystem_create(actor=admin, department_code="hrss", code="insurance", name="", rate_per_minute=0)
    rules = {(p.field, p.rule) for p in caught.value.problems}
    assert rules == {
        ("code", "exchange.subsystem_code_taken"),
        ("name", "exchange.subsystem_name"),
        ("rate_per_minute", "exchange.rate"),
    }
    with pytest.raises(InvalidInput) as caught:
        subsystem_create(actor=admin, department_code="nowhere", code="Bad Code", name="x")
    assert {p.rule for p in caught.value.problems} == {"exchange.department_unknown", "exchange.subsystem_code"}
    for role in (Role.DEPARTMENT_USER, Role.COUNTY_OFFICER, Role.AUDITOR):
        with pytest.raises(PermissionDenied):
            subsystem_create(actor=users[role], department_code="hrss", code="other", name="x")
    assert Subsystem.objects.count() == 1


def test_keys_are_issued_rotated_and_revoked(admin, hrss, person_in):
    subsystem = subsystem_create(actor=admin, department_code="hrss", code="insurance", name="社保")
    make_grant(subsystem, "residence", fields=["resides"], ways=["verify"])
    first, first_key = subsystem_key_issue(actor=admin, subsystem_id=subsystem.pk, days=30)
    assert first.key_hash != first_key and first_key.startswith("lg_")
    assert verify(first_key, person_in).json() == {"answer": True}

    second, second_key = subsystem_key_rotate(actor=admin, subsystem_id=subsystem.pk, token_id=first.pk)
    assert verify(first_key, person_in).status_code == 401
    assert verify(second_key, person_in).status_code == 200

    subsystem_key_revoke(actor=admin, subsystem_id=subsystem.pk, token_id=second.pk)
    assert verify(second_key, person_in).status_code == 401
    actions = list(AuditEvent.objects.filter(action__startswith="subsystem.").values_list("action", flat=True))
    assert actions == [
        "subsystem.create",
        "subsystem.key_issue",
        "subsystem.key_issue",
        "subsystem.key_revoke",
        "subsystem.key_revoke",
    ]
    assert audit_verify().ok


def test_rotation_of_another_subsystems_key_changes_nothing(admin, hrss):
    one = subsystem_create(actor=admin, department_code="hrss", code="one", name="一")
    two = subsystem_create(actor=admin, department_code="hrss", code="two", name="二")
    token, _key = subsystem_key_issue(actor=admin, subsystem_id=one.pk)
    with pytest.raises(NotFound):
        subsystem_key_rotate(actor=admin, subsystem_id=two.pk, token_id=token.pk)
    with pytest.raises(NotFound):
        subsystem_key_revoke(actor=admin, subsystem_id=two.pk, token_id=token.pk)
    token.refresh_from_db()
    assert token.revoked_at is None and two.account.api_tokens.count() == 0
    with pytest.raises(InvalidInput):
        subsystem_key_issue(actor=admin, subsystem_id=one.pk, days=0)


def test_a_deactivated_subsystem_stops_at_once(admin, hrss, person_in):
    subsystem = subsystem_create(actor=admin, department_code="hrss", code="insurance", name="社保")
    make_grant(subsystem, "residence", fields=["resides"], ways=["verify"])
    _token, key = subsystem_key_issue(actor=admin, subsystem_id=subsystem.pk)
    assert verify(key, person_in).status_code == 200
    subsystem_deactivate(actor=admin, subsystem_id=subsystem.pk)
    assert verify(key, person_in).status_code == 401
    assert AuditEvent.objects.get(action="subsystem.deactivate").changes["keys_revoked"] == 1
    with pytest.raises(InvalidInput):
        subsystem_key_issue(actor=admin, subsystem_id=subsystem.pk)
