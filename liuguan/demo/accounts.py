"""Demo accounts for every role, on one chain of jurisdictions in Chengdu plus a collector in Mianyang, and
field workers (collectors and grid workers) for every populated township and community.

The named accounts are made through `accounts.services.user_create` (one audit event each); the field
workers, hundreds of them, in one batch with one audit event. All are kept by --reset, and an account that
already exists is left as it is.
"""

import math
import random
from collections import Counter
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Concat

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.accounts.services import user_create
from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.scoping import within
from liuguan.exchange.models import Department
from liuguan.geo.models import Division, Grid, Level, Office
from liuguan.registry.codes import HouseKind
from liuguan.registry.models import House, Lodging, Stay

from . import names
from .draw import between
from .geography import Plan, is_urban
from .people import ethnicity_for

# Shared by all demo accounts and shown on the login page of a demo; passes the password validators.
DEMO_PASSWORD = "Liuguan-2026!"  # noqa: S105
DEMO_USERNAMES = (
    "province",
    "city",
    "county",
    "street",
    "station",
    "collector",
    "grid",
    "police",
    "auditor",
    "department",
    "collector2",
    "landlord",
    "employer",
    "hotel",
)
# Accounts of duty holders, bound to what a run generated (a landlord person, an employer, a hotel), not to an area.
DUTY_USERNAMES = ("landlord", "employer", "hotel")
# Field workers are named after their community: c<community code>-<n> collectors, g<community code>-1 grid workers.
FIELD_USERNAME = r"^[cg][0-9]{12}-[0-9]+$"
# One collector for about this many stays expected in a township, and never fewer or more than these.
STAYS_PER_COLLECTOR = 1500
COLLECTORS_PER_TOWNSHIP = (2, 6)
CHAIN_COUNTY = "510107"  # 武侯区, a central district of Chengdu
SECOND_COUNTY = "510703"  # 涪城区, the centre of Mianyang


@dataclass(frozen=True)
class Chain:
    """The divisions the demo accounts sit at: province, city, county, township, community; and Mianyang's."""

    province: str
    city: str
    county: str
    township: str
    community: str
    second_community: str

    @property
    def communities(self) -> tuple[str, ...]:
        return (self.community, self.second_community)


def _first_community(county: str) -> str:
    """The first residents' committee (an urban community) of the county's first township, by code."""
    codes = Division.objects.filter(code__startswith=county, level=Level.COMMUNITY).order_by("code")
    codes = list(codes.values_list("code", flat=True)[:200])
    if not codes:
        raise LookupError(f"no communities under {county}; are the divisions loaded?")
    township = codes[0][:9]
    in_township = [c for c in codes if c[:9] == township]
    return next((c for c in in_township if is_urban(c)), in_township[0])


def chain_find(province: str = "51") -> Chain:
    community = _first_community(CHAIN_COUNTY)
    return Chain(
        province=province,
        city=CHAIN_COUNTY[:4],
        county=CHAIN_COUNTY,
        township=community[:9],
        community=community,
        second_community=_first_community(SECOND_COUNTY),
    )


def _department() -> Department | None:
    """Public security: created when no departments exist yet, else the one seeded under that code or name."""
    if not Department.objects.exists():
        return Department.objects.create(code="public_security", name="公安局", name_en="Public Security Bureau")
    return (
        Department.objects.filter(code="public_security").first()
        or Department.objects.filter(name__contains="公安").order_by("code").first()
    )


def accounts_ensure(
    chain: Chain, *, service: dict[str, int], stations: dict[str, int], points: dict[str, list[int]]
) -> tuple[dict[str, User], list[str]]:
    """Every role once on the chain, plus `collector2`; returns the accounts and the names created now."""
    validate_password(DEMO_PASSWORD)
    names = {
        code: name
        for code, name in Division.objects.filter(
            code__in=[chain.province, chain.city, chain.county, chain.township, chain.community, chain.second_community]
        ).values_list("code", "name")
    }
    department = _department()
    first_point = {c: (points.get(c) or [None])[0] for c in chain.communities}
    specs = (
        ("province", Role.PROVINCE_ADMIN, chain.province, service.get(chain.province), "省流管办"),
        ("city", Role.CITY_OFFICER, chain.city, service.get(chain.city), "市流管办"),
        ("county", Role.COUNTY_OFFICER, chain.county, service.get(chain.county), "区流管办"),
        ("street", Role.STREET_OFFICER, chain.township, service.get(chain.township), "街道流管办"),
        ("station", Role.STATION_OFFICER, chain.community, stations.get(chain.community), "社区服务站"),
        ("collector", Role.COLLECTOR, chain.community, first_point[chain.community], "采集员"),
        ("grid", Role.GRID_WORKER, chain.community, stations.get(chain.community), "网格员"),
        ("police", Role.POLICE, chain.county, None, "公安分局"),
        ("auditor", Role.AUDITOR, chain.province, None, "审计员"),
        ("department", Role.DEPARTMENT_USER, chain.city, None, "部门用户"),
        ("collector2", Role.COLLECTOR, chain.second_community, first_point[chain.second_community], "采集员"),
    )
    existing = {u.username: u for u in User.objects.filter(username__in=[s[0] for s in specs])}
    created = []
    for username, role, code, office_id, title in specs:
        if username in existing:
            continue
        if role == Role.DEPARTMENT_USER and department is None:
            continue
        division = Division.objects.get(code=code)
        existing[username] = user_create(
            actor=SYSTEM,
            username=username,
            password=DEMO_PASSWORD,
            role=role,
            division=division,
            department=department if role == Role.DEPARTMENT_USER else None,
            full_name=f"{names.get(code, '')}{title}（演示）"[:60],
            source="cli",
            office=Office.objects.get(pk=office_id) if office_id else None,
        )
        created.append(username)
    return existing, created


def _in(field: str, area: str) -> Q:
    return within(field, area) if area else Q()


def _duty_holders(chain: Chain) -> dict[str, dict]:
    """What the demo's landlord, employer and hotel answer for: near the chain's community where possible.

    The landlord is the person letting the most rental houses (filed ones first) in the chain's community,
    else its county; the employer is the county's employer with the most staff on open stays; the hotel the
    county's hotel with the most guests. Ties go to the lowest id, so the same run binds the same objects.
    """
    bound: dict[str, dict] = {}
    houses = House.objects.filter(kind=HouseKind.RENTAL, landlord__isnull=False)
    for area in (chain.community, chain.county, ""):
        top = (
            houses.filter(_in("community_id", area))
            .values("landlord_id")
            .annotate(n=Count("id"), filed=Count("filings", distinct=True))
            .order_by("-filed", "-n", "landlord_id")
            .first()
        )
        if top:
            bound["landlord"] = {"person_id": top["landlord_id"]}
            break
    for area in (chain.county, chain.city, ""):
        top = (
            Stay.objects.filter(_in("employer__community_id", area), departed_on__isnull=True)
            .values("employer_id")
            .annotate(n=Count("id"))
            .order_by("-n", "employer_id")
            .first()
        )
        if top:
            bound["employer"] = {"organisation_id": top["employer_id"]}
            break
    for area in (chain.county, chain.city, ""):
        top = (
            Lodging.objects.filter(_in("community_id", area))
            .annotate(n=Count("stay", filter=Q(stay__isnull=False)))
            .order_by("-n", "id")
            .values("id")
            .first()
        )
        if top:
            bound["hotel"] = {"lodging_id": top["id"]}
            break
    return bound


def duty_accounts_ensure(chain: Chain) -> list[str]:
    """The landlord, employer and hotel accounts, (re)bound to this run's objects; returns the names created now.

    Made like an officer's `duty_holder_create` would (no jurisdiction, bound to a person, employer or hotel),
    one audit event each; an existing account is bound again (a reset unbinds them) with a `user.bind` event.
    """
    roles = {"landlord": Role.LANDLORD, "employer": Role.EMPLOYER, "hotel": Role.HOTEL}
    titles = {"landlord": "房东", "employer": "用工单位", "hotel": "旅馆"}
    created = []
    for username, binding in _duty_holders(chain).items():
        user = User.objects.filter(username=username).first()
        field, pk = next(iter(binding.items()))
        target = field.removesuffix("_id")
        with transaction.atomic():
            if user is None:
                user = User(username=username, role=roles[username], **binding)
                user.full_name = f"{getattr(user, target).name}（演示{titles[username]}）"[:60]
                user.set_password(DEMO_PASSWORD)
                user.save()
                action = "user.create"
                created.append(username)
            elif getattr(user, field) != pk:
                setattr(user, field, pk)
                user.save(update_fields=[target])
                action = "user.bind"
            else:
                continue
            audit_record(
                actor=SYSTEM,
                action=action,
                obj=user,
                division_code="",
                source="cli",
                changes={"username": username, "role": roles[username], target: pk},
            )
    return created


@dataclass(frozen=True)
class FieldAccount:
    """A field worker the plan needs: `c<community>-<n>` collectors and `g<community>-1` grid workers."""

    username: str
    role: str
    community: str
    office: int | None


def field_accounts_plan(
    plan: Plan, chain: Chain, *, points: dict[str, list[int]], stations: dict[str, int]
) -> list[FieldAccount]:
    """Two to six collectors per township by the stays expected there, spread over its busiest communities
    first and each at a collection point of their community; a grid worker at each community's station, except
    in the chain's community, whose grids the `grid` account works.
    """
    townships: dict[str, list[str]] = {}
    for code in plan.communities:
        townships.setdefault(code[:9], []).append(code)
    low, high = COLLECTORS_PER_TOWNSHIP
    wanted = []
    for township in sorted(townships):
        codes = sorted(townships[township], key=lambda c: (-plan.expected[c], c))
        collectors = min(high, max(low, math.ceil(sum(plan.expected[c] for c in codes) / STAYS_PER_COLLECTOR)))
        for k in range(collectors):
            community, n = codes[k % len(codes)], k // len(codes) + 1
            at = points.get(community) or [None]
            wanted.append(FieldAccount(f"c{community}-{n}", Role.COLLECTOR, community, at[(n - 1) % len(at)]))
    wanted += [
        FieldAccount(f"g{code}-1", Role.GRID_WORKER, code, stations.get(code))
        for code in plan.communities
        if code != chain.community
    ]
    return wanted


def _staff_name(rng: random.Random, community: str) -> str:
    """A name as people of the county are named (Yi and Tibetan names where those live)."""
    sex = "M" if rng.random() < 0.5 else "F"
    return names.person_name(
        rng, sex=sex, birth_year=between(rng, 1970, 2000), ethnicity=ethnicity_for(rng, community[:6])
    )


def field_accounts_ensure(
    plan: Plan, chain: Chain, *, seed: int, points: dict[str, list[int]], stations: dict[str, int]
) -> tuple[dict[str, User], int]:
    """The plan's field workers, made in one batch with one audit event; returns them and how many are new.

    The demo password is hashed once for the whole batch: hashing it per account would take minutes. Names
    come from their own stream, drawn for every account whether it exists or not, so they follow the seed.
    """
    wanted = field_accounts_plan(plan, chain, points=points, stations=stations)
    rng = random.Random(f"liuguan-demo:{seed}:staff")
    full_names = [_staff_name(rng, account.community) for account in wanted]
    field = User.objects.filter(role__in=(Role.COLLECTOR, Role.GRID_WORKER)).only("username", "role", "division")
    usernames = {account.username for account in wanted}
    found = {user.username: user for user in field if user.username in usernames}
    missing = [(a, name) for a, name in zip(wanted, full_names, strict=True) if a.username not in found]
    if missing:
        password = make_password(DEMO_PASSWORD)
        new = [
            User(
                username=account.username,
                password=password,
                role=account.role,
                # A collector works the whole township (its stays are credited to any of its collectors, and a
                # feedback task about one must reach them); a grid worker works their community.
                division_id=account.community[:9] if account.role == Role.COLLECTOR else account.community,
                office_id=account.office,
                full_name=full_name,
            )
            for account, full_name in missing
        ]
        with transaction.atomic():
            User.objects.bulk_create(new, batch_size=500)
            ids = [user.pk for user in new]
            audit_record(
                actor=SYSTEM,
                action="user.create_batch",
                object_type="accounts.user",
                division_code=plan.province,
                source="cli",
                changes={
                    "users": {"first": min(ids), "last": max(ids), "count": len(ids)},
                    "roles": dict(Counter(user.role for user in new)),
                },
            )
        found.update({user.username: user for user in new})
    return found, len(missing)


def grid_workers_assign(chain: Chain, users: dict[str, User]) -> None:
    """Grids without a worker get their community's: `grid` in the chain's community, `g<community>-1` elsewhere.

    Their deputy is the community's first collector, `c<community>-1`, where there is one.
    """
    if "grid" in users:
        Grid.objects.filter(community_id=chain.community, worker__isnull=True).update(worker=users["grid"])
    worker = User.objects.filter(username=Concat(Value("g"), OuterRef("community_id"), Value("-1"))).values("pk")
    Grid.objects.filter(Exists(worker), worker__isnull=True).update(worker=Subquery(worker[:1]))
    deputy = User.objects.filter(username=Concat(Value("c"), OuterRef("community_id"), Value("-1"))).values("pk")
    Grid.objects.filter(Exists(deputy), deputy__isnull=True).update(deputy=Subquery(deputy[:1]))
