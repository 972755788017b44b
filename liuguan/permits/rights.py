"""Rights a residence permit grants, and settlement conditions, as data with rules a person's facts are read by.

A rule names the permit kinds it needs and, optionally, the years the permit has been held, the months
of social insurance paid and the housing the person has. Every unmet part is given back as a reason, so
a person page and the API can say which rights a person has now and why not the others.
"""

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .policy import Status

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Facts:
    """What the rules read about a person: their permit (kind, state, years held), insurance, housing."""

    permit_kind: str | None
    permit_status: Status | None
    years_held: int = 0
    social_insurance_months: int = 0
    housing: str = ""


@dataclass(frozen=True)
class Right:
    code: str
    label: str
    rule: dict
    article: str = ""


@dataclass(frozen=True)
class Verdict:
    code: str
    label: str
    granted: bool
    # Unmet parts as (rule, needed, has): ("permit", ["formal"], "temporary"), ("min_years_held", 3, 1), ...
    missing: tuple[tuple[str, object, object], ...]


@lru_cache(maxsize=8)
def rights_load(profile: str = "national") -> tuple[str, tuple[Right, ...]]:
    """The version and the rights of a profile in the shipped data."""
    raw = json.loads((DATA / "rights.json").read_text(encoding="utf-8"))[profile]
    return raw["version"], tuple(Right(**r) for r in raw["rights"])


def _unmet(rule: dict, facts: Facts) -> tuple[tuple[str, object, object], ...]:
    missing = []
    kinds = rule.get("permit")
    if kinds is not None:
        if facts.permit_kind not in kinds:
            missing.append(("permit", kinds, facts.permit_kind))
        elif facts.permit_status != Status.VALID:
            missing.append(("permit_valid", Status.VALID.value, facts.permit_status and facts.permit_status.value))
    for key, has in (
        ("min_years_held", facts.years_held),
        ("min_social_insurance_months", facts.social_insurance_months),
    ):
        if key in rule and has < rule[key]:
            missing.append((key, rule[key], has))
    housing = rule.get("housing")
    if housing is not None and facts.housing not in housing:
        missing.append(("housing", housing, facts.housing))
    return tuple(missing)


def rights_for(facts: Facts, profile: str = "national") -> list[Verdict]:
    """Each right of the profile, granted or not, with what is missing; a suspended permit grants none."""
    _version, rights = rights_load(profile)
    verdicts = []
    for right in rights:
        missing = _unmet(right.rule, facts)
        verdicts.append(Verdict(right.code, right.label, not missing, missing))
    return verdicts


def settlement_check(facts: Facts, profile: str = "chengdu") -> Verdict:
    """Whether a person meets a city's settlement (落户) conditions, and what is missing."""
    raw = json.loads((DATA / "settlement.json").read_text(encoding="utf-8"))[profile]
    rule = {"permit": ["permit", "formal"], **raw["conditions"]}
    missing = _unmet(rule, facts)
    return Verdict("settlement", "落户", not missing, missing)
