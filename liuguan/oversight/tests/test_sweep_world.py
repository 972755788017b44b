"""A hand-made county for the sweep tests (no tests here; each test module makes it its `county` fixture).

County 510104 (锦江区): community 510104001001 has grid G1 with the conftest grid worker and grid G2 without one,
and a second grid worker bound to the community; community 510104001002 has grid G3 without a worker and only a
collector; community 510104002001 has no field worker at all. Houses:

  h1  001001 G1, two open stays                         -> task, G1's worker
  h2  001001 G2, one open stay                          -> task, community's grid workers in turn
  h3  001001 no grid, its stay is in G1                 -> task, grid G1 from its stay, G1's worker
  h4  001001 G2, let under an active filing, nobody    -> task, community's grid workers in turn
  h5  001002 G3, marked rented, nobody                  -> task, the community's collector
  h6  002001 no grid, one open stay                     -> task, nobody (unassigned)
  h7  001001 filing ended, nobody                       -> none
  h8  001001 only a departed stay                       -> none
  h9  510107 (another county), open stay                -> none
  h10 001001 active filing that starts after the window -> none
"""

import datetime as dt
import itertools

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.compliance.models import TenancyFiling
from liuguan.conftest import PASSWORD, citizen_id
from liuguan.core.identity import china_today
from liuguan.geo.models import Grid
from liuguan.registry.models import House, Person, Stay

C1, C2, C3 = "510104001001", "510104001002", "510104002001"
OTHER_COUNTY_COMMUNITY = "510107001001"
_seq = itertools.count(100)


def make_user(username, role, division, **extra) -> User:
    user = User(username=username, role=role, division_id=division, full_name=username, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


def make_stay(
    community, house=None, *, name="住户", grid=None, departed_on=None, collector=None, source_channel="collector"
) -> Stay:
    n = next(_seq)
    person = Person.objects.create(
        doc_type="citizen_id",
        doc_number=citizen_id("511321", "19900101", f"{n:03d}"[-3:]),
        name=f"{name}{n}",
        name_pinyin=f"zhuhu{n}",
        name_initials="zh",
        sex="M",
        birth_date=dt.date(1990, 1, 1),
        hukou_code="511321",
        phone="13912345678",
    )
    return Stay.objects.create(
        person=person,
        community_id=community,
        house=house,
        grid=grid if grid is not None else (house.grid if house else None),
        reason="work",
        arrived_on=dt.date(2024, 5, 1),
        departed_on=departed_on,
        source_channel=source_channel,
        collector=collector,
        address=house.address if house else "",
    )


def filing(house, *, starts_on, ends_on, status="active") -> TenancyFiling:
    return TenancyFiling.objects.create(
        number=f"ZL{house.community_id}{next(_seq):06d}",
        house=house,
        community_id=house.community_id,
        landlord_name="房东",
        starts_on=starts_on,
        ends_on=ends_on,
        status=status,
    )


def build_county(users) -> dict:
    today = china_today()
    grid_worker = users[Role.GRID_WORKER]
    gw2 = make_user("gw2", Role.GRID_WORKER, C1)
    collector2 = make_user("collector2", Role.COLLECTOR, C2)
    g1 = Grid.objects.create(code="G1", name="一网格", community_id=C1, worker=grid_worker)
    g2 = Grid.objects.create(code="G2", name="二网格", community_id=C1)
    g3 = Grid.objects.create(code="G3", name="三网格", community_id=C2)

    def house(address, community, grid=None, **extra):
        return House.objects.create(address=address, community_id=community, grid=grid, owner_name="甲", **extra)

    h = {
        "h1": house("督院街 1 号", C1, g1),
        "h2": house("督院街 2 号", C1, g2),
        "h3": house("督院街 3 号", C1),
        "h4": house("督院街 4 号", C1, g2),
        "h5": house("西御河沿街 5 号", C2, g3, is_rented=True),
        "h6": house("和平街 6 号", C3),
        "h7": house("督院街 7 号", C1, g1),
        "h8": house("督院街 8 号", C1, g1),
        "h9": house("锦里 9 号", OTHER_COUNTY_COMMUNITY),
        "h10": house("督院街 10 号", C1, g2),
    }
    s = {
        "s1a": make_stay(C1, h["h1"]),
        "s1b": make_stay(C1, h["h1"]),
        "s2": make_stay(C1, h["h2"]),
        "s3": make_stay(C1, h["h3"], grid=g1),
        "s6": make_stay(C3, h["h6"]),
        "s8": make_stay(C1, h["h8"], departed_on=dt.date(2025, 1, 1)),
        "s9": make_stay(OTHER_COUNTY_COMMUNITY, h["h9"]),
    }
    filing(h["h4"], starts_on=today - dt.timedelta(days=100), ends_on=today + dt.timedelta(days=200))
    filing(h["h7"], starts_on=today - dt.timedelta(days=400), ends_on=today - dt.timedelta(days=40), status="ended")
    filing(h["h10"], starts_on=today + dt.timedelta(days=60), ends_on=today + dt.timedelta(days=400))
    return {
        "users": users,
        "gw": grid_worker,
        "gw2": gw2,
        "collector2": collector2,
        "grids": {"g1": g1, "g2": g2, "g3": g3},
        "houses": h,
        "stays": s,
        "today": today,
        "window": (today, today + dt.timedelta(days=30)),
    }
