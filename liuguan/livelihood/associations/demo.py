"""The demo's associations: in each city with migrants, a hometown association for each of its three main
origin prefectures (by the hukou of people with an open stay there), with leaders, members, activities and a
task; in Chengdu also a workers' club and a volunteer team with hours. Made through the services by the demo's
province administrator; running it again adds nothing when associations exist.
"""

import datetime as dt
from collections import Counter, defaultdict

from django.db.models.functions import Substr

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.geo.models import Division, Level
from liuguan.registry.models import Stay

from .models import Association, AssociationKind, TaskKind
from .services import (
    association_activity_record,
    association_leader_add,
    association_member_add,
    association_register,
    association_task_complete,
    association_task_give,
    volunteer_hours_record,
)

ORIGINS_PER_CITY = 3
MEMBERS = 12
MIN_PEOPLE = 5  # an origin with fewer people in a city gets no association there
BASE_DAY = dt.date(2026, 1, 10)


def _stays_by_city_and_origin() -> dict[str, Counter]:
    rows = (
        Stay.objects.filter(departed_on__isnull=True)
        .annotate(city=Substr("community_id", 1, 4), origin=Substr("person__hukou_code", 1, 4))
        .values_list("city", "origin", "person_id")
    )
    people: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for city, origin, person_id in rows.iterator():
        if origin and origin != city:
            people[city][origin].append(person_id)
    return people


def associations_load() -> int:
    admin = User.objects.filter(role=Role.PROVINCE_ADMIN, is_active=True, division__isnull=False).order_by("pk").first()
    if admin is None or Association.objects.exists():
        return 0
    made = 0
    names = dict(Division.objects.filter(level=Level.PREFECTURE).values_list("code", "name"))
    by_city = _stays_by_city_and_origin()
    for city, origins in sorted(by_city.items()):
        if city not in names or not city.startswith(admin.division_id):
            continue
        main = sorted(origins.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:ORIGINS_PER_CITY]
        for i, (origin, person_ids) in enumerate(main):
            if origin not in names or len(person_ids) < MIN_PEOPLE:
                continue
            association = association_register(
                actor=admin,
                kind=AssociationKind.HOMETOWN,
                name=f"{names[origin]}在{names[city]}同乡会",
                division_code=city,
                origin_code=origin,
                registered_on=BASE_DAY - dt.timedelta(days=400 + 30 * i),
            )
            made += 1
            members = sorted(set(person_ids))[:MEMBERS]
            for person_id in members:
                association_member_add(
                    actor=admin, association_id=association.pk, person_id=person_id, joined_on=association.registered_on
                )
            for person_id, title in zip(members, ("会长", "副会长"), strict=False):
                association_leader_add(actor=admin, association_id=association.pk, person_id=person_id, title=title)
            association_activity_record(
                actor=admin,
                association_id=association.pk,
                date=BASE_DAY,
                title="新春联谊会",
                participants=len(members) * 3,
            )
            association_activity_record(
                actor=admin,
                association_id=association.pk,
                date=BASE_DAY + dt.timedelta(days=45),
                title="劳动权益与法律援助讲座",
                participants=len(members) * 2,
            )
            task = association_task_give(
                actor=admin,
                association_id=association.pk,
                kind=TaskKind.NOTICE if i else TaskKind.SWEEP,
                title="宣传居住证申领政策" if i else "协助开展出租屋清查",
                due_on=BASE_DAY + dt.timedelta(days=60),
            )
            if i == 0:
                association_task_complete(actor=admin, task_id=task.pk, report="组织会员 8 人协助清查出租屋 120 户。")
    if "5101" in names and "5101".startswith(admin.division_id[:2]):
        club = association_register(
            actor=admin,
            kind=AssociationKind.WORKERS_CLUB,
            name="成都市新市民职工之家",
            division_code="5101",
            registered_on=BASE_DAY - dt.timedelta(days=200),
        )
        association_leader_add(actor=admin, association_id=club.pk, name="赵师傅", phone="13800281234", title="负责人")
        association_activity_record(
            actor=admin, association_id=club.pk, date=BASE_DAY, title="职业技能交流", participants=40
        )
        team = association_register(
            actor=admin,
            kind=AssociationKind.VOLUNTEERS,
            name="成都市流动人口志愿服务队",
            division_code="5101",
            registered_on=BASE_DAY - dt.timedelta(days=100),
        )
        association_leader_add(actor=admin, association_id=team.pk, name="钱老师", phone="13800285678", title="队长")
        for day, hours, who in ((0, "3.5", "孙志愿"), (7, "4", "李志愿"), (14, "2.5", "孙志愿")):
            volunteer_hours_record(
                actor=admin,
                association_id=team.pk,
                date=BASE_DAY + dt.timedelta(days=day),
                hours=hours,
                name=who,
                what="社区服务站咨询引导",
            )
        made += 2
    return made


def associations_demo_reset(persons: tuple[int, int] | None) -> dict[str, int]:
    """For `demo --reset`: every association goes (the demo's are made from the generated people, and the next
    run makes them again only when none is left).
    """
    if not persons:
        return {}
    count, _ = Association.objects.all().delete()
    return {"associations": count}
