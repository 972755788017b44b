"""A hand-made county for the scorecard tests, with figures worked out by hand.

Chengdu's deadline is 7 days. In the period (the month eight months ago) collector A at point P1 in
东御河沿社区 registers 10 people with lags 0 1 2 3 5 8 13 21 40 90 days: 5 on time (50.0%, Wilson 95% CI
23.7–76.3%), median lag 5 (nearest rank 5 of 10), 90th percentile 40 (rank 9). Someone declares themself
in 和平街社区 (no collector, lag 2). In the month before, collector B at P2 in 西御河沿社区 registers 4 with lags
0 0 50 60: 2 on time, median 0, 90th percentile 60. Two of A's stays end and three are verified today;
everything else was last seen in February or March, more than six months ago: A has 8 open, 5 stale.
A uploaded a batch in the period: 20 rows read, 3 rejected.
"""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.collection.models import ImportBatch, ImportRow
from liuguan.conftest import citizen_id
from liuguan.core.identity import china_today
from liuguan.geo.models import Office
from liuguan.oversight.cells import CHINA, cells_rebuild
from liuguan.oversight.selectors_scorecard import Period, _add_months
from liuguan.registry.models import Person, Stay
from liuguan.registry.services import PersonInput, StayInput, person_register, stay_depart, stay_verify

A_COMMUNITY, B_COMMUNITY, SELF_COMMUNITY = "510104001001", "510104001002", "510104002001"
A_LAGS = [0, 1, 2, 3, 5, 8, 13, 21, 40, 90]
B_LAGS = [0, 0, 50, 60]
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨"


@dataclass
class World:
    period: Period
    a: User
    b: User
    p1: Office
    p2: Office
    a_stays: list[Stay]
    self_stay: Stay


def _register(actor, n: int, *, registered_at: dt.datetime, lag: int) -> Stay:
    birth = dt.date(1975, 1, 1) + dt.timedelta(days=41 * n)
    number = citizen_id("511321", birth.strftime("%Y%m%d"), f"{100 + n:03d}")
    name = SURNAMES[n % 16] + SURNAMES[(n * 5 + 3) % 16] + "明"
    arrived = registered_at.astimezone(CHINA).date() - dt.timedelta(days=lag)
    return person_register(
        actor=actor,
        person=PersonInput(doc_type="citizen_id", doc_number=number, name=name),
        stay=StayInput(community_code=actor.division_id, arrived_on=arrived, reason="work"),
    ).stay


@pytest.fixture(name="world")
def world_fixture(users, divisions, monkeypatch):
    today = china_today()
    period = Period.of("month", _add_months(today.replace(day=1), -8))
    p1 = Office.objects.create(kind="collection_point", name="督院街采集点", division=divisions[A_COMMUNITY])
    p2 = Office.objects.create(kind="collection_point", name="西御河采集点", division=divisions[B_COMMUNITY])
    a = User.objects.create(
        username="collector-a", full_name="采集员甲", role=Role.COLLECTOR, division=divisions[A_COMMUNITY], office=p1
    )
    b = User.objects.create(
        username="collector-b", full_name="采集员乙", role=Role.COLLECTOR, division=divisions[B_COMMUNITY], office=p2
    )
    real_now = timezone.now
    at = {"now": None}
    monkeypatch.setattr(timezone, "now", lambda: at["now"] or real_now())
    in_period = dt.datetime.combine(period.start + dt.timedelta(days=9), dt.time(10), tzinfo=CHINA)
    before = dt.datetime.combine(period.previous().start + dt.timedelta(days=14), dt.time(10), tzinfo=CHINA)
    a_stays = []
    for n, lag in enumerate(A_LAGS):
        at["now"] = in_period
        a_stays.append(_register(a, n, registered_at=in_period, lag=lag))
    for n, lag in enumerate(B_LAGS, start=20):
        at["now"] = before
        _register(b, n, registered_at=before, lag=lag)
    at["now"] = None
    # Self-declared (the portal has no collector): written directly, as no service exists for it yet.
    person = Person.objects.create(
        doc_type="citizen_id",
        doc_number=citizen_id("511321", "19880808", "777"),
        name="自申报",
        name_pinyin="zishenbao",
        name_initials="zsb",
        sex="M",
        birth_date=dt.date(1988, 8, 8),
    )
    self_stay = Stay.objects.create(
        person=person,
        community_id=SELF_COMMUNITY,
        reason="work",
        arrived_on=in_period.date() - dt.timedelta(days=2),
        registered_at=in_period,
        lag_days=2,
        late=False,
        source_channel="self",
    )
    for stay in a_stays[:2]:
        stay_depart(actor=a, stay_id=stay.pk, departed_on=today)
    stay_verify(actor=a, stay_ids=[s.pk for s in a_stays[2:5]], on=today, reason="走访")
    batch = ImportBatch.objects.create(
        file_name="a.xlsx",
        file_format="xlsx",
        mode="valid",
        status="done",
        division_code=A_COMMUNITY,
        created_by=a,
        created_at=in_period,
        total_rows=20,
        rows_done=20,
        accepted=17,
        rejected=3,
    )
    for row in (2, 5, 9):
        ImportRow.objects.create(batch=batch, row_number=row, outcome="rejected", values=[], problems=[])
    ImportRow.objects.create(batch=batch, row_number=11, outcome="warning", values=[], problems=[])
    cells_rebuild()
    return World(period=period, a=a, b=b, p1=p1, p2=p2, a_stays=a_stays, self_stay=self_stay)
