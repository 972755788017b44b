"""A hand-made area for the spot-check and feedback tests (no tests here; the test modules import `build`).

In county 510104 (锦江区), township 510104001:
  community 510104001001 (东御河沿): collectors c1 (the conftest collector) and c2, grid worker gw (the conftest
      one) who works grid G1, and the conftest station officer;
  community 510104001002 (西御河沿): collector c3 only, no station officer.
The street officer is the conftest one (510104001); so are the county, city and province officers.

Registrations in September 2025: c1 has 8 open stays in 001001 (3 of them in grid G1), c2 has 3 in 001001,
c3 has 4 in 001002. Outside what a round samples: a departed stay of c1, a self-declared stay, a stay of c1
registered in August, and one in another county.
"""

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import PASSWORD, citizen_id
from liuguan.geo.models import Grid
from liuguan.registry.models import Person, Stay

EAST, WEST = "510104001001", "510104001002"
CHINA = ZoneInfo("Asia/Shanghai")
SEPTEMBER = (dt.date(2025, 9, 1), dt.date(2025, 9, 30))
_seq = itertools.count(1)


def make_user(username, role, division, **extra) -> User:
    user = User(username=username, role=role, division_id=division, full_name=username, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def register(
    collector,
    community,
    *,
    on=dt.date(2025, 9, 10),
    grid=None,
    channel="collector",
    departed_on=None,
    name="住户",
    ethnicity="01",
    phone="13912345678",
) -> Stay:
    """A person registered by `collector` (who then created the record) with one stay."""
    n = next(_seq)
    birth = dt.date(1980, 1, 1) + dt.timedelta(days=n)
    when = dt.datetime.combine(on, dt.time(10, 0), tzinfo=CHINA)
    person = Person.objects.create(
        doc_type="citizen_id",
        doc_number=citizen_id("511321", birth.strftime("%Y%m%d"), f"{n % 1000:03d}"),
        name=f"{name}{n}",
        name_pinyin=f"zhuhu{n}",
        name_initials="zh",
        sex="M",
        birth_date=birth,
        ethnicity=ethnicity,
        hukou_code="511321",
        hukou_address="四川省南充市某镇某村",
        phone=phone,
        created_by=collector,
        created_at=when,
        source_channel=channel,
    )
    return Stay.objects.create(
        person=person,
        community_id=community,
        grid=grid,
        reason="work",
        arrived_on=on - dt.timedelta(days=3),
        registered_at=when,
        departed_on=departed_on,
        source_channel=channel,
        collector=collector if channel in ("collector", "import") else None,
        address=f"东御河沿街 {n} 号",
    )


def build(users) -> dict:
    c1, gw = users[Role.COLLECTOR], users[Role.GRID_WORKER]
    c2 = make_user("c2", Role.COLLECTOR, EAST)
    c3 = make_user("c3", Role.COLLECTOR, WEST)
    g1 = Grid.objects.create(code="G1", name="一网格", community_id=EAST, worker=gw)
    stays = {
        "c1": [register(c1, EAST, grid=g1 if i < 3 else None) for i in range(8)],
        "c2": [register(c2, EAST) for _ in range(3)],
        "c3": [register(c3, WEST) for _ in range(4)],
    }
    outside = [
        register(c1, EAST, departed_on=dt.date(2025, 9, 20)),
        register(None, EAST, channel="self"),
        register(c1, EAST, on=dt.date(2025, 8, 20)),
        register(c1, "510107001001"),
    ]
    return {"c1": c1, "c2": c2, "c3": c3, "gw": gw, "g1": g1, "stays": stays, "outside": outside, **users}
