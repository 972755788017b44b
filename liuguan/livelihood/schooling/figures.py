"""The report's measures of migrant children's schooling, per area and year, from the school records (学籍).

The arithmetic (one rule, used by the page, the API and the tests alike):
- A child is enrolled in an area in year Y when one of their records at a school of that area overlaps
  1 January to 31 December of Y. A child who moved between two areas in the year counts in both; in the
  area above them, once.
- The child counts as public or private by the school of their latest record (by start day) in that area and
  year, so public + private = enrolled and the two shares add up to 1.
- A transfer in year Y is a record that ended in Y with the reason "transfer" (学籍变动), counted in the area
  of the school the child left. The transfer rate is transfers / children enrolled.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import NamedTuple

from liuguan.core.scoping import within

from .models import EndReason, SchoolKind, SchoolRecord


class RecordRow(NamedTuple):
    child_id: int
    community: str
    kind: str
    started_on: dt.date
    ended_on: dt.date | None
    end_reason: str
    record_id: int


@dataclass(frozen=True)
class Figure:
    code: str
    enrolled: int
    public: int
    private: int
    transfers: int

    @property
    def public_share(self) -> float | None:
        return self.public / self.enrolled if self.enrolled else None

    @property
    def private_share(self) -> float | None:
        return self.private / self.enrolled if self.enrolled else None

    @property
    def transfer_rate(self) -> float | None:
        return self.transfers / self.enrolled if self.enrolled else None

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "enrolled": self.enrolled,
            "public": self.public,
            "private": self.private,
            "public_share": self.public_share,
            "private_share": self.private_share,
            "transfers": self.transfers,
            "transfer_rate": self.transfer_rate,
        }


def figures_from_rows(rows, *, year: int, length: int) -> dict[str, Figure]:
    """The measures per unit (the first `length` digits of the school's community code) for one year."""
    first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
    latest: dict[tuple[str, int], RecordRow] = {}
    transfers: dict[str, int] = defaultdict(int)
    for row in rows:
        unit = row.community[:length]
        if row.started_on <= last and (row.ended_on is None or row.ended_on >= first):
            key = (unit, row.child_id)
            held = latest.get(key)
            if held is None or (row.started_on, row.record_id) > (held.started_on, held.record_id):
                latest[key] = row
        if row.end_reason == EndReason.TRANSFER and row.ended_on is not None and first <= row.ended_on <= last:
            transfers[unit] += 1
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (unit, _child), row in latest.items():
        counts[unit][0 if row.kind == SchoolKind.PUBLIC else 1] += 1
    units = set(counts) | set(transfers)
    return {
        unit: Figure(
            code=unit,
            enrolled=sum(counts[unit]),
            public=counts[unit][0],
            private=counts[unit][1],
            transfers=transfers.get(unit, 0),
        )
        for unit in sorted(units)
    }


def record_rows(*, area: str, year_from: int | None = None, year_to: int | None = None) -> list[RecordRow]:
    """Every school record at a school inside `area` (the caller has checked the area is the user's)."""
    qs = SchoolRecord.objects.filter(within("school__community_id", area))
    if year_to is not None:
        qs = qs.filter(started_on__lte=dt.date(year_to, 12, 31))
    if year_from is not None:
        from django.db.models import Q

        qs = qs.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=dt.date(year_from, 1, 1)))
    return [
        RecordRow(*values)
        for values in qs.values_list(
            "child_id", "school__community_id", "school__kind", "started_on", "ended_on", "end_reason", "pk"
        ).iterator(chunk_size=5000)
    ]


def years_covered(rows, today: dt.date) -> list[int]:
    """The years from the first record's start to this year."""
    if not rows:
        return [today.year]
    start = min(r.started_on.year for r in rows)
    return list(range(start, today.year + 1))


def area_figures(*, area: str, year: int, child_length: int | None) -> tuple[Figure, dict[str, Figure]]:
    """The whole area's measures for a year and the measures of its sub-areas (none at community level)."""
    rows = record_rows(area=area, year_from=year, year_to=year)
    whole = figures_from_rows(rows, year=year, length=len(area)).get(area) or Figure(area, 0, 0, 0, 0)
    units = figures_from_rows(rows, year=year, length=child_length) if child_length else {}
    return whole, units


def area_trend(*, area: str, today: dt.date) -> list[tuple[int, Figure]]:
    """The whole area's measures year by year."""
    rows = record_rows(area=area)
    trend = []
    for year in years_covered(rows, today):
        found = figures_from_rows(rows, year=year, length=len(area)).get(area) or Figure(area, 0, 0, 0, 0)
        trend.append((year, found))
    return trend
