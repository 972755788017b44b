"""Fixtures of the permit tests: the shipped policies loaded as rows, a movable clock, residents with stays."""

import datetime as dt
import itertools

import pytest

from liuguan.conftest import IN_COMMUNITY, citizen_id
from liuguan.registry.models import Person, Stay

_sequence = itertools.count(101)


@pytest.fixture
def permit_policies(db):
    """The national regulations (prefix "") and the Chengdu profile (prefix "5101") as PermitPolicy rows."""
    from liuguan.permits.models import PermitPolicy
    from liuguan.permits.services.policies import permit_policies_load

    permit_policies_load()
    return {row.code: row for row in PermitPolicy.objects.all()}


@pytest.fixture
def clock(monkeypatch):
    """Set the day the permit services and pages take as today: clock(dt.date(2025, 9, 26))."""

    def set_day(day: dt.date) -> dt.date:
        monkeypatch.setattr("liuguan.permits.services.common.china_today", lambda: day)
        return day

    return set_day


@pytest.fixture
def resident(divisions):
    """A person with an open stay from `arrived_on` in `community`, and optional earlier closed stays."""

    def make(
        name: str = "赵一",
        *,
        community: str = IN_COMMUNITY,
        arrived_on: dt.date = dt.date(2024, 5, 1),
        earlier: tuple = (),
        address: str = "东御河沿街 18 号",
    ) -> Person:
        seq = next(_sequence)
        person = Person.objects.create(
            doc_type="citizen_id",
            doc_number=citizen_id("511321", "19880808", f"{seq % 1000:03d}"),
            name=name,
            name_pinyin=f"p{seq}",
            name_initials=f"p{seq}",
            sex="M",
            birth_date=dt.date(1990, 3, 7),
            hukou_code="511321",
        )
        for code, arrived, departed in earlier:
            Stay.objects.create(
                person=person,
                community_id=code,
                reason="work",
                arrived_on=arrived,
                departed_on=departed,
                source_channel="collector",
                address="旧址 1 号",
            )
        person.stay = Stay.objects.create(
            person=person,
            community_id=community,
            reason="work",
            arrived_on=arrived_on,
            source_channel="collector",
            address=address,
        )
        return person

    return make


ALL_MATERIALS = {"id_card": True, "photo": True, "lease": True, "labour_contract": True}
