"""A small schooling world: a family in the fixture community (father, mother, a child of seven), another
family far away, a migrant account for the father, and two schools serving the community."""

import datetime as dt
from types import SimpleNamespace

import pytest

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import FAR_COMMUNITY, IN_COMMUNITY, PASSWORD, citizen_id
from liuguan.livelihood.schooling.models import Guardianship, School, SchoolPlaces
from liuguan.registry.models import Person, Stay


def make_person(name, number, community, *, born, sex="M", arrived=dt.date(2024, 5, 1)) -> Person:
    person = Person.objects.create(
        doc_type="citizen_id",
        doc_number=number,
        name=name,
        name_pinyin=name,
        name_initials=name[:1],
        sex=sex,
        birth_date=born,
        hukou_code=number[:6],
    )
    Stay.objects.create(
        person=person,
        community_id=community,
        reason="work",
        arrived_on=arrived,
        source_channel="collector",
        address="东御河沿街 8 号",
    )
    return person


@pytest.fixture
def family(divisions):
    father = make_person("赵大", citizen_id("511321", "19880101", "111"), IN_COMMUNITY, born=dt.date(1988, 1, 1))
    mother = make_person(
        "钱二", citizen_id("511321", "19900202", "122"), IN_COMMUNITY, born=dt.date(1990, 2, 2), sex="F"
    )
    child = make_person("赵小", citizen_id("511321", "20190505", "131"), IN_COMMUNITY, born=dt.date(2019, 5, 5))
    Guardianship.objects.create(child=child, guardian=father, relation="father")
    Guardianship.objects.create(child=child, guardian=mother, relation="mother")
    other_parent = make_person("孙三", citizen_id("500101", "19870303", "151"), FAR_COMMUNITY, born=dt.date(1987, 3, 3))
    other_child = make_person("孙小", citizen_id("500101", "20180606", "161"), FAR_COMMUNITY, born=dt.date(2018, 6, 6))
    Guardianship.objects.create(child=other_child, guardian=other_parent, relation="father")
    migrant = User(username="zhaoda", role=Role.MIGRANT, person=father, full_name="赵大")
    migrant.set_password(PASSWORD)
    migrant.save()
    stranger = User(username="sunsan", role=Role.MIGRANT, person=other_parent, full_name="孙三")
    stranger.set_password(PASSWORD)
    stranger.save()
    return SimpleNamespace(
        father=father,
        mother=mother,
        child=child,
        other_parent=other_parent,
        other_child=other_child,
        migrant=migrant,
        stranger=stranger,
    )


@pytest.fixture
def schools(divisions):
    public = School.objects.create(
        name="督院街小学",
        kind="public",
        levels=["primary"],
        community_id=IN_COMMUNITY,
        catchment=["510104001"],
    )
    private = School.objects.create(
        name="锦华实验学校",
        kind="private",
        levels=["primary", "junior"],
        community_id="510104002001",
        catchment=["510104002"],
    )
    far = School.objects.create(
        name="太白小学", kind="public", levels=["primary"], community_id=FAR_COMMUNITY, catchment=[FAR_COMMUNITY]
    )
    for school in (public, private, far):
        for year in (2026, 2027):
            SchoolPlaces.objects.create(school=school, level="primary", year=year, places=2)
    return SimpleNamespace(public=public, private=private, far=far)
