"""Valid synthetic rows of the template, for tests and the benchmark: real check digits, distinct numbers."""

import csv
import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

from liuguan.core.identity import mod11_2_check

from .template import template_headers

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲芬燕彬鹏辉斌宇浩凯健俊帆帅旭宁龙林欢阳"
    "建国立志海波文婷雪琳晨曦子涵梓萱一诺欣怡思远浩然博文雨泽佳琪嘉怡晓东春梅秋菊冬梅"
)
REASONS = ("务工", "务工", "务工", "经商", "就学", "投靠亲属", "婚嫁", "就医", "其他")
EDUCATION = ("初中", "高中", "大学专科", "大学本科", "中专", "小学", "")
MARITAL = ("已婚", "未婚", "已婚", "离婚", "")
# Household-registration counties, Sichuan and its neighbours (2023 codes).
AREAS = (
    "510104",
    "510107",
    "511321",
    "511623",
    "510981",
    "511025",
    "513401",
    "500101",
    "530102",
    "520102",
    "610102",
    "420102",
    "430102",
    "450102",
    "360102",
    "511702",
    "511802",
    "512002",
    "510603",
    "510802",
)
FIRST_BIRTH = dt.date(1950, 1, 1)
BIRTH_SPAN_DAYS = 20000
FIRST_ARRIVAL = dt.date(2020, 1, 1)


def citizen_number(index: int) -> tuple[str, dt.date, str]:
    """The index-th distinct valid citizen ID number, with its birth date and sex."""
    area = AREAS[index % len(AREAS)]
    rest = index // len(AREAS)
    birth = FIRST_BIRTH + dt.timedelta(days=rest % BIRTH_SPAN_DAYS)
    sequence = (rest // BIRTH_SPAN_DAYS) % 1000
    body = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return body + mod11_2_check(body), birth, "男" if sequence % 2 else "女"


def synthetic_rows(count: int, *, communities: list[str], seed: int = 1, start: int = 0) -> Iterator[list[str]]:
    """`count` rows in the template's column order, each a valid registration in one of `communities`."""
    draw = random.Random(seed)  # noqa: S311 (test data, not secrets)
    arrival_days = (dt.date(2025, 6, 1) - FIRST_ARRIVAL).days
    for index in range(start, start + count):
        number, birth, sex = citizen_number(index)
        name = draw.choice(SURNAMES) + "".join(draw.choice(GIVEN) for _ in range(draw.choice((1, 2, 2))))
        arrived = max(FIRST_ARRIVAL + dt.timedelta(days=draw.randrange(arrival_days)), birth)
        yield [
            "居民身份证",
            number,
            name,
            sex,
            birth.isoformat(),
            "汉族",
            "中国",
            f"{number[:6]}某街道{draw.randrange(1, 200)}号",
            f"1{draw.choice('3456789')}{draw.randrange(10**9):09d}",
            draw.choice(EDUCATION),
            draw.choice(MARITAL),
            draw.choice(communities),
            f"某路{draw.randrange(1, 500)}号{draw.randrange(1, 30)}栋",
            arrived.isoformat(),
            draw.choice(REASONS),
        ]


def write_csv(path: Path, count: int, *, communities: list[str], encoding: str = "utf-8-sig", seed: int = 1) -> Path:
    """A template CSV of `count` valid rows."""
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(template_headers())
        writer.writerows(synthetic_rows(count, communities=communities, seed=seed))
    return Path(path)
