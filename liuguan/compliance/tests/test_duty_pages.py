"""The pages: a landlord reports on its own page; officers file, end, follow up, resolve and see late reports."""

import datetime as dt

import pytest

from liuguan.conftest import citizen_id, login
from liuguan.core.identity import china_today
from liuguan.registry.models import Stay

from ..models import Disagreement, TenancyFiling
from .conftest import make_person, make_stay

pytestmark = pytest.mark.django_db
TODAY = china_today()


def test_a_landlord_reports_a_tenant_and_the_officer_sees_source_landlord(landlord_a, house_a, station):
    number = citizen_id("511321", "19950505", "321")
    client = login(landlord_a)
    page = client.get("/compliance/duties/").content.decode()
    assert house_a.address in page and 'data-testid="report-form"' in page
    response = client.post(
        "/compliance/duties/",
        {
            "kind": "arrival",
            "house_id": house_a.pk,
            "doc_type": "citizen_id",
            "doc_number": number,
            "name": "租客甲",
            "nationality": "CHN",
            "occurred_on": (TODAY - dt.timedelta(days=5)).isoformat(),
            "room": "302",
        },
    )
    assert response.status_code == 302
    stay = Stay.objects.get(person__doc_number=number)
    own = client.get("/compliance/duties/").content.decode()
    assert "租客甲" in own and stay.person.doc_number_masked in own and number not in own
    person_page = login(station).get(f"/registry/people/{stay.person_id}/").content.decode()
    assert "房东" in person_page  # the stay's source, "Landlord"
    reports = login(station).get("/compliance/reports/").content.decode()
    assert 'data-testid="late"' in reports and "租客甲" in reports  # 5 days against Chengdu's 2


def test_the_report_form_shows_the_broken_rule_next_to_the_field(landlord_a, house_a):
    response = login(landlord_a).post(
        "/compliance/duties/",
        {
            "kind": "arrival",
            "house_id": house_a.pk,
            "doc_type": "citizen_id",
            "doc_number": "510104199001011234",
            "name": "某",
            "nationality": "CHN",
            "occurred_on": TODAY.isoformat(),
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["doc_number"] and not Stay.objects.exists()


def test_an_officer_files_sees_and_ends_a_tenancy_through_the_pages(station, house_a, person_in):
    make_stay(make_person("住户", citizen_id("511321", "19900101", "771")), house=house_a)
    client = login(station)
    assert house_a.address in client.get("/compliance/houses/follow-up/").content.decode()
    response = client.post(
        "/compliance/tenancies/new/",
        {
            "house_id": house_a.pk,
            "starts_on": (TODAY - dt.timedelta(days=10)).isoformat(),
            "ends_on": (TODAY + dt.timedelta(days=355)).isoformat(),
            "rooms": "3",
            "monthly_rent": "1500",
            "person_ids": f"{person_in.pk}",
            "doc_type": "citizen_id",
            "doc_number": citizen_id("511321", "19950505", "321"),
            "name": "新租客",
        },
    )
    filing = TenancyFiling.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/compliance/tenancies/{filing.pk}/"
    detail = client.get(response["Location"]).content.decode()
    assert filing.number in detail and "新租客" in detail and person_in.doc_number not in detail
    assert filing.number in client.get("/compliance/tenancies/").content.decode()
    client.post(f"/compliance/tenancies/{filing.pk}/end/", {"ended_on": TODAY.isoformat(), "reason": "到期"})
    filing.refresh_from_db()
    assert filing.status == "ended"
    assert Stay.objects.get(person__name="新租客").departed_on == TODAY


def test_an_officer_resolves_a_disagreement_from_the_list(landlord_a, house_a, station):
    tenant = make_person("租客乙", citizen_id("511321", "19960606", "222"))
    stay = make_stay(tenant, arrived=TODAY - dt.timedelta(days=20))
    login(landlord_a).post(
        "/compliance/duties/",
        {
            "kind": "arrival",
            "house_id": house_a.pk,
            "doc_type": "citizen_id",
            "doc_number": tenant.doc_number,
            "name": "租客乙",
            "nationality": "CHN",
            "occurred_on": (TODAY - dt.timedelta(days=20)).isoformat(),
        },
    )
    item = Disagreement.objects.get()
    client = login(station)
    page = client.get("/compliance/disagreements/").content.decode()
    assert f'data-testid="disagreement-{item.pk}"' in page and house_a.address in page
    client.post(f"/compliance/disagreements/{item.pk}/resolve/", {"accept": "1", "note": "上门核实"})
    stay.refresh_from_db()
    item.refresh_from_db()
    assert item.status == "accepted" and stay.house == house_a
    assert f'data-testid="disagreement-{item.pk}"' not in client.get("/compliance/disagreements/").content.decode()


def test_the_officer_index_counts_what_needs_attention(station):
    page = login(station).get("/compliance/").content.decode()
    assert 'data-testid="open-disagreements"' in page
    assert "/compliance/" in login(station).get("/system/registry/").content.decode()


def test_a_rental_house_page_leads_to_filing_and_agreement(house_a, station, users):
    from liuguan.accounts.roles import Role

    page = login(station).get(f"/registry/houses/{house_a.pk}/").content.decode()
    assert f"/compliance/tenancies/new/?house={house_a.pk}" in page
    assert f"/compliance/agreements/new/?kind=landlord&amp;party_id={house_a.pk}" in page
    # A grid worker may look at the house but neither files tenancies nor signs agreements from a desk.
    grid = login(users[Role.GRID_WORKER]).get(f"/registry/houses/{house_a.pk}/").content.decode()
    assert "/compliance/agreements/new/" not in grid
