"""A small world for grid management: two grids in the fixture community, a grid worker and a deputy, the
departments the shipped categories name, and a way to put an event in any state without walking it there."""

import datetime as dt

import pytest

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, PASSWORD
from liuguan.exchange.models import Department
from liuguan.geo.models import Grid
from liuguan.grid.models import Channel, GridEvent, Source, State
from liuguan.registry.models import House

DEPARTMENTS = {"fire_rescue": "市消防救援支队", "urban_management": "市城市管理行政执法局"}


@pytest.fixture
def world(users, divisions, department):
    for code, name in DEPARTMENTS.items():
        Department.objects.create(code=code, name=name)
    deputy = User(username="deputy", role=Role.GRID_WORKER, division=divisions[IN_COMMUNITY], full_name="副网格员")
    deputy.set_password(PASSWORD)
    deputy.save()
    fire_user = User(username="fire", role=Role.DEPARTMENT_USER, division=divisions["51"], department_id="fire_rescue")
    fire_user.set_password(PASSWORD)
    fire_user.save()
    grid = Grid.objects.create(
        code="510104001001-01",
        name="东御河沿一网格",
        community=divisions[IN_COMMUNITY],
        worker=users[Role.GRID_WORKER],
        deputy=deputy,
        latitude="30.657000",
        longitude="104.070000",
    )
    far_grid = Grid.objects.create(code="500101001001-01", name="太白一网格", community=divisions["500101001001"])
    house = House.objects.create(community_id=IN_COMMUNITY, grid=grid, address="东御河沿街 8 号", owner_name="甲")
    return {
        **users,
        "deputy": deputy,
        "fire": fire_user,
        "grid": grid,
        "far_grid": far_grid,
        "house": house,
    }


def event_in(
    state: str,
    *,
    category: str = "rental_house_safety",
    community: str = IN_COMMUNITY,
    grid=None,
    division: str | None = IN_COMMUNITY,
    department: str | None = None,
    reporter=None,
    channel: str = Channel.NONE,
    accept_due: dt.date | None = None,
    dispose_due: dt.date | None = None,
) -> GridEvent:
    """An event resting in `state`, with the station of the fixture community (or a department) answering."""
    routed = state not in (State.DISCOVERED,)
    event = GridEvent.objects.create(
        number=f"T-{GridEvent.objects.count() + 1:06d}",
        community_id=community,
        grid=grid,
        category_id=category,
        source=Source.FIELD,
        reporter=reporter,
        channel=channel,
        description="楼道堆放杂物",
        state=state,
        assigned_division_id=division if routed and not department else None,
        assigned_department_id=department if routed else None,
        accept_due=accept_due or dt.date(2030, 1, 1),
        dispose_due=dispose_due or (dt.date(2030, 1, 1) if state in (State.ACCEPTED, State.IN_PROGRESS) else None),
    )
    return event
