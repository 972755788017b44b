"""What the outflow domain tests share: accounts in other counties, people with a given hukou, and stays."""

import datetime as dt

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.conftest import PASSWORD, citizen_id
from liuguan.core.pinyin import name_initials, name_pinyin
from liuguan.registry.models import Person, Stay

JINJIANG_COMMUNITY = "510104001001"
JINJIANG_OTHER = "510104002001"
WUHOU_COMMUNITY = "510107001001"
FUCHENG_COMMUNITY = "510703001001"
WANZHOU_COMMUNITY = "500101001001"


def account(role: Role, division_code: str, username: str) -> User:
    user = User(username=username, role=role, division_id=division_code, full_name=username)
    user.set_password(PASSWORD)
    user.save()
    return user


_seq = iter(range(100, 999))


def person_with_hukou(hukou: str, *, name: str = "赵六", birth: str = "19880416", phone: str = "13800001111") -> Person:
    """A person on the register with no stay, whose ID number (and hukou) is of `hukou`'s county."""
    number = citizen_id(hukou[:6], birth, f"{next(_seq):03d}")
    return Person.objects.create(
        doc_type="citizen_id",
        doc_number=number,
        name=name,
        name_pinyin=name_pinyin(name).replace(" ", ""),
        name_initials=name_initials(name),
        sex="M" if int(number[16]) % 2 else "F",
        birth_date=dt.date(int(birth[:4]), int(birth[4:6]), int(birth[6:])),
        hukou_code=hukou[:6],
        phone=phone,
    )


def stay_at(person: Person, community: str, *, arrived_on=dt.date(2025, 3, 1), departed_on=None) -> Stay:
    return Stay.objects.create(
        person=person,
        community_id=community,
        reason="work",
        arrived_on=arrived_on,
        departed_on=departed_on,
        source_channel="collector",
    )
