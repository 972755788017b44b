"""A small legal aid network in the fixture tree: a liaison in the fixture community, a workstation in its
township, a centre (and a workstation) in its county, the city's centre; a migrant account and a grid."""

import pytest

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import IN_COMMUNITY, PASSWORD
from liuguan.geo.models import Grid
from liuguan.livelihood.legalaid.models import LegalAidUnit, UnitKind
from liuguan.registry.models import Stay


@pytest.fixture
def net(users, divisions, person_in, person_out):
    def unit(kind, code, name):
        return LegalAidUnit.objects.create(kind=kind, name=name, division=divisions[code], phone="028-1")

    units = {
        "liaison": unit(UnitKind.LIAISON, IN_COMMUNITY, "东御河沿联络员"),
        "workstation": unit(UnitKind.WORKSTATION, "510104001", "督院街工作站"),
        "county_ws": unit(UnitKind.WORKSTATION, "510104", "锦江区劳动仲裁工作站"),
        "county": unit(UnitKind.CENTRE, "510104", "锦江区法律援助中心"),
        "city": unit(UnitKind.CENTRE, "5101", "成都市法律援助中心"),
    }
    grid = Grid.objects.create(
        code="510104001001-01", name="一网格", community=divisions[IN_COMMUNITY], worker=users[Role.GRID_WORKER]
    )
    Stay.objects.filter(person=person_in).update(grid=grid)
    migrant = User(username="m13900000000", role=Role.MIGRANT, person=person_in, full_name="张三")
    migrant.set_password(PASSWORD)
    migrant.save()
    return {**users, **units, "grid": grid, "migrant": migrant, "in": person_in, "out": person_out}
