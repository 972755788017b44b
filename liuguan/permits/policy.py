"""Residence-permit policy as data, and the rules that read it (以证管人).

The default policy is the national Interim Regulations on Residence Permits (State Council Order 663, in
force 2016-01-01); a city profile (`data/policies.json`) inherits it and adds its own kinds and terms.
A policy has a version, and every decision records the version it used.

Periods follow the Civil Code: a period in months starts the day after the event and ends on the
corresponding day of the last month, or that month's last day when it has none (Art. 201, 203); "以上",
"以内" and "届满" include the stated number (Art. 1259), so exactly six months of residence qualifies
and one day short does not. Deadlines of the procedure are working days, as administrative time limits
are (Administrative Licensing Law Art. 82), across public holidays and make-up working days.
"""

import calendar
import datetime as dt
import json
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from liuguan.core.workdays import add_working_days

DATA = Path(__file__).parent / "data" / "policies.json"
DAY = dt.timedelta(days=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The corresponding day `months` later, or that month's last day when it has none (Civil Code Art. 201)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class PermitKind:
    code: str
    label: str
    min_residence_months: int
    max_residence_months: int | None = None
    valid_years: int | None = None
    endorsed_yearly: bool = True
    upgrades: str | None = None


@dataclass(frozen=True)
class Requirement:
    """One line of the checklist: met by any one of the materials in `any_of` (Art. 9's "or").

    `conditions` and `kinds` narrow it to applicants relying on those conditions or applying for those kinds;
    empty means every applicant.
    """

    code: str
    label: str
    any_of: tuple[str, ...]
    conditions: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def applies(self, *, condition: str, kind: str) -> bool:
        return (not self.conditions or condition in self.conditions) and (not self.kinds or kind in self.kinds)

    def met(self, materials: dict) -> bool:
        return any(materials.get(code) for code in self.any_of)


@dataclass(frozen=True)
class Policy:
    code: str
    version: str
    title: str
    effective_from: dt.date
    source: str
    residence_months: int
    conditions: tuple[str, ...]
    decision_working_days: int
    decision_extended_working_days: int
    endorsement_window_months: int
    kinds: tuple[PermitKind, ...] = field(default_factory=tuple)
    # (material code, label) in the order the checklist shows them, and the requirements they meet.
    materials: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    checklist: tuple[Requirement, ...] = field(default_factory=tuple)

    def kind(self, code: str) -> PermitKind:
        for kind in self.kinds:
            if kind.code == code:
                return kind
        raise KeyError(code)

    def material_label(self, code: str) -> str:
        return dict(self.materials).get(code, code)

    def upgrade_of(self, kind: str) -> PermitKind | None:
        """The kind a holder of `kind` moves up to once eligible (Chengdu: temporary to formal), if any."""
        return next((k for k in self.kinds if k.upgrades == kind), None)


def policy_content(code: str = "national") -> dict:
    """A shipped policy as one self-contained document: a city profile takes what it does not say from its
    base, and adds its own materials and checklist lines (`materials_add`, `checklist_add`) to the base's.
    This is what a PermitPolicy row stores, so a decision can be explained by the row alone.
    """
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    entry = dict(raw[code])
    base = entry.pop("base", None)
    if base:
        merged = policy_content(base)
        merged.update(entry)
        entry = merged
    if "materials_add" in entry:
        entry["materials"] = {**entry.get("materials", {}), **entry.pop("materials_add")}
    if "checklist_add" in entry:
        entry["checklist"] = [*entry.get("checklist", []), *entry.pop("checklist_add")]
    return entry


def shipped_policies() -> list[str]:
    """The codes of the policies in data/policies.json, bases first."""
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    return sorted(raw, key=lambda code: (bool(raw[code].get("base")), code))


def policy_from_content(code: str, entry: dict) -> Policy:
    """The policy a stored or shipped document describes."""
    return Policy(
        code=code,
        version=entry["version"],
        title=entry["title"],
        effective_from=dt.date.fromisoformat(entry["effective_from"]),
        source=entry["source"],
        residence_months=entry["residence_months"],
        conditions=tuple(entry["conditions"]),
        decision_working_days=entry["decision_working_days"],
        decision_extended_working_days=entry["decision_extended_working_days"],
        endorsement_window_months=entry["endorsement_window_months"],
        kinds=tuple(PermitKind(**k) for k in entry["kinds"]),
        materials=tuple(entry.get("materials", {}).items()),
        checklist=tuple(
            Requirement(
                code=r["code"],
                label=r["label"],
                any_of=tuple(r["any_of"]),
                conditions=tuple(r.get("conditions", ())),
                kinds=tuple(r.get("kinds", ())),
            )
            for r in entry.get("checklist", ())
        ),
    )


@lru_cache(maxsize=8)
def policy_load(code: str = "national") -> Policy:
    """A policy from the shipped data; a city profile takes what it does not say from its base."""
    return policy_from_content(code, policy_content(code))


@lru_cache(maxsize=64)
def _policy_of_row(code: str, version: str, content_json: str) -> Policy:
    return policy_from_content(code, json.loads(content_json))


def policy_from(row) -> Policy:
    """The policy a PermitPolicy row stores (the version a decision names), built like a shipped one."""
    return _policy_of_row(row.code, row.version, json.dumps(row.content, sort_keys=True))


def requirements(policy: Policy, *, condition: str, kind: str) -> tuple[Requirement, ...]:
    """The checklist for an applicant relying on `condition` and applying for `kind` (Art. 9)."""
    return tuple(r for r in policy.checklist if r.applies(condition=condition, kind=kind))


def missing_materials(policy: Policy, *, condition: str, kind: str, materials: dict) -> tuple[Requirement, ...]:
    """Every checklist line the materials brought do not meet: what the single notice lists."""
    return tuple(r for r in requirements(policy, condition=condition, kind=kind) if not r.met(materials))


class Reason(StrEnum):
    RESIDENCE_TOO_SHORT = "residence_too_short"
    NO_CONDITION = "no_condition"
    RESIDENCE_TOO_LONG = "residence_too_long"


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    kind: str | None
    reasons: tuple[Reason, ...]
    # The first day the residence requirement is met (useful to tell an applicant when to come back).
    eligible_from: dt.date | None


def eligibility(policy: Policy, *, residence_since: dt.date, on: dt.date, conditions: set[str]) -> Eligibility:
    """Which kind of permit a person may have on a day: residence long enough plus one lawful condition.

    The kinds are tried from the longest residence they need; a kind with a maximum (a temporary permit)
    is only for residence shorter than it.
    """
    met = bool(conditions & set(policy.conditions))
    best_reasons: tuple[Reason, ...] = ()
    earliest = None
    for kind in sorted(policy.kinds, key=lambda k: -k.min_residence_months):
        starts = add_months(residence_since, kind.min_residence_months)
        earliest = starts if earliest is None or starts < earliest else earliest
        reasons = []
        if on < starts:
            reasons.append(Reason.RESIDENCE_TOO_SHORT)
        if kind.max_residence_months is not None and on >= add_months(residence_since, kind.max_residence_months):
            reasons.append(Reason.RESIDENCE_TOO_LONG)
        if not met:
            reasons.append(Reason.NO_CONDITION)
        if not reasons:
            return Eligibility(True, kind.code, (), starts)
        if not best_reasons or len(reasons) < len(best_reasons):
            best_reasons = tuple(reasons)
    return Eligibility(False, None, best_reasons, earliest)


def decision_due(policy: Policy, *, accepted_on: dt.date, extended: bool = False) -> dt.date:
    """The last day to decide on a complete application: 15 working days, or 30 where extended (Art. 9)."""
    days = policy.decision_extended_working_days if extended else policy.decision_working_days
    return add_working_days(accepted_on, days)


class Status(StrEnum):
    VALID = "valid"
    SUSPENDED = "suspended"
    EXPIRED = "expired"


@dataclass(frozen=True)
class PermitState:
    status: Status
    # Years of residence count continuously from this day: the issue date, or the last late endorsement.
    counted_from: dt.date
    years_held: int
    # The next endorsement window (first and last day) and the day the permit is suspended if it passes.
    window_opens: dt.date | None
    window_closes: dt.date | None
    suspended_from: dt.date | None
    expires_on: dt.date | None


def permit_state(
    policy: Policy, *, kind: str, issued_on: dt.date, endorsements: list[dt.date], on: dt.date
) -> PermitState:
    """Where a permit stands on a day, from its issue date and the days it was endorsed (Art. 10).

    Each full year of residence counted from `counted_from` must be endorsed within the month before it
    completes. An endorsement in that window carries the count on; none by the day the year completes
    suspends the permit from the next day; a late endorsement restores it and the years count on from
    that day. An endorsement before the window opens is refused by the service, and ignored here.
    """
    spec = policy.kind(kind)
    expires = add_months(issued_on, 12 * spec.valid_years) - DAY if spec.valid_years else None
    if expires is not None and on > expires:
        return PermitState(Status.EXPIRED, issued_on, 0, None, None, None, expires)
    counted_from, year = issued_on, 1
    done = sorted(d for d in endorsements if issued_on <= d <= on)
    if not spec.endorsed_yearly:
        years = _full_years(issued_on, on)
        return PermitState(Status.VALID, issued_on, years, None, None, None, expires)
    while True:
        completes = add_months(counted_from, 12 * year)
        opens = add_months(completes, -policy.endorsement_window_months)
        on_time = [d for d in done if opens <= d <= completes]
        if on_time:
            done = [d for d in done if d > on_time[0]]
            year += 1
            continue
        late = [d for d in done if d > completes]
        if late:
            counted_from, year = late[0], 1
            done = [d for d in done if d > late[0]]
            continue
        suspended = completes + DAY
        status = Status.SUSPENDED if on >= suspended else Status.VALID
        held = _full_years(counted_from, min(on, completes))
        return PermitState(status, counted_from, held, opens, completes, suspended, expires)


def endorsement_allowed(policy: Policy, *, state: PermitState, on: dt.date) -> bool:
    """An endorsement is taken in its window, or at any time once the permit is suspended (a late one)."""
    if state.status == Status.SUSPENDED:
        return True
    if state.status != Status.VALID or state.window_opens is None:
        return False
    return state.window_opens <= on <= state.window_closes


def _full_years(start: dt.date, end: dt.date) -> int:
    years = end.year - start.year
    if add_months(start, 12 * years) > end:
        years -= 1
    return max(0, years)
