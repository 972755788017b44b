"""Chinese, Yi, Tibetan and foreign names, and the variants a second registration of one person shows."""

import random

from .draw import Weighted, one_of
from .reference import (
    GIVEN_CHARS,
    HOMOPHONES,
    SINGLE_GIVEN_SHARE,
    SURNAMES,
    TIBETAN,
    TIBETAN_PARTS,
    TRADITIONAL,
    YI,
    YI_CLANS,
    YI_GIVEN,
)

_SURNAMES = Weighted.of(SURNAMES)


def cohort(birth_year: int) -> str:
    """Name fashions changed around 1980 and again around 1995."""
    return "old" if birth_year < 1980 else "mid" if birth_year < 1995 else "young"


def surname(rng: random.Random) -> str:
    return _SURNAMES.draw(rng)


def given_name(rng: random.Random, sex: str, birth_year: int) -> str:
    era = cohort(birth_year)
    chars = GIVEN_CHARS[(sex, era)]
    if rng.random() < SINGLE_GIVEN_SHARE[era]:
        return one_of(rng, chars)
    first = one_of(rng, chars)
    second = one_of(rng, chars)
    while second == first:
        second = one_of(rng, chars)
    return first + second


def person_name(rng: random.Random, *, sex: str, birth_year: int, ethnicity: str, family: str = "") -> str:
    """A name as the hukou book writes it; `family` carries a parent's surname to a child."""
    if ethnicity == TIBETAN and not family:
        parts = TIBETAN_PARTS[sex]
        return one_of(rng, parts) + (one_of(rng, parts) if rng.random() < 0.6 else "")
    if ethnicity == YI and not family and rng.random() < 0.5:
        return one_of(rng, YI_CLANS) + one_of(rng, YI_GIVEN[sex])
    return (family or surname(rng)) + given_name(rng, sex, birth_year)


def family_of(name: str) -> str:
    """The surname a child inherits; Tibetan names have none, so the child gets a name of their own."""
    if name[:2] in YI_CLANS or any(name.startswith(s) for s in ("欧阳", "令狐", "司马", "上官", "诸葛")):
        return name[:2]
    if name[:2] in TIBETAN_PARTS["M"] or name[:2] in TIBETAN_PARTS["F"]:
        return ""
    return name[:1]


def homophone(rng: random.Random, name: str) -> str | None:
    """The name with one character replaced by another of the same toneless pinyin, given name first."""
    positions = [i for i in range(len(name) - 1, -1, -1) if name[i] in HOMOPHONES]
    if not positions:
        return None
    i = positions[0] if rng.random() < 0.8 else one_of(rng, positions)
    return name[:i] + one_of(rng, HOMOPHONES[name[i]]) + name[i + 1 :]


def traditional(name: str) -> str | None:
    """The name in traditional characters, or None when none of its characters differ."""
    converted = name.translate(TRADITIONAL)
    return converted if converted != name else None


def foreign_name(rng: random.Random, families: tuple[str, ...], givens: tuple[str, ...]) -> str:
    """Family name first, in capitals, as the passport's machine-readable zone writes it."""
    return f"{one_of(rng, families)} {one_of(rng, givens)}"
