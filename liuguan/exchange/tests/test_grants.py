"""Grants are issued only with real fields, known ways, a purpose and a division inside the officer's own area."""

import datetime as dt

import pytest

from liuguan.accounts.roles import Role
from liuguan.core.errors import InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.models import AuditEvent
from liuguan.exchange.models import Grant
from liuguan.exchange.services.grants import grant_issue, grant_revoke

from .factories import make_department, make_subsystem

pytestmark = pytest.mark.django_db
TODAY = china_today()


@pytest.fixture
def subsystem(divisions):
    return make_subsystem(make_department())


def issue(actor, subsystem, **overrides):
    args = {
        "subsystem_id": subsystem.pk,
        "dataset": "people",
        "fields": ["name", "sex"],
        "ways": ["query"],
        "purpose": "社保参保核验",
        "area_code": "5101",
        "valid_from": TODAY,
        "expires_on": TODAY + dt.timedelta(days=365),
        **overrides,
    }
    return grant_issue(actor=actor, **args)


def test_a_grant_is_issued_and_audited(users, subsystem):
    grant = issue(users[Role.CITY_OFFICER], subsystem)
    assert grant.fields == ["name", "sex"] and grant.area_id == "5101" and grant.granted_by == users[Role.CITY_OFFICER]
    event = AuditEvent.objects.get(action="grant.issue")
    assert event.division_code == "5101" and event.changes["fields"] == ["name", "sex"]


@pytest.mark.parametrize(
    ("overrides", "field", "rule"),
    [
        ({"fields": ["name", "salary"]}, "fields", "exchange.field_unknown"),
        ({"fields": []}, "fields", "exchange.fields_required"),
        ({"dataset": "horoscopes"}, "dataset", "exchange.dataset_unknown"),
        ({"ways": ["telepathy"]}, "ways", "exchange.way_unknown"),
        ({"ways": []}, "ways", "exchange.ways_required"),
        ({"purpose": "  "}, "purpose", "exchange.purpose_required"),
        ({"area_code": "519999"}, "area_code", "exchange.area_unknown"),
        ({"area_code": "5107"}, "area_code", "exchange.area_outside"),
        ({"expires_on": TODAY - dt.timedelta(days=1)}, "expires_on", "exchange.term"),
        ({"expires_on": TODAY + dt.timedelta(days=2000)}, "expires_on", "exchange.term_too_long"),
    ],
)
def test_bad_grants_name_field_and_rule_and_write_nothing(users, subsystem, overrides, field, rule):
    with pytest.raises(InvalidInput) as caught:
        issue(users[Role.CITY_OFFICER], subsystem, **overrides)
    assert [(p.field, p.rule) for p in caught.value.problems] == [(field, rule)]
    assert not Grant.objects.exists() and not AuditEvent.objects.filter(action="grant.issue").exists()


def test_only_exchange_administrators_grant(users, subsystem):
    for role in (Role.DEPARTMENT_USER, Role.AUDITOR, Role.POLICE, Role.COUNTY_OFFICER):
        with pytest.raises(PermissionDenied):
            issue(users[role], subsystem)
    assert issue(users[Role.PROVINCE_ADMIN], subsystem, area_code="5107").area_id == "5107"


def test_revoking_inside_ones_own_area(users, subsystem):
    province = issue(users[Role.PROVINCE_ADMIN], subsystem, area_code="5107")
    with pytest.raises(NotFound):
        grant_revoke(actor=users[Role.CITY_OFFICER], grant_id=province.pk)
    province.refresh_from_db()
    assert province.revoked_at is None
    grant_revoke(actor=users[Role.PROVINCE_ADMIN], grant_id=province.pk, reason="合同到期")
    province.refresh_from_db()
    assert province.revoked_at is not None
    assert AuditEvent.objects.get(action="grant.revoke").changes["reason"] == "合同到期"
