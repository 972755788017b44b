"""The demo's legal aid network with Chengdu's counts from the report (20 centres, 426 workstations, 3,436
liaisons), and a few requests at the demo station walked through their steps.

How the counts are spread over whatever divisions the database holds under Chengdu (5101):
- centres: one at the city (成都市法律援助中心), the other 19 one per county in code order, round again if
  there are fewer than 19 counties (with the 2023 codes the 20th county, 简阳市, which joined Chengdu in 2016,
  has none of its own and its requests go to the city's centre);
- workstations: one per township in code order, round again until 426;
- liaisons: one per community in code order, round again until 3,436.
Running it again adds nothing when Chengdu already has units.
"""

from collections import Counter

from liuguan.accounts.models import User
from liuguan.core.audit import SYSTEM
from liuguan.geo.models import Division, Level
from liuguan.registry.models import Stay

from .models import LegalAidRequest, LegalAidUnit, RequestKind, UnitKind
from .services import legal_aid_request_act, legal_aid_request_open, legal_aid_units_load

CITY = "5101"
COUNTS = {UnitKind.CENTRE: 20, UnitKind.WORKSTATION: 426, UnitKind.LIAISON: 3436}
HOURS = "周一至周五 9:00-12:00，13:30-17:30"


def _spread(divisions: list, n: int) -> list:
    """Spread n slots over the divisions, one each in order, round again while slots are left."""
    return [divisions[i % len(divisions)] for i in range(n)] if divisions else []


def network_rows(city: str = CITY) -> list[dict]:
    """The rows of the network, spread as the module docstring says; LookupError when the city is missing."""
    top = Division.objects.filter(pk=city).first()
    if top is None:
        raise LookupError(f"division {city} is not loaded; run load_divisions first")
    inside = Division.objects.filter(code__startswith=city).order_by("code")
    by_level = {lvl: list(inside.filter(level=lvl)) for lvl in (Level.COUNTY, Level.TOWNSHIP, Level.COMMUNITY)}
    # Where a level is empty (a small test tree), the level above carries its units.
    counties = by_level[Level.COUNTY] or [top]
    townships = by_level[Level.TOWNSHIP] or counties
    communities = by_level[Level.COMMUNITY] or townships
    rows = []
    seen: Counter = Counter()

    def add(kind, division, label):
        seen[(kind, division.code)] += 1
        n = seen[(kind, division.code)]
        name = f"{division.name}{label}" + (f"（{n}）" if n > 1 or kind == UnitKind.LIAISON else "")
        phone = f"028-{8600_0000 + len(rows):08d}"
        rows.append(
            {
                "kind": kind,
                "name": name,
                "division_code": division.code,
                "address": division.name,
                "phone": phone,
                "hours": HOURS,
            }
        )

    add(UnitKind.CENTRE, top, "法律援助中心")
    for division in _spread(counties, COUNTS[UnitKind.CENTRE] - 1):
        add(UnitKind.CENTRE, division, "法律援助中心")
    for division in _spread(townships, COUNTS[UnitKind.WORKSTATION]):
        add(UnitKind.WORKSTATION, division, "法律援助工作站")
    for division in _spread(communities, COUNTS[UnitKind.LIAISON]):
        add(UnitKind.LIAISON, division, "法律援助联络员")
    return rows


def network_load(city: str = CITY) -> dict:
    """Load the network unless the city already has units; the counts of units by kind inside the city."""
    if not LegalAidUnit.objects.filter(division__code__startswith=city).exists():
        legal_aid_units_load(actor=SYSTEM, rows=network_rows(city))
    counts = Counter(LegalAidUnit.objects.filter(division__code__startswith=city).values_list("kind", flat=True))
    return {kind: counts.get(kind, 0) for kind in UnitKind.values}


# The demo requests: what happens to each, in order (through the services, as the officers would do it).
PLAN = ("", "", "accept", "accept", "handle", "handle", "close", "close", "decline", "decline", "", "accept")
DESCRIPTIONS = {
    RequestKind.WAGE_ARREARS: "工地老板拖欠三个月工资，约一万二千元。",
    RequestKind.WORK_INJURY: "在厂里操作机器时手指受伤，厂方不认定工伤。",
    RequestKind.TENANCY: "房东提前收回房屋，不退押金。",
    RequestKind.LABOUR_CONTRACT: "入职半年未签劳动合同。",
    RequestKind.FAMILY: "离婚后孩子抚养费一直未付。",
    RequestKind.OTHER: "购买的电动车质量问题，商家拒绝退换。",
}


def requests_load(*, station_username: str = "station") -> int:
    """A dozen requests of people living in the demo station's community, each taken as far as PLAN says."""
    station = User.objects.filter(username=station_username, is_active=True).first()
    if station is None or not station.division_id or LegalAidRequest.objects.exists():
        return 0
    person_ids = list(
        Stay.objects.filter(community_id=station.division_id, departed_on__isnull=True)
        .order_by("person_id")
        .values_list("person_id", flat=True)
        .distinct()[: len(PLAN)]
    )
    kinds = list(RequestKind.values)
    made = 0
    for i, (person_id, fate) in enumerate(zip(person_ids, PLAN, strict=False)):
        kind = kinds[i % len(kinds)]
        request = legal_aid_request_open(
            actor=station, person_id=person_id, kind=kind, description=DESCRIPTIONS[kind], source="demo"
        )
        made += 1
        if request.unit is None or not request.unit.division_id.startswith(station.division_id):
            continue
        steps = {"accept": ["accept"], "handle": ["accept", "handle"], "close": ["accept", "handle", "close"]}.get(
            fate, [fate] if fate else []
        )
        for action in steps:
            note = {"handle": "已代为调解，达成还款协议。", "decline": "联络员不在岗，转街道工作站。"}.get(action, "")
            legal_aid_request_act(actor=station, request_id=request.pk, action=action, note=note, source="demo")
    return made


def legalaid_demo_reset(persons: tuple[int, int] | None) -> dict[str, int]:
    """For `demo --reset`: the requests of generated people go with them (their steps too); the network stays,
    like places.
    """
    if not persons:
        return {}
    count, _ = LegalAidRequest.objects.filter(person_id__gte=persons[0], person_id__lte=persons[1]).delete()
    return {"requests": count}
