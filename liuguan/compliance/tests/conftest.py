"""Duty holders bound to their objects: two landlords (a person, an organisation), an employer and a hotel."""

import datetime as dt

import pytest

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, OUT_COMMUNITY, PASSWORD, citizen_id
from liuguan.registry.models import Employer, House, Lodging, Person, Stay


def make_person(
    name, number, *, pinyin="x", sex="M", birth=dt.date(1980, 1, 1), nationality="CHN", doc_type="citizen_id"
):
    return Person.objects.create(
        doc_type=doc_type,
        doc_number=number,
        name=name,
        name_pinyin=pinyin,
        name_initials=pinyin[:2],
        sex=sex,
        birth_date=birth,
        nationality=nationality,
    )


def make_stay(person, *, community=IN_COMMUNITY, arrived=dt.date(2025, 1, 10), channel="collector", **extra):
    return Stay.objects.create(
        person=person, community_id=community, reason="work", arrived_on=arrived, source_channel=channel, **extra
    )


def duty_account(username, role, **bound) -> User:
    user = User(username=username, role=role, full_name=username, **bound)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def landlord_person(divisions):
    return make_person("房东甲", citizen_id("510104", "19700101", "111"), pinyin="fangdongjia")


@pytest.fixture
def house_a(landlord_person):
    return House.objects.create(
        community_id=IN_COMMUNITY, address="东御河沿街 1 号", kind="rental", landlord=landlord_person, rooms=3
    )


@pytest.fixture
def house_a2(landlord_person):
    """Landlord A's second house, in another community."""
    return House.objects.create(
        community_id="510104001002", address="西御河沿街 2 号", kind="rental", landlord=landlord_person
    )


@pytest.fixture
def landlord_org(divisions):
    return Employer.objects.create(name="锦江物业公司", industry="K", community_id=IN_COMMUNITY)


@pytest.fixture
def house_b(landlord_org):
    return House.objects.create(
        community_id=IN_COMMUNITY, address="东御河沿街 9 号", kind="rental", landlord_org=landlord_org, rooms=10
    )


@pytest.fixture
def house_other(divisions):
    """A rental house nobody here owns, outside the Jinjiang officers' jurisdiction."""
    return House.objects.create(community_id=OUT_COMMUNITY, address="南山路 5 号", kind="rental", owner_name="别人")


@pytest.fixture
def employer(divisions):
    return Employer.objects.create(name="东御河餐饮有限公司", industry="H", community_id=IN_COMMUNITY, staff_size=30)


@pytest.fixture
def lodging(divisions):
    return Lodging.objects.create(name="御河宾馆", address="东御河沿街 20 号", community_id=IN_COMMUNITY, rooms=40)


@pytest.fixture
def landlord_a(house_a, landlord_person):
    return duty_account("landlord_a", Role.LANDLORD, person=landlord_person)


@pytest.fixture
def landlord_b(house_b, landlord_org):
    return duty_account("landlord_b", Role.LANDLORD, organisation=landlord_org)


@pytest.fixture
def employer_user(employer):
    return duty_account("employer_1", Role.EMPLOYER, organisation=employer)


@pytest.fixture
def hotel_user(lodging):
    return duty_account("hotel_1", Role.HOTEL, lodging=lodging)


@pytest.fixture
def station(users):
    return users[Role.STATION_OFFICER]


def tenant_data(name="租客甲", seq="321", birth="19950505", **extra):
    from liuguan.registry.services import PersonInput

    return PersonInput(doc_type="citizen_id", doc_number=citizen_id("511321", birth, seq), name=name, **extra)
