"""The demo's department exchange: one subsystem of the demo department with grants to try the hub with.

Made through the hub's own services as the demo's province administrator (so every step is audited), once:
a later run finds the subsystem and leaves it as it is. Keys are issued on the subsystem's page.
"""

import datetime as dt

from liuguan.accounts.models import User
from liuguan.core.identity import china_today
from liuguan.exchange.models import Subsystem
from liuguan.exchange.services.grants import grant_issue
from liuguan.exchange.services.members import subsystem_create

from .accounts import Chain

SUBSYSTEM_CODE = "population-check"
GRANTS = (
    ("residence", ["resides"], ["verify"], "核验申请人是否在本市居住"),
    ("people", ["doc_type", "doc_number", "name", "sex", "hukou_code"], ["query"], "流动人口身份核查"),
    (
        "stays",
        ["doc_number", "community_code", "reason", "arrived_on", "departed_on", "source_channel"],
        ["query", "feed", "webhook"],
        "流动人口居住变动核查",
    ),
)


def exchange_demo_ensure(chain: Chain) -> Subsystem | None:
    """The demo department's subsystem with grants on residence, people and stays in the chain's city."""
    officer = User.objects.filter(username="province").first()
    department = User.objects.filter(username="department").values_list("department_id", flat=True).first()
    if officer is None or department is None:
        return None
    found = Subsystem.objects.filter(department_id=department, code=SUBSYSTEM_CODE).first()
    if found is not None:
        return found
    subsystem = subsystem_create(
        actor=officer, department_code=department, code=SUBSYSTEM_CODE, name="流动人口核查系统（演示）", source="cli"
    )
    today = china_today()
    for dataset, fields, ways, purpose in GRANTS:
        grant_issue(
            actor=officer,
            subsystem_id=subsystem.pk,
            dataset=dataset,
            fields=fields,
            ways=ways,
            purpose=purpose,
            area_code=chain.city,
            valid_from=today,
            expires_on=today + dt.timedelta(days=365),
            source="cli",
        )
    return subsystem
