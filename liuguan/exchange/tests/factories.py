"""Building blocks for hub tests: departments' subsystems with their keys, and grants."""

import datetime as dt

from liuguan.accounts.models import ApiToken, User
from liuguan.accounts.roles import Role
from liuguan.core.identity import china_today
from liuguan.exchange.models import Department, Grant, Subsystem


def make_department(code="hrss", name="人力资源和社会保障局") -> Department:
    return Department.objects.get_or_create(code=code, defaults={"name": name})[0]


def make_subsystem(department: Department, code="insurance", *, rate_per_minute=600) -> Subsystem:
    """A subsystem with its service account (a department user without a jurisdiction of its own)."""
    account = User.objects.create(
        username=f"svc-{department.code}-{code}", role=Role.DEPARTMENT_USER, department=department
    )
    return Subsystem.objects.create(
        department=department, code=code, name=code, account=account, rate_per_minute=rate_per_minute
    )


def key_for(subsystem: Subsystem) -> str:
    """A bearer key of the subsystem (an API token of its service account)."""
    key = ApiToken.new_key()
    ApiToken.objects.create(user=subsystem.account, name="key", prefix=key[3:9], key_hash=ApiToken.digest(key))
    return key


def make_grant(
    subsystem: Subsystem,
    dataset: str,
    *,
    fields=(),
    ways=("verify", "query"),
    area="51",
    valid_from: dt.date | None = None,
    days: int = 365,
    purpose="社会保险参保核验",
) -> Grant:
    start = valid_from or china_today() - dt.timedelta(days=1)
    return Grant.objects.create(
        subsystem=subsystem,
        dataset_id=dataset,
        fields=list(fields),
        ways=list(ways),
        purpose=purpose,
        area_id=area,
        valid_from=start,
        expires_on=start + dt.timedelta(days=days),
    )
