"""The administrators' pages: departments, a subsystem added, a key shown once, a grant issued and revoked."""

import datetime as dt

import pytest

from liuguan.accounts.models import ApiToken
from liuguan.accounts.roles import Role
from liuguan.conftest import login
from liuguan.core.identity import china_today
from liuguan.exchange.models import Grant, Subsystem

from .factories import make_department

pytestmark = pytest.mark.django_db


def test_an_administrator_joins_a_subsystem_and_grants_it(users):
    make_department()
    admin = login(users[Role.CITY_OFFICER])
    index = admin.get("/exchange/")
    assert index.status_code == 200 and "人力资源和社会保障局" in index.content.decode()
    created = admin.post(
        "/exchange/departments/hrss/", {"code": "insurance", "name": "社保核验", "rate_per_minute": 60}
    )
    subsystem = Subsystem.objects.get(code="insurance")
    assert created.status_code == 302 and created["Location"] == f"/exchange/subsystems/{subsystem.pk}/"

    issued = admin.post(f"/exchange/subsystems/{subsystem.pk}/keys/", {"days": 90})
    token = ApiToken.objects.get(user=subsystem.account)
    key = issued.content.decode().split('data-testid="new-key"')[1].split("<code>")[1].split("</code>")[0]
    assert ApiToken.digest(key) == token.key_hash
    assert key not in admin.get(f"/exchange/subsystems/{subsystem.pk}/").content.decode()

    today = china_today()
    grant_body = {
        "dataset": "people",
        "fields": "name, sex",
        "ways": ["query"],
        "purpose": "参保核验",
        "area_code": "5101",
        "valid_from": today.isoformat(),
        "expires_on": (today + dt.timedelta(days=30)).isoformat(),
    }
    refused = admin.post(f"/exchange/subsystems/{subsystem.pk}/grants/", {**grant_body, "area_code": "5107"})
    assert refused.status_code == 422 and not Grant.objects.exists()
    assert admin.post(f"/exchange/subsystems/{subsystem.pk}/grants/", grant_body).status_code == 302
    grant = Grant.objects.get()
    assert grant.fields == ["name", "sex"] and grant.granted_by == users[Role.CITY_OFFICER]
    admin.post(f"/exchange/grants/{grant.pk}/revoke/", {"reason": "试点结束"})
    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_only_exchange_administrators_open_the_pages(users):
    make_department()
    for role in (Role.DEPARTMENT_USER, Role.AUDITOR, Role.POLICE, Role.COUNTY_OFFICER):
        client = login(users[role])
        assert client.get("/exchange/").status_code == 403
        assert client.post("/exchange/departments/hrss/", {"code": "x", "name": "x"}).status_code == 403
    assert not Subsystem.objects.exists()
