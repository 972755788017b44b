"""Agreement pages, API, commands and tasks: what an officer sees and does, in and out of scope."""

import datetime as dt

import pytest
from django.core.management import call_command

from liuguan.accounts.roles import Role
from liuguan.compliance.models import AgreementReminder, Breach, PersonTier, ResponsibilityAgreement
from liuguan.conftest import OUT_COMMUNITY, api_client, login
from liuguan.core.identity import china_today
from liuguan.core.testing import assert_matches_openapi

from . import factories_agreements as make

pytestmark = pytest.mark.django_db

TODAY = china_today()
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def test_an_officer_signs_on_the_page_and_lands_on_the_agreement(users):
    home = make.house(owner="刘房东")
    client = login(users[Role.STATION_OFFICER])
    form = client.get(f"/compliance/agreements/new/?kind=landlord&party_id={home.pk}")
    assert form.status_code == 200

    response = client.post(
        "/compliance/agreements/new/",
        {"kind": "landlord", "party_id": home.pk, "signatory": "刘房东", "signed_on": TODAY.isoformat()},
    )

    agreement = ResponsibilityAgreement.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/compliance/agreements/{agreement.pk}/"
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert agreement.number in page and "刘房东" in page and 'data-state="valid"' in page
    assert "出租人应当查验承租人的有效身份证件" in page  # the text signed


def test_the_sign_page_shows_the_broken_rule_on_the_party_field(users):
    far = make.house(OUT_COMMUNITY)
    response = login(users[Role.STATION_OFFICER]).post(
        "/compliance/agreements/new/",
        {"kind": "landlord", "party_id": far.pk, "signatory": "甲", "signed_on": TODAY.isoformat()},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 200
    assert "Choose a party registered inside your area" in response.content.decode()
    assert not ResponsibilityAgreement.objects.exists()


def test_the_agreements_page_shows_reminders_and_expired_agreements(users, divisions):
    ending = make.agreement("landlord", make.house(), starts_on=days(-340), ends_on=days(12), number="L-1")
    make.agreement("hotel", make.lodging(), starts_on=days(-400), ends_on=days(-40), number="H-9")
    make.agreement("landlord", make.house(OUT_COMMUNITY), starts_on=days(-340), ends_on=days(5), number="L-FAR")
    call_command("agreement_reminders")

    page = login(users[Role.STATION_OFFICER]).get("/compliance/agreements/").content.decode()

    reminders = page.split('data-testid="reminders"')[1].split("</table>")[0]
    expired = page.split('data-testid="expired"')[1].split("</table>")[0]
    assert ending.number in reminders and "12" in reminders
    assert "H-9" in expired
    assert "L-FAR" not in page


def test_renewing_and_terminating_on_the_page(users, divisions):
    old = make.agreement("employer", make.employer(), starts_on=days(-350), ends_on=days(15))
    client = login(users[Role.STREET_OFFICER])

    renewed = client.post(
        f"/compliance/agreements/{old.pk}/renew/", {"signatory": "厂长", "signed_on": TODAY.isoformat()}
    )
    renewal = old.renewals.get()
    assert renewed["Location"] == f"/compliance/agreements/{renewal.pk}/"
    assert renewal.starts_on == days(16)

    client.post(f"/compliance/agreements/{renewal.pk}/terminate/", {"terminated_on": days(20).isoformat(),
                                                                     "reason": "企业搬迁"})  # fmt: skip
    renewal.refresh_from_db()
    assert renewal.terminated_on == days(20)


def test_out_of_scope_agreements_answer_not_found_and_stay_unchanged(users, divisions):
    far = make.agreement("landlord", make.house(OUT_COMMUNITY), starts_on=days(-10), ends_on=days(300))
    client = login(users[Role.STATION_OFFICER])

    assert client.get(f"/compliance/agreements/{far.pk}/").status_code == 404
    assert client.post(f"/compliance/agreements/{far.pk}/terminate/",
                       {"terminated_on": TODAY.isoformat(), "reason": "x"}).status_code == 404  # fmt: skip
    far.refresh_from_db()
    assert far.terminated_on is None


def test_a_collector_may_read_but_not_sign(users, divisions):
    client = login(users[Role.COLLECTOR])
    assert client.get("/compliance/agreements/").status_code == 200
    assert client.get("/compliance/agreements/new/").status_code == 403


def test_agreement_api_sign_renew_terminate_and_list(users, token_for):
    home = make.house()
    client = api_client(token_for(users[Role.POLICE]))

    signed = client.post(
        "/api/compliance/agreements",
        {"kind": "landlord", "house_id": home.pk, "signatory": "甲", "signed_on": days(-360).isoformat()},
        content_type="application/json",
    )
    assert signed.status_code == 201, signed.content
    assert_matches_openapi("POST", "/api/compliance/agreements", signed)
    body = signed.json()
    assert body["state"] == "expiring" and body["template"] == "landlord v1"

    again = client.post(
        "/api/compliance/agreements",
        {"kind": "landlord", "house_id": home.pk, "signatory": "甲", "signed_on": TODAY.isoformat()},
        content_type="application/json",
    )
    assert again.status_code == 409 and again.json()["existing_id"] == body["id"]
    assert_matches_openapi("POST", "/api/compliance/agreements", again)

    renewed = client.post(
        f"/api/compliance/agreements/{body['id']}/renew",
        {"signatory": "甲", "signed_on": TODAY.isoformat()},
        content_type="application/json",
    )
    assert renewed.status_code == 201 and renewed.json()["state"] == "not_started"
    assert_matches_openapi("POST", f"/api/compliance/agreements/{body['id']}/renew", renewed)

    ended = client.post(
        f"/api/compliance/agreements/{renewed.json()['id']}/terminate",
        {"terminated_on": TODAY.isoformat(), "reason": "房屋收回"},
        content_type="application/json",
    )
    assert ended.status_code == 200 and ended.json()["state"] == "terminated"  # a renewal called off before it began
    late = client.post(
        f"/api/compliance/agreements/{body['id']}/terminate",
        {"terminated_on": days(30).isoformat(), "reason": "房屋收回"},
        content_type="application/json",
    )
    assert late.status_code == 422
    assert_matches_openapi("POST", f"/api/compliance/agreements/{body['id']}/terminate", late)
    assert late.json()["detail"][0]["rule"] == "agreement.terminate_in_term"

    listed = client.get("/api/compliance/agreements?state=expiring")
    assert_matches_openapi("GET", "/api/compliance/agreements", listed)
    assert [a["id"] for a in listed.json()] == [body["id"]]
    one = client.get(f"/api/compliance/agreements/{body['id']}")
    assert_matches_openapi("GET", f"/api/compliance/agreements/{body['id']}", one)
    lapsed = client.get("/api/compliance/agreements/expired")
    assert lapsed.status_code == 200 and lapsed.json() == []


def test_agreement_api_hides_other_areas(users, token_for):
    far = make.agreement("landlord", make.house(OUT_COMMUNITY), starts_on=days(-10), ends_on=days(300))
    client = api_client(token_for(users[Role.POLICE]))
    response = client.get(f"/api/compliance/agreements/{far.pk}")
    assert response.status_code == 404
    assert_matches_openapi("GET", f"/api/compliance/agreements/{far.pk}", response)
    assert client.get("/api/compliance/agreements").json() == []


def test_the_commands_detect_raise_and_classify(users, divisions):
    home = make.house()
    make.filing(home, starts_on=days(-100), ends_on=days(200))
    tenant = make.person()
    make.stay(tenant, house=home, arrived_on=days(-30))
    make.agreement("landlord", home, starts_on=days(-340), ends_on=days(20))

    call_command("detect_breaches")
    call_command("detect_breaches")
    call_command("agreement_reminders")
    call_command("recompute_tiers")

    assert Breach.objects.filter(kind="missing_report", person=tenant).count() == 1
    assert AgreementReminder.objects.count() == 1
    assert PersonTier.objects.get(person=tenant).tier == "ordinary"


def test_the_tasks_run_on_the_job_runner(users, divisions, settings):
    settings.TASKS = IMMEDIATE
    from liuguan.compliance.tasks import agreement_reminders_task, detect_breaches_task, recompute_tiers_task

    make.agreement("hotel", make.lodging(), starts_on=days(-340), ends_on=days(20))
    home = make.house()
    make.filing(home, starts_on=days(-100), ends_on=days(200))
    make.stay(make.person(), house=home, arrived_on=days(-30))

    assert detect_breaches_task.enqueue().return_value == {"missing_report": 1, "late_report": 0}
    assert agreement_reminders_task.enqueue().return_value == {"raised": 1, "closed": 0}
    assert recompute_tiers_task.enqueue().return_value == {"written": 1}


def test_the_classification_page_lists_rules_and_counts(users, divisions, token_for):
    who = make.person()
    make.stay(who, house=make.house(), arrived_on=days(-10))
    call_command("recompute_tiers")

    page = login(users[Role.CITY_OFFICER]).get("/compliance/classification/").content.decode()
    assert "一般流动人口" in page and "近一年有违法或违约记录" in page
    assert login(users[Role.STATION_OFFICER]).get("/compliance/classification/").status_code == 403

    response = api_client(token_for(users[Role.CITY_OFFICER])).get("/api/compliance/classification")
    assert_matches_openapi("GET", "/api/compliance/classification", response)
    body = response.json()
    assert {t["tier"]: t["people"] for t in body["tiers"]} == {"stable": 0, "ordinary": 1, "attention": 0}
    assert [r["people"] for r in body["rules"] if r["position"] == 90] == [1]

    tier = api_client(token_for(users[Role.STATION_OFFICER])).get(f"/api/compliance/persons/{who.pk}/tier")
    assert_matches_openapi("GET", f"/api/compliance/persons/{who.pk}/tier", tier)
    assert tier.json()["rule"] == "一般流动人口"
