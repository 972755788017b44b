"""Names of division codes anywhere in China: this instance's `Division` rows, else the national list.

An instance holds divisions down to the community for its own province only; a hukou county in another
province, a destination at another instance or an origin row of a flow matrix is named from the national list
of provinces, prefectures and counties (`data/china_divisions.csv.gz`, 2023 codes). Placeholder prefectures
(市辖区, 县, ...) group a municipality's districts in the statistics; a place's name leaves them out.
"""

import functools
import gzip
from collections.abc import Iterable
from pathlib import Path

from .models import Division

NAMES_FILE = Path(__file__).resolve().parent / "data" / "china_divisions.csv.gz"
PLACEHOLDER_PREFECTURES = frozenset({"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"})
PREFIX_LENGTHS = (2, 4, 6, 9, 12)


@functools.cache
def national_names() -> dict[str, str]:
    """Every province, prefecture and county code of the 2023 list with its name."""
    with gzip.open(NAMES_FILE, "rt", encoding="utf-8") as lines:
        return dict(line.rstrip("\n").split(",", 1) for line in lines if "," in line)


def prefixes(code: str) -> list[str]:
    """The code's own division and those above it, province first: 510104001 -> 51, 5101, 510104, 510104001."""
    return [code[:n] for n in PREFIX_LENGTHS if n <= len(code)]


def division_names(codes: Iterable[str]) -> dict[str, str]:
    """Names of the codes and of every division above them, in one query; unknown codes are left out."""
    wanted = {prefix for code in codes if code for prefix in prefixes(code)}
    names = dict(Division.objects.filter(code__in=wanted).values_list("code", "name")) if wanted else {}
    national = national_names()
    for code in wanted - names.keys():
        if code in national:
            names[code] = national[code]
    return names


def place_parts(code: str, names: dict[str, str]) -> list[str]:
    """The names from the province down to the code, without placeholder prefectures or unknown levels."""
    return [names[p] for p in prefixes(code) if p in names and names[p] not in PLACEHOLDER_PREFECTURES]


def place_name(code: str, names: dict[str, str]) -> str:
    """A place as an address writes it: 四川省成都市锦江区, 重庆市万州区 (no 市辖区)."""
    return "".join(place_parts(code, names))


def place_names(codes: Iterable[str]) -> dict[str, str]:
    """Each code's full name from the province down ("四川省成都市锦江区督院街街道东御河沿社区"), in one query."""
    codes = {c for c in codes if c}
    names = division_names(codes)
    return {code: place_name(code, names) for code in codes}
