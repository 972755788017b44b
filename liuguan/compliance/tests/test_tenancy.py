"""Tenancy filing: numbers, stays linked or created, the house marked rented, and the end closing stays."""

import datetime as dt
import re

import pytest

from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, OUT_COMMUNITY, citizen_id
from liuguan.core.errors import InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.registry.models import House, Person, Stay

from ..codes import TenancyStatus
from ..models import TenancyFiling
from ..selectors import houses_for_follow_up
from ..services import TenantInput, tenancy_end, tenancy_file
from .conftest import make_person, make_stay, tenant_data

pytestmark = pytest.mark.django_db
TODAY = china_today()
START = TODAY - dt.timedelta(days=30)


def file(actor, house, tenants, **extra):
    return tenancy_file(
        actor=actor,
        house_id=house.pk,
        tenants=tenants,
        starts_on=extra.pop("starts_on", START),
        ends_on=extra.pop("ends_on", START + dt.timedelta(days=365)),
        rooms=extra.pop("rooms", "302"),
        monthly_rent=extra.pop("monthly_rent", "1200"),
        **extra,
    )


def test_filing_gives_a_readable_number_per_community_and_year(station, house_a, house_b, person_in):
    first = file(station, house_a, [person_in.pk])
    second = file(station, house_b, [TenantInput(person=tenant_data())])
    year = START.year
    assert first.number == f"ZL{IN_COMMUNITY}{year}0001" and second.number == f"ZL{IN_COMMUNITY}{year}0002"
    assert re.fullmatch(r"ZL\d{12}\d{4}\d{4}", first.number)
    assert first.landlord_name == "房东甲" and second.landlord_name == "锦江物业公司"


def test_an_officers_filing_links_moves_or_creates_the_tenants_stays(station, house_a):
    house_a.is_rented = False
    house_a.save()
    at_house = make_person("甲", citizen_id("511321", "19900101", "011"))
    stay_at_house = make_stay(at_house, house=house_a)
    elsewhere = make_person("乙", citizen_id("511321", "19900101", "031"))
    stay_no_house = make_stay(elsewhere)
    filing = file(station, house_a, [at_house.pk, elsewhere.pk, TenantInput(person=tenant_data())])
    by_person = {t.person.name: t.stay for t in filing.tenants.select_related("person", "stay")}
    assert by_person["甲"] == stay_at_house
    stay_no_house.refresh_from_db()
    assert by_person["乙"] == stay_no_house and stay_no_house.house == house_a
    new = by_person["租客甲"]
    assert new.house == house_a and new.arrived_on == START and new.source_channel == "collector"
    house_a.refresh_from_db()
    assert house_a.is_rented and filing.status == TenancyStatus.ACTIVE


def test_a_landlords_filing_reports_the_tenants_with_source_landlord(landlord_a, house_a):
    filing = file(landlord_a, house_a, [TenantInput(person=tenant_data())])
    tenant = filing.tenants.get()
    assert tenant.stay.source_channel == "landlord" and tenant.stay.house == house_a
    assert filing.channel == "landlord" and filing.filed_by == landlord_a


def test_landlords_file_only_for_their_own_houses_and_nothing_is_written(landlord_a, house_b, house_other):
    for house in (house_b, house_other):
        with pytest.raises(InvalidInput) as exc:
            file(landlord_a, house, [TenantInput(person=tenant_data())])
        assert {p.rule for p in exc.value.problems} == {"tenancy.house_in_scope"}
    assert not TenancyFiling.objects.exists() and not Person.objects.filter(name="租客甲").exists()


def test_officers_file_only_in_their_jurisdiction(station, house_other, users):
    with pytest.raises(InvalidInput):
        file(station, house_other, [TenantInput(person=tenant_data())])
    with pytest.raises(PermissionDenied):
        file(users[Role.POLICE], house_other, [TenantInput(person=tenant_data())])


def test_bad_filings_name_each_field(station, house_a, person_in):
    with pytest.raises(InvalidInput) as exc:
        file(
            station,
            house_a,
            [person_in.pk, person_in.pk, TenantInput(person=tenant_data(name=""))],
            ends_on=START - dt.timedelta(days=1),
            monthly_rent="abc",
        )
    found = {(p.field, p.rule) for p in exc.value.problems}
    assert ("ends_on", "tenancy.term_order") in found
    assert ("monthly_rent", "tenancy.rent") in found
    assert ("tenants.1", "tenancy.tenant_twice") in found
    assert ("tenants.2.name", "person.name_required") in found


def test_ending_a_tenancy_closes_the_tenants_stays_at_the_house(station, house_a):
    filing = file(station, house_a, [TenantInput(person=tenant_data())])
    end = TODAY - dt.timedelta(days=2)
    done = tenancy_end(actor=station, filing_id=filing.pk, ended_on=end, reason="合同到期")
    stay = Stay.objects.get(house=house_a)
    assert done.closed == [stay] and stay.departed_on == end
    filing.refresh_from_db()
    assert filing.status == TenancyStatus.ENDED and filing.ended_on == end and filing.end_reason == "合同到期"
    with pytest.raises(InvalidInput):
        tenancy_end(actor=station, filing_id=filing.pk, ended_on=end)


def test_a_tenant_in_another_active_filing_of_the_house_keeps_the_stay(station, house_a):
    old = file(station, house_a, [TenantInput(person=tenant_data())])
    person = old.tenants.get().person
    file(station, house_a, [person.pk], rooms="401", starts_on=TODAY - dt.timedelta(days=3))
    done = tenancy_end(actor=station, filing_id=old.pk, ended_on=TODAY)
    assert done.closed == [] and done.kept == [(person, "other_filing")]
    assert person.stays.get().departed_on is None


def test_a_tenant_registered_elsewhere_leaves_on_the_day_they_arrived_there(station, house_a, divisions):
    filing = file(station, house_a, [TenantInput(person=tenant_data())])
    person = filing.tenants.get().person
    moved_on = TODAY - dt.timedelta(days=10)
    make_stay(person, community=OUT_COMMUNITY, arrived=moved_on, address="南山路 7 号")
    done = tenancy_end(actor=station, filing_id=filing.pk, ended_on=TODAY)
    stay = Stay.objects.get(house=house_a)
    assert done.closed == [stay] and stay.departed_on == moved_on
    assert "南山社区" in stay.destination


def test_others_filings_answer_like_missing_ones(station, house_other, users, landlord_a, house_a):
    street = users[Role.STREET_OFFICER]
    from liuguan.accounts.models import User

    mianyang = User.objects.create(username="mianyang_station", role=Role.STATION_OFFICER, division_id=OUT_COMMUNITY)
    filing = file(mianyang, house_other, [TenantInput(person=tenant_data())])
    for actor in (station, street, landlord_a):
        with pytest.raises(NotFound):
            tenancy_end(actor=actor, filing_id=filing.pk, ended_on=TODAY)
    with pytest.raises(NotFound):
        tenancy_end(actor=station, filing_id=987654, ended_on=TODAY)
    assert TenancyFiling.objects.get().status == TenancyStatus.ACTIVE
    assert house_a  # landlord A's own house exists, still no reach into Mianyang


def test_rental_houses_with_people_but_no_filing_are_listed_for_follow_up(station, house_a, house_b, house_other):
    for i, house in enumerate((house_a, house_a, house_b, house_other)):
        make_stay(
            make_person(f"住户{i}", citizen_id("511321", "19900101", f"5{i}1")),
            community=house.community_id,
            house=house,
        )
    make_person("空房", citizen_id("511321", "19900101", "991"))
    House.objects.create(community_id=IN_COMMUNITY, address="空房 1 号", kind="rental", owner_name="某")
    listed = houses_for_follow_up(user=station)
    assert [(h.pk, h.open_stays) for h in listed["houses"]] == [(house_a.pk, 2), (house_b.pk, 1)]
    assert listed["house_count"] == 2 and listed["people"] == 3
    file(station, house_a, [Stay.objects.filter(house=house_a).first().person_id])
    assert [h.pk for h in houses_for_follow_up(user=station)["houses"]] == [house_b.pk]
