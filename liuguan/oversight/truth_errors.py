"""The demo province's truth against the spot-check estimate of the error rate.

The demo generator knows who everyone really is (liuguan.demo TruePerson) and which records it got wrong
on purpose (Defect). `answer_from_truth` plays the verifiers: for each assigned check of a round it records
what a visit would find, field by field, through `check_record` as the verifier, so the whole chain
(corrections, feedback tasks, verification) runs as in the field. `error_comparison` puts the estimate
(and its interval) next to the true share of wrong records over every record the round sampled from.

A duplicate registration is linked to the real person through its Defect of kind "duplicate" (its
`person` is the duplicate record, its `true_key` the real person). A person the truth says has left, or
lives elsewhere, cannot be found at the registered place: the check is recorded as unreachable. The demo
records no wrong residence addresses and keeps no true address, so "address" is confirmed as registered.
Only the demo province has truth; elsewhere these functions find nothing to compare.
"""

from collections import defaultdict

from django.db import transaction

from liuguan.core.errors import NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.demo.models import Defect, DefectKind, TruePerson
from liuguan.geo.models import Division
from liuguan.registry.models import Person

from .models import SpotCheck, SpotCheckRound
from .selectors_checks import LEVEL_LENGTHS, WHOLE, check_rows, figures, strata_of
from .services.feedback import FIELD_OBJECT, PERSON
from .services.spotchecks import CONFIRMED, CORRECTED, check_for_work, check_record, population
from .stats import Estimate

TRUE_FIELDS = ("name", "ethnicity", "hukou_address", "phone", "education", "marital_status")
KEYS = ("person_id", "community_id", "departed_on", "run_id", "true_key")
CHUNK = 2000


def _chunks(ids):
    ids = list(ids)
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def truth_of(person_ids) -> dict[int, TruePerson]:
    """The true person behind each registry person: their first registration, or the one a duplicate copies."""
    found: dict[int, TruePerson] = {}
    for chunk in _chunks(set(person_ids)):
        first = TruePerson.objects.filter(person_id__in=chunk).only(*TRUE_FIELDS, *KEYS)
        for truth in first:
            found[truth.person_id] = truth
        duplicates = {
            (d.run_id, d.true_key): d.person_id
            for d in Defect.objects.filter(kind=DefectKind.DUPLICATE, person_id__in=chunk).exclude(
                person_id__in=list(found)
            )
        }
        by_run = defaultdict(list)
        for run_id, key in duplicates:
            by_run[run_id].append(key)
        for run_id, keys in by_run.items():
            for truth in TruePerson.objects.filter(run_id=run_id, true_key__in=keys):
                found[duplicates[(run_id, truth.true_key)]] = truth
    return found


def _true_value(truth: TruePerson, field: str, registered):
    """The value a visit would find: the truth's, or what is registered where the demo keeps no truth."""
    return getattr(truth, field) if field in TRUE_FIELDS else registered


def answer_from_truth(spot_round: SpotCheckRound, *, actor=None) -> int:
    """Record every assigned, still open check of the round as its verifier would find the person; returns how many.

    Checks without a verifier are recorded by `actor` when given (a station officer standing in); checks of
    people the demo has no truth for are left alone.
    """
    checks = list(
        SpotCheck.objects.filter(round=spot_round, status=SpotCheck.Status.ASSIGNED)
        .select_related("person", "stay", "verifier")
        .order_by("id")
    )
    truths = truth_of(c.person_id for c in checks)
    done = 0
    # One transaction per chunk of checks: each check is still all-or-nothing, and SQLite commits far less often.
    for start in range(0, len(checks), 200):
        with transaction.atomic():
            done += _answer(spot_round, checks[start : start + 200], truths, actor)
    return done


def _answer(spot_round: SpotCheckRound, checks: list[SpotCheck], truths: dict, actor) -> int:
    today = china_today()
    done = 0
    for check in checks:
        truth = truths.get(check.person_id)
        verifier = check.verifier or actor
        if truth is None or verifier is None or (check.verifier is None and not _may_stand_in(actor, check)):
            continue
        records = {PERSON: check.person, "registry.stay": check.stay}
        if (truth.departed_on is not None and truth.departed_on <= today) or truth.community_id != check.community_id:
            check_record(actor=verifier, check_id=check.pk, verdicts={}, unreachable=True, note="demo: not there")
            done += 1
            continue
        verdicts = {}
        for field in spot_round.fields:
            registered = getattr(records[FIELD_OBJECT[field]], field)
            true = _true_value(truth, field, registered)
            if true == registered:
                verdicts[field] = {"verdict": CONFIRMED}
            else:
                verdicts[field] = {"verdict": CORRECTED, "found": true}
        check_record(actor=verifier, check_id=check.pk, verdicts=verdicts, note="demo")
        done += 1
    return done


def _may_stand_in(actor, check: SpotCheck) -> bool:
    """Whether the stand-in may record a check nobody was given (a station or street officer over it)."""
    try:
        check_for_work(actor, check.pk)
    except (NotFound, PermissionDenied):
        return False
    return True


def _population_wrong(spot_round: SpotCheckRound) -> dict[str, list]:
    """Per community: [records, truly wrong, without truth] over every record the round sampled from.

    A checked record is judged on what it held before the check corrected it (its results keep that).
    """
    rows = list(
        population(
            division_code=spot_round.division_id,
            period_start=spot_round.period_start,
            period_end=spot_round.period_end,
            open_on=spot_round.created_at.date(),
        ).values_list("id", "person_id", "community_id", "address")
    )
    before = {
        stay_id: results
        for stay_id, results in SpotCheck.objects.filter(round=spot_round, status=SpotCheck.Status.DONE).values_list(
            "stay_id", "results"
        )
    }
    person_fields = [f for f in spot_round.fields if FIELD_OBJECT[f] == PERSON]
    persons = {}
    for chunk in _chunks({p for _s, p, _c, _a in rows}):
        for row in Person.objects.filter(pk__in=chunk).values("id", *person_fields):
            persons[row["id"]] = row
    truths = truth_of(persons)
    out: dict[str, list] = defaultdict(lambda: [0, 0, 0])
    for stay_id, person_id, community, address in rows:
        cell = out[community]
        truth = truths.get(person_id)
        if truth is None:
            cell[2] += 1
            continue
        cell[0] += 1
        held = before.get(stay_id) or {}
        wrong = False
        for field in spot_round.fields:
            registered = persons[person_id].get(field) if FIELD_OBJECT[field] == PERSON else address
            if field in held:
                registered = held[field].get("recorded", registered)
            if _true_value(truth, field, registered) != registered:
                wrong = True
                break
        cell[1] += wrong
    return out


def error_comparison(spot_round: SpotCheckRound, *, level: str = "county") -> list[dict]:
    """Per unit at an area level (and first the round's whole area): the estimated record error rate with its
    interval, beside the true rate over all records of the strata.

    Each row: unit, name, estimate (stats.Estimate), checked, wrong, unreachable, records, true_wrong,
    true_rate, contains (the interval holds the truth), no_truth (records the demo cannot judge).
    """
    if level not in LEVEL_LENGTHS:
        raise ValueError(f"area level expected, got {level!r}")
    area = spot_round.division_id
    rows = check_rows(SpotCheck.objects.filter(round=spot_round))
    sizes, points = strata_of([spot_round.pk], area)
    estimates = figures(rows, sizes, level, points) if rows else {}
    whole = figures(rows, sizes, WHOLE).get(WHOLE) if rows else None
    truth = _population_wrong(spot_round)
    n = LEVEL_LENGTHS[level]
    by_unit: dict[str, list] = defaultdict(lambda: [0, 0, 0])
    for community, (records, wrong, unknown) in truth.items():
        cell = by_unit[community[:n]]
        cell[0] += records
        cell[1] += wrong
        cell[2] += unknown
    names = dict(Division.objects.filter(code__in=[area, *by_unit]).values_list("code", "name"))
    total = [sum(v[i] for v in by_unit.values()) for i in range(3)]
    table = [(area, whole, total)] + [(unit, estimates.get(unit), by_unit[unit]) for unit in sorted(by_unit)]
    out = []
    for unit, figure, (records, true_wrong, unknown) in table:
        estimate = figure.estimate if figure else Estimate(None, notes=("no_sample",))
        true_rate = true_wrong / records if records else None
        out.append(
            {
                "unit": unit,
                "name": names.get(unit, unit),
                "estimate": estimate,
                "checked": figure.checked if figure else 0,
                "wrong": figure.wrong if figure else 0,
                "unreachable": figure.unreachable if figure else 0,
                "records": records,
                "true_wrong": true_wrong,
                "true_rate": true_rate,
                "contains": true_rate is not None and _contains(estimate, true_rate),
                "no_truth": unknown,
            }
        )
    return out


def _contains(estimate: Estimate, truth: float, slack: float = 1e-9) -> bool:
    """The interval holds the truth, allowing for rounding (Wilson's lower end at k = 0 is 0 only up to it)."""
    if estimate.low is None or estimate.high is None:
        return False
    return estimate.low - slack <= truth <= estimate.high + slack
