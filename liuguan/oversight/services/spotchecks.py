"""Spot checks (抽查): a seeded random sample of each collector's registrations, verified in the field by someone else.

A round covers an area and a registration period. For every collector who registered people there (channel
collector or batch import), a simple random sample without replacement of their still-open stays is drawn
with `random.Random(f"{seed}:{collector id}")`: the seed is kept on the round, so anyone can repeat the draw,
and adding or removing one collector does not change anybody else's sample. Each record's strata (collector
x community) are written with how many records they hold, which is what the stratified error rate weights by.

Each drawn stay goes to a field worker of its community other than its collector (the grid worker of its
grid first, then the least-loaded collector or grid worker who covers it), else to the station officer.
The verifier confirms or corrects each field; corrections go onto the record with the round's number as
reason, and each corrected field opens a feedback task to whoever set it.
"""

import datetime as dt
import random
import secrets
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.accounts.models import User
from liuguan.accounts.roles import DESK, Role
from liuguan.core.audit import audit_record
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.scoping import jurisdiction, scoped, within
from liuguan.core.workdays import add_working_days
from liuguan.geo.models import Division
from liuguan.registry.codes import SourceChannel
from liuguan.registry.models import Stay
from liuguan.registry.services.corrections import _clean as clean_value
from liuguan.registry.services.corrections import field_setter, record_correct, stay_verify

from ..models import SpotCheck, SpotCheckRound, SpotCheckStratum
from .feedback import FIELD_OBJECT, PERSON, STAY, open_task

CHINA = ZoneInfo("Asia/Shanghai")
DEFAULT_FIELDS = tuple(FIELD_OBJECT)
# Registrations a collector answers for: typed in by them, or imported under their account.
COLLECTOR_CHANNELS = (SourceChannel.COLLECTOR, SourceChannel.IMPORT)
VERIFIER_ROLES = (Role.COLLECTOR, Role.GRID_WORKER)
MAX_SAMPLE = 100
CONFIRMED, CORRECTED, STATED = "confirmed", "corrected", "stated"


def day_start(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=CHINA)


def population(*, division_code: str, period_start: dt.date, period_end: dt.date, open_on: dt.date | None = None):
    """The stays a round samples from: registered in the period by a collector, in the area, still open.

    `open_on` (the day the round was drawn) lets a later reader rebuild the same population after some of
    those stays have ended.
    """
    qs = Stay.objects.filter(
        within("community_id", division_code),
        collector__isnull=False,
        source_channel__in=COLLECTOR_CHANNELS,
        registered_at__gte=day_start(period_start),
        registered_at__lt=day_start(period_end + dt.timedelta(days=1)),
    )
    if open_on is None:
        return qs.filter(departed_on__isnull=True)
    return qs.filter(Q(departed_on__isnull=True) | Q(departed_on__gt=open_on))


def draw(stays: dict[int, list[int]], *, size: int, seed: int) -> dict[int, list[int]]:
    """Per collector, `size` stay ids drawn without replacement (all of them when fewer), reproducibly."""
    drawn = {}
    for collector_id in sorted(stays):
        ids = sorted(stays[collector_id])
        rng = random.Random(f"{seed}:{collector_id}")
        drawn[collector_id] = sorted(rng.sample(ids, min(size, len(ids))))
    return drawn


def _round_problems(actor, division_code, period_start, period_end, sample_size, fields, due_on):
    problems = []
    code = jurisdiction(actor)
    division = None
    if code and division_code and str(division_code).startswith(code):
        division = Division.objects.filter(code=division_code).first()
    if division is None:
        problems.append(
            FieldProblem("division_code", "spotcheck.area_in_scope", _("Choose an area inside your jurisdiction"))
        )
    today = china_today()
    if period_start is None or period_end is None:
        problems.append(FieldProblem("period_start", "spotcheck.period", _("Give the registration period")))
    elif period_start > period_end:
        problems.append(FieldProblem("period_end", "spotcheck.period_order", _("The period ends before it starts")))
    elif period_end > today:
        problems.append(FieldProblem("period_end", "spotcheck.period_future", _("The period ends in the future")))
    if not 1 <= sample_size <= MAX_SAMPLE:
        problems.append(
            FieldProblem(
                "sample_size",
                "spotcheck.sample_size",
                _("Draw between 1 and %(max)d records per collector") % {"max": MAX_SAMPLE},
            )
        )
    unknown = [f for f in fields if f not in FIELD_OBJECT]
    if unknown or not fields:
        problems.append(FieldProblem("fields", "spotcheck.fields", _("Choose fields that can be checked")))
    if due_on is not None and due_on < today:
        problems.append(FieldProblem("due_on", "spotcheck.due_past", _("The due date has passed")))
    return division, problems


class _Assigner:
    """Hands out checks: the stay's grid worker first, then the least-loaded field worker, then the station."""

    def __init__(self, communities: set[str]):
        codes = communities | {c[:9] for c in communities}
        self.field: dict[str, list[User]] = defaultdict(list)
        for user in User.objects.filter(role__in=VERIFIER_ROLES, is_active=True, division_id__in=codes).order_by("id"):
            self.field[user.division_id].append(user)
        self.station: dict[str, list[User]] = defaultdict(list)
        for user in User.objects.filter(
            role=Role.STATION_OFFICER, is_active=True, division_id__in=communities
        ).order_by("id"):
            self.station[user.division_id].append(user)
        self.load: Counter = Counter()

    def pick(self, *, community: str, collector_id: int | None, grid_worker_id: int | None) -> User | None:
        candidates = [u for u in self.field[community] + self.field[community[:9]] if u.pk != collector_id]
        chosen = next((u for u in candidates if u.pk == grid_worker_id), None)
        if chosen is None and candidates:
            chosen = min(candidates, key=lambda u: (self.load[u.pk], u.pk))
        if chosen is None:
            officers = [u for u in self.station[community] if u.pk != collector_id]
            chosen = min(officers, key=lambda u: (self.load[u.pk], u.pk)) if officers else None
        if chosen is not None:
            self.load[chosen.pk] += 1
        return chosen


@transaction.atomic
def round_create(
    *,
    actor,
    division_code: str,
    period_start: dt.date,
    period_end: dt.date,
    sample_size: int | None = None,
    fields: list[str] | tuple[str, ...] | None = None,
    seed: int | None = None,
    due_on: dt.date | None = None,
    source: str = "web",
) -> SpotCheckRound:
    """Draw a round: `sample_size` open stays per collector registered in the area and period, each to a verifier.

    The draw is a simple random sample without replacement per collector, from a seed kept on the round.
    """
    if not actor.can("spotcheck.manage"):
        raise PermissionDenied()
    sample_size = int(settings.LIUGUAN_QUALITY["spot_check_sample"] if sample_size is None else sample_size)
    if fields:
        given = list(fields)
        fields = [f for f in DEFAULT_FIELDS if f in given] + [f for f in given if f not in FIELD_OBJECT]
    else:
        fields = list(DEFAULT_FIELDS)
    division, problems = _round_problems(actor, division_code, period_start, period_end, sample_size, fields, due_on)
    if problems:
        raise InvalidInput(problems)
    rows = list(
        population(division_code=division.code, period_start=period_start, period_end=period_end)
        .order_by("id")
        .values_list("id", "collector_id", "community_id")
    )
    if not rows:
        raise InvalidInput(
            [
                FieldProblem(
                    "period_start",
                    "spotcheck.no_records",
                    _("No collector registered anyone still living in this area in that period"),
                )
            ]
        )
    seed = secrets.randbelow(2**62) if seed is None else int(seed)
    by_collector: dict[int, list[int]] = defaultdict(list)
    community_of: dict[int, str] = {}
    for stay_id, collector_id, community in rows:
        by_collector[collector_id].append(stay_id)
        community_of[stay_id] = community
    drawn = draw(by_collector, size=sample_size, seed=seed)
    today = china_today()
    prefix = f"SC-{division.code}-{period_start:%Y%m}-"
    number = f"{prefix}{SpotCheckRound.objects.filter(number__startswith=prefix).count() + 1}"
    spot_round = SpotCheckRound.objects.create(
        number=number,
        division=division,
        period_start=period_start,
        period_end=period_end,
        sample_size=sample_size,
        fields=fields,
        seed=seed,
        due_on=due_on or add_working_days(today, int(settings.LIUGUAN_QUALITY["spot_check_days"])),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    records = Counter((collector_id, community) for _id, collector_id, community in rows)
    picked = Counter((c, community_of[s]) for c, ids in drawn.items() for s in ids)
    SpotCheckStratum.objects.bulk_create(
        SpotCheckStratum(round=spot_round, collector_id=c, community=community, records=n, drawn=picked[(c, community)])
        for (c, community), n in sorted(records.items())
    )
    chosen_ids = sorted(s for ids in drawn.values() for s in ids)
    stays = Stay.objects.filter(pk__in=chosen_ids).values_list(
        "id", "person_id", "community_id", "collector_id", "grid__worker_id"
    )
    assigner = _Assigner({community_of[s] for s in chosen_ids})
    checks = []
    for stay_id, person_id, community, collector_id, grid_worker_id in sorted(stays):
        verifier = assigner.pick(community=community, collector_id=collector_id, grid_worker_id=grid_worker_id)
        checks.append(
            SpotCheck(
                round=spot_round,
                stay_id=stay_id,
                person_id=person_id,
                community_id=community,
                collector_id=collector_id,
                verifier=verifier,
            )
        )
    SpotCheck.objects.bulk_create(checks)
    audit_record(
        actor=actor,
        action="spotcheck.round_create",
        obj=spot_round,
        division_code=division.code,
        source=source,
        changes={
            "number": number,
            "period": [period_start, period_end],
            "seed": seed,
            "sample_size": sample_size,
            "fields": fields,
            "collectors": len(by_collector),
            "records": len(rows),
            "drawn": len(checks),
            "unassigned": sum(1 for c in checks if c.verifier is None),
            "due_on": spot_round.due_on,
        },
    )
    return spot_round


@transaction.atomic
def round_close(*, actor, round_id: int, source: str = "web") -> SpotCheckRound:
    """Close a round: checks still to do stay undone and count nowhere."""
    if not actor.can("spotcheck.manage"):
        raise PermissionDenied()
    spot_round = scoped(SpotCheckRound.objects.select_for_update(), actor).filter(pk=round_id).first()
    if spot_round is None or not spot_round.division_id.startswith(jurisdiction(actor) or "-"):
        raise NotFound()
    if spot_round.status != SpotCheckRound.Status.OPEN:
        raise Conflict(_("This round is already closed"), rule="spotcheck.closed")
    spot_round.status = SpotCheckRound.Status.CLOSED
    spot_round.closed_at = timezone.now()
    spot_round.save(update_fields=["status", "closed_at"])
    pending = spot_round.checks.filter(status=SpotCheck.Status.ASSIGNED).count()
    audit_record(
        actor=actor,
        action="spotcheck.round_close",
        obj=spot_round,
        division_code=spot_round.division_id,
        source=source,
        changes={"number": spot_round.number, "pending": pending},
    )
    return spot_round


def check_for_work(actor, check_id: int, *, lock: bool = False) -> SpotCheck:
    """The check if the actor may record it: its verifier, or a station or street officer over its community.

    Anyone else who is a field worker gets NotFound, as on the pages: they never see others' checks.
    """
    qs = SpotCheck.objects.select_for_update() if lock else SpotCheck.objects.all()
    check = scoped(qs, actor).filter(pk=check_id).first()
    if check is None:
        raise NotFound()
    if check.verifier_id == actor.pk and actor.can("spotcheck.verify"):
        return check
    code = jurisdiction(actor) or "-"
    if actor.role in DESK and actor.can("spotcheck.verify") and check.community_id.startswith(code):
        return check
    if actor.can("spotcheck.manage"):
        raise PermissionDenied()
    raise NotFound()


def _verdict_problems(fields, verdicts) -> list[FieldProblem]:
    problems = []
    for name in verdicts:
        if name not in fields:
            problems.append(FieldProblem(name, "spotcheck.field_not_checked", _("This field is not checked here")))
    for name in fields:
        given = verdicts.get(name)
        verdict = given.get("verdict") if isinstance(given, dict) else None
        if verdict not in (CONFIRMED, CORRECTED, STATED):
            problems.append(FieldProblem(name, "spotcheck.verdict_required", _("Confirm or correct this field")))
        elif verdict in (CORRECTED, STATED) and given.get("found") is None:
            problems.append(FieldProblem(name, "spotcheck.found_required", _("Give the value found")))
    return problems


def _settle_stated(fields, verdicts: dict, recorded: dict) -> dict:
    """Turn "stated" verdicts into confirmed or corrected by comparing with the record.

    The verifier typed what the person says (a phone they see only masked), so they never need the full value.
    """
    settled, problems = {}, []
    for name in fields:
        given = verdicts[name]
        if given["verdict"] != STATED:
            settled[name] = given
            continue
        raw = given.get("found")
        if str(raw or "").strip() == "" and recorded[name]:
            problems.append(FieldProblem(name, "spotcheck.found_required", _("Type what the person gives")))
            continue
        try:
            value = clean_value(name, raw)
        except InvalidInput as exc:
            problems.extend(FieldProblem(name, p.rule, p.message) for p in exc.problems)
            continue
        settled[name] = {"verdict": CONFIRMED if value == recorded[name] else CORRECTED, "found": value}
    if problems:
        raise InvalidInput(problems)
    return settled


@transaction.atomic
def check_record(
    *,
    actor,
    check_id: int,
    verdicts: dict[str, dict],
    note: str = "",
    unreachable: bool = False,
    source: str = "web",
) -> SpotCheck:
    """Record a field verification: every checked field confirmed or corrected, or the person not found.

    A verdict is {"verdict": "confirmed"}, {"verdict": "corrected", "found": value}, or {"verdict": "stated",
    "found": value} when the verifier typed what the person says and the record decides (the phone, which
    verifiers see only masked).

    Corrections are applied to the record (reason: the round's number), each corrected field opens a
    feedback task to whoever set it, and the stay counts as verified today. A person not found is recorded
    as unreachable: neither right nor wrong.
    """
    check = check_for_work(actor, check_id, lock=True)
    spot_round = SpotCheckRound.objects.get(pk=check.round_id)
    if spot_round.status != SpotCheckRound.Status.OPEN:
        raise Conflict(_("This round is closed"), rule="spotcheck.closed")
    if check.status != SpotCheck.Status.ASSIGNED:
        raise Conflict(_("This check has already been recorded"), rule="spotcheck.done")
    note = " ".join((note or "").split())[:200]
    now = timezone.now()
    if unreachable:
        check.status = SpotCheck.Status.UNREACHABLE
        check.note, check.done_by, check.done_at = note, actor, now
        check.save(update_fields=["status", "note", "done_by", "done_at"])
        audit_record(
            actor=actor,
            action="spotcheck.unreachable",
            obj=check,
            division_code=check.community_id,
            source=source,
            changes={"round": spot_round.number, "stay": check.stay_id},
        )
        return check
    fields = list(spot_round.fields)
    verdicts = verdicts or {}
    problems = _verdict_problems(fields, verdicts)
    if problems:
        raise InvalidInput(problems)
    stay = Stay.objects.select_related("person").get(pk=check.stay_id)
    person = stay.person
    records = {PERSON: person, STAY: stay}
    recorded = {f: getattr(records[FIELD_OBJECT[f]], f) for f in fields}
    verdicts = _settle_stated(fields, verdicts, recorded)
    wanted = {f: verdicts[f]["found"] for f in fields if verdicts[f]["verdict"] == CORRECTED}
    # Who set each field must be read before the correction makes the verifier its latest setter.
    setters = {f: field_setter(object_type=FIELD_OBJECT[f], record=records[FIELD_OBJECT[f]], field=f) for f in wanted}
    changed: dict[str, tuple] = {}
    for object_type, record in ((PERSON, person), (STAY, stay)):
        values = {f: v for f, v in wanted.items() if FIELD_OBJECT[f] == object_type}
        if values:
            changed |= record_correct(
                actor=actor,
                object_type=object_type,
                object_id=record.pk,
                values=values,
                reason=spot_round.number,
                channel=SourceChannel.COLLECTOR,
                source=source,
            )
    results = {}
    for f in fields:
        if f in changed:
            results[f] = {"verdict": CORRECTED, "recorded": changed[f][0], "found": changed[f][1]}
        else:
            results[f] = {"verdict": CONFIRMED, "recorded": recorded[f], "found": recorded[f]}
    check.status = SpotCheck.Status.DONE
    check.results = results
    check.fields_checked = len(fields)
    check.fields_corrected = len(changed)
    check.note, check.done_by, check.done_at = note, actor, now
    check.save(update_fields=["status", "results", "fields_checked", "fields_corrected", "note", "done_by", "done_at"])
    for f, (old, new) in changed.items():
        object_type = FIELD_OBJECT[f]
        open_task(
            actor=actor,
            object_type=object_type,
            record=records[object_type],
            person=person,
            stay=stay,
            field=f,
            recorded_value=old,
            found_value=new,
            note=f"{spot_round.number} {note}".strip(),
            origin="spot_check",
            setter=setters[f],
            spot_check=check,
            source=source,
        )
    if stay.departed_on is None:
        stay_verify(actor=actor, stay_ids=[stay.pk], reason=spot_round.number, source=source)
    audit_record(
        actor=actor,
        action="spotcheck.record",
        obj=check,
        division_code=check.community_id,
        source=source,
        changes={"round": spot_round.number, "stay": stay.pk, "checked": len(fields), "corrected": sorted(changed)},
    )
    return check
