"""Who a synthetic person is: age, sex, name, origin, ethnicity, schooling, family status, documents."""

import datetime as dt
import random
from dataclasses import dataclass

from liuguan.registry.codes import DocType, Education, Marital

from . import names
from .draw import Weighted, below, between, one_of
from .geography import Plan
from .numbers import CitizenNumbers, foreign_pr_number, mobile, passport_number
from .reference import ETHNIC_MIX, FOREIGNERS, HAN, HMT_AREAS, TOWN_WORDS

# Working-age skew of migrants: (lowest age, highest age, weight).
ADULT_AGES = Weighted(((16, 17), (18, 24), (25, 34), (35, 44), (45, 55), (56, 65)), (2, 20, 33, 25, 15, 5))
ELDER_AGES = Weighted(((56, 65), (66, 75)), (70, 30))
_FOREIGNERS = Weighted(FOREIGNERS, [f[2] for f in FOREIGNERS])
_HMT_AREAS = Weighted.of(HMT_AREAS)
_EDUCATION_YOUNG = Weighted(
    (
        Education.PRIMARY,
        Education.JUNIOR,
        Education.SENIOR,
        Education.VOCATIONAL,
        Education.COLLEGE,
        Education.BACHELOR,
        Education.POSTGRADUATE,
    ),
    (2, 35, 25, 15, 13, 9, 1),
)
_EDUCATION_OLD = Weighted(
    (
        Education.NONE,
        Education.PRIMARY,
        Education.JUNIOR,
        Education.SENIOR,
        Education.VOCATIONAL,
        Education.COLLEGE,
        Education.BACHELOR,
    ),
    (3, 25, 45, 14, 5, 5, 3),
)


@dataclass(slots=True)
class Someone:
    """A real person's true attributes; registry rows copy them, sometimes with a deliberate error."""

    index: int
    key: str
    doc_type: str
    doc_number: str
    name: str
    sex: str
    birth: dt.date
    ethnicity: str
    nationality: str
    hukou_code: str
    hukou_address: str
    phone: str
    education: str
    marital: str
    party: bool
    father_key: str = ""
    mother_key: str = ""

    def age_on(self, day: dt.date) -> int:
        return day.year - self.birth.year - ((day.month, day.day) < (self.birth.month, self.birth.day))


def age_between(rng: random.Random, bins: Weighted) -> int:
    low, high = bins.draw(rng)
    return between(rng, low, high)


def birth_for(rng: random.Random, age: int, as_of: dt.date) -> dt.date:
    """A birth date that makes the person `age` on the day before as_of."""
    latest = as_of - dt.timedelta(days=1)
    try:
        anchor = latest.replace(year=latest.year - age)
    except ValueError:  # 29 February
        anchor = latest.replace(year=latest.year - age, day=28)
    return anchor - dt.timedelta(days=below(rng, 365))


def ethnicity_for(rng: random.Random, origin: str) -> str:
    for length in (6, 4, 2, 0):
        mix = ETHNIC_MIX.get(origin[:length])
        if mix is not None:
            u = rng.random()
            for code, share in mix:
                if u < share:
                    return code
                u -= share
            return HAN
    return HAN


def education_for(rng: random.Random, age: int, birth_year: int) -> str:
    """Schooling rose fast: people born after 1990 have far more senior secondary and college."""
    if age < 7:
        return ""
    if age <= 12:
        return Education.PRIMARY
    if age <= 15:
        return Education.JUNIOR
    return (_EDUCATION_YOUNG if birth_year >= 1990 else _EDUCATION_OLD).draw(rng)


def marital_for(rng: random.Random, age: int) -> str:
    if age < 20:
        return Marital.SINGLE if age >= 16 else ""
    u = rng.random()
    if age < 25:
        return Marital.SINGLE if u < 0.7 else Marital.MARRIED
    if age < 30:
        return Marital.SINGLE if u < 0.4 else Marital.MARRIED if u < 0.97 else Marital.DIVORCED
    if u < 0.07:
        return Marital.SINGLE
    if u < 0.13:
        return Marital.DIVORCED
    if age > 50 and u < 0.17:
        return Marital.WIDOWED
    return Marital.MARRIED


def hukou_address(rng: random.Random, plan: Plan, origin: str) -> str:
    """Village and group in the origin county: real village names in Sichuan, plain town words elsewhere."""
    group, number = between(rng, 1, 12), between(rng, 1, 120)
    villages = plan.villages.get(origin)
    if villages:
        village = one_of(rng, villages)
        place = plan.names.get(village[:9], "") + plan.names[village]
        suffix = f"{group}组{number}号" if place.endswith("村") else f"{number}号附{between(rng, 1, 9)}"
        return plan.place_name(origin) + place + suffix
    town, village = one_of(rng, TOWN_WORDS), one_of(rng, TOWN_WORDS)
    return f"{plan.place_name(origin)}{town}镇{village}村{group}组{number}号"


class Registrar:
    """Makes people with valid documents; owns the number issuer so numbers never repeat."""

    def __init__(self, *, rng: random.Random, plan: Plan, persons: int, as_of: dt.date):
        self.rng = rng
        self.plan = plan
        self.as_of = as_of
        self.numbers = CitizenNumbers(persons, latest_birth=as_of - dt.timedelta(days=1))

    def citizen(
        self,
        *,
        index: int,
        sex: str,
        origin: str,
        age: int = 0,
        birth: dt.date | None = None,
        ethnicity: str | None = None,
        family: str = "",
        marital: str | None = None,
    ) -> Someone:
        rng = self.rng
        birth = birth or birth_for(rng, age, self.as_of)
        age = self.as_of.year - birth.year - ((self.as_of.month, self.as_of.day) <= (birth.month, birth.day))
        ethnicity = ethnicity or ethnicity_for(rng, origin)
        name = names.person_name(rng, sex=sex, birth_year=birth.year, ethnicity=ethnicity, family=family)
        number, birth = self.numbers.issue(rng, index=index, area=origin, birth=birth, sex=sex)
        return Someone(
            index=index,
            key=f"P{index:07d}",
            doc_type=DocType.CITIZEN_ID,
            doc_number=number,
            name=name,
            sex=sex,
            birth=birth,
            ethnicity=ethnicity,
            nationality="CHN",
            hukou_code=origin,
            hukou_address=hukou_address(rng, self.plan, origin),
            phone=mobile(rng) if age >= 16 and rng.random() < (0.97 if age < 56 else 0.85) else "",
            education=education_for(rng, age, birth.year),
            marital=marital if marital is not None else marital_for(rng, age),
            party=age >= 20 and rng.random() < 0.03,
        )

    def hmt_resident(self, *, index: int, sex: str, age: int) -> Someone:
        """HK, Macao and Taiwan residents: permit numbers on 810000/820000/830000, names in traditional script."""
        rng = self.rng
        area = _HMT_AREAS.draw(rng)
        birth = birth_for(rng, age, self.as_of)
        name = names.person_name(rng, sex=sex, birth_year=birth.year, ethnicity=HAN)
        number, birth = self.numbers.issue(rng, index=index, area=area, birth=birth, sex=sex)
        return Someone(
            index=index,
            key=f"P{index:07d}",
            doc_type=DocType.HMT_RESIDENT,
            doc_number=number,
            name=names.traditional(name) or name,
            sex=sex,
            birth=birth,
            ethnicity=HAN,
            nationality="CHN",
            hukou_code="",
            hukou_address="",
            phone=mobile(rng),
            education=Education.BACHELOR,
            marital=marital_for(rng, age),
            party=False,
        )

    def foreigner(self, *, index: int, sex: str, age: int) -> Someone:
        rng = self.rng
        alpha3, numeric, _w, prefix, families, givens = _FOREIGNERS.draw(rng)
        birth = birth_for(rng, age, self.as_of)
        if rng.random() < 0.35:
            doc_type = DocType.FOREIGN_PR
            form = "2017" if rng.random() < 0.3 else "2023"
            number = foreign_pr_number(index=index, alpha3=alpha3, numeric=numeric, birth=birth, form=form)
        else:
            doc_type, number = DocType.PASSPORT, passport_number(index=index, prefix=prefix)
        return Someone(
            index=index,
            key=f"P{index:07d}",
            doc_type=doc_type,
            doc_number=number,
            name=names.foreign_name(rng, families, givens),
            sex=sex,
            birth=birth,
            ethnicity="97",
            nationality=alpha3,
            hukou_code="",
            hukou_address="",
            phone=mobile(rng) if rng.random() < 0.9 else "",
            education=one_of(rng, (Education.BACHELOR, Education.POSTGRADUATE, Education.COLLEGE)),
            marital=marital_for(rng, age),
            party=False,
        )
