"""python manage.py permits_demo [--share 0.2]: residence permits for the demo province, through the services.

A share of the residents eligible today (by the policy governing their community) apply at their station;
most permits go the whole way to handover, and some stop on the way (materials missing, awaiting decision,
issued but not printed, printed but not handed over) so that every count on the permits index shows
something. Each step runs through the same services the pages call, as the station officer of the
resident's community where the demo made one, else as a stand-in station officer of the city named
"system" (no account, recorded as "system" in the audit chain), in batches of up to 200 per officer: the
batch services record one audit event per batch and step, and a trail step per application and permit.
Running it again tops up to the share; --reset removes the permits and applications of generated people
(run it before `demo --reset`, which they would block).

Overdue endorsements are injected on purpose (`--overdue`, a share of the handed-over permits of kinds endorsed
every year, drawn from a stream of their own so the other draws stay as they were): the permit's issue date is
moved back 13 months, so its first year completed a month ago without an endorsement, and the refresh suspends
it. Each one has a `demo_overdue` step on its trail: the truth the grid's rules must find, no more, no fewer.
"""

import datetime as dt
import random
import time
from collections import defaultdict

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from liuguan.accounts.models import User
from liuguan.accounts.roles import Role
from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.scoping import within
from liuguan.permits.models import Application, Permit, PermitEvent, PermitPolicy
from liuguan.permits.policy import add_months, eligibility, policy_from, requirements
from liuguan.permits.services import (
    ApplicationEntry,
    DecisionEntry,
    applications_decide,
    applications_receive,
    permit_policies_load,
    permits_handover,
    permits_issue,
    permits_print,
)
from liuguan.permits.services.applications import LIVE_PERMITS, OPEN_STATUSES, continuous_since
from liuguan.permits.services.common import current_day
from liuguan.permits.services.permits import permits_refresh
from liuguan.registry.models import Stay

CONDITION_FOR_REASON = {"work": "employment", "business": "employment", "study": "study"}
# Where each demo application stops: (share, last step). The rest go to handover.
STOPS = ((0.05, "incomplete"), (0.07, "accepted"), (0.05, "issued"), (0.05, "printed"))
BATCH = 200


class Command(BaseCommand):
    help = "Issue residence permits through the services to a share of the demo province's eligible residents."

    def add_arguments(self, parser):
        parser.add_argument("--share", type=float, default=0.2, help="share of eligible residents (default 0.2)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--overdue", type=float, default=0.05, help="share of handed-over permits left with an overdue endorsement"
        )
        parser.add_argument("--reset", action="store_true", help="remove permits of generated people and stop")

    def handle(self, *args, share, seed, reset, overdue, **options):
        if reset:
            removed = permits_demo_reset()
            self.stdout.write(f"{removed['permits']} permits and {removed['applications']} applications removed")
            return
        if not 0 <= share <= 1 or not 0 <= overdue <= 1:
            raise CommandError("--share and --overdue are between 0 and 1")
        started = time.monotonic()
        permit_policies_load(source="cli")
        counts = permits_demo(share=share, seed=seed, overdue=overdue)
        self.stdout.write(
            f"{counts['eligible']} eligible residents, {counts['applied']} applied now "
            f"({counts['held']} already held or applied); {counts['issued']} permits issued, "
            f"{counts['handed_over']} handed over ({counts['overdue']} with an overdue endorsement), "
            f"in {time.monotonic() - started:.1f} s"
        )


def _candidates(province: str, today) -> list[dict]:
    """Each resident's latest open stay in the province with the continuous residence behind it."""
    rows = defaultdict(list)
    stays = (
        Stay.objects.filter(within("community_id", province))
        .order_by()
        .values_list("pk", "person_id", "community_id", "arrived_on", "departed_on", "reason")
    )
    for row in stays.iterator(chunk_size=5000):
        rows[row[1]].append(row)
    busy = set(Permit.objects.filter(status__in=LIVE_PERMITS).values_list("person_id", flat=True))
    busy |= set(Application.objects.filter(status__in=OPEN_STATUSES).values_list("person_id", flat=True))
    found = []
    for person_id, person_stays in rows.items():
        open_stays = [r for r in person_stays if r[4] is None]
        if not open_stays:
            continue
        stay_id, _, community, arrived, _, reason = max(open_stays, key=lambda r: (r[3], r[0]))
        if arrived > today:
            continue
        city = [(r[3], r[4]) for r in person_stays if r[2][:4] == community[:4] and r[0] != stay_id]
        found.append(
            {
                "person_id": person_id,
                "stay_id": stay_id,
                "community": community,
                "since": continuous_since(arrived, city),
                "condition": CONDITION_FOR_REASON.get(reason, "residence"),
                "busy": person_id in busy,
            }
        )
    return found


def _policies(today) -> list[tuple[str, object, object]]:
    """(prefix, row, rules) in force today, longest prefix first, latest version first."""
    rows = PermitPolicy.objects.filter(effective_from__lte=today).order_by("-effective_from", "-id")
    ordered = sorted(rows, key=lambda row: -len(row.prefix))
    return [(row.prefix, row, policy_from(row)) for row in ordered]


def _actor(officers: dict, community: str):
    officer = officers.get(community)
    if officer is not None:
        return officer
    # A stand-in station officer for the city, never saved: the audit chain names "system" and no account's
    # trail gains these steps.
    return User(username="system", role=Role.STATION_OFFICER, division_id=community[:4], is_active=True)


def permits_demo(*, share: float, seed: int = 1, overdue: float = 0.0) -> dict[str, int]:
    today = current_day()
    province = settings.LIUGUAN_PROVINCE_CODE
    policies = _policies(today)
    eligible = []
    for candidate in _candidates(province, today):
        rules = next((rules for prefix, _row, rules in policies if candidate["community"].startswith(prefix)), None)
        if rules is None:
            continue
        found = eligibility(rules, residence_since=candidate["since"], on=today, conditions={candidate["condition"]})
        if found.eligible:
            eligible.append({**candidate, "kind": found.kind, "rules": rules})
    rng = random.Random(seed)
    eligible.sort(key=lambda c: c["person_id"])
    rng.shuffle(eligible)
    held = sum(1 for c in eligible if c["busy"])
    chosen = [c for c in eligible if not c["busy"]][: max(0, round(share * len(eligible)) - held)]
    officers = {
        u.division_id: u
        for u in User.objects.filter(role=Role.STATION_OFFICER, is_active=True, division__isnull=False).order_by("-id")
    }
    groups = defaultdict(list)
    late = random.Random(f"{seed}-overdue")
    for candidate in chosen:
        candidate["stop"] = _stop(rng.random())
        candidate["overdue"] = late.random() < overdue
        actor = _actor(officers, candidate["community"])
        groups[actor.pk or actor.division_id].append((actor, candidate))
    counts = {"eligible": len(eligible), "held": held, "applied": 0, "issued": 0, "handed_over": 0, "overdue": 0}
    for members in groups.values():
        for start in range(0, len(members), BATCH):
            batch = members[start : start + BATCH]
            with transaction.atomic():
                _walk(batch[0][0], [candidate for _actor, candidate in batch], counts)
    if counts["overdue"]:
        permits_refresh(today)
    return counts


def _stop(draw: float) -> str:
    edge = 0.0
    for part, step in STOPS:
        edge += part
        if draw < edge:
            return step
    return "handed_over"


def _walk(actor, candidates: list[dict], counts: dict) -> None:
    """A station's batch of applications, each as far as its drawn stop, through the batch services."""
    entries = []
    for candidate in candidates:
        materials = {
            r.any_of[0]: True
            for r in requirements(candidate["rules"], condition=candidate["condition"], kind=candidate["kind"])
        }
        if candidate["stop"] == "incomplete":
            materials.pop("photo", None)
        entries.append(
            ApplicationEntry(
                person_id=candidate["person_id"],
                stay_id=candidate["stay_id"],
                permit_kind=candidate["kind"],
                condition=candidate["condition"],
                materials=materials,
            )
        )
    received = applications_receive(actor=actor, entries=entries, source="cli")
    counts["applied"] += len(received)
    going = [(a, c) for a, c in zip(received, candidates, strict=True) if c["stop"] not in ("incomplete", "accepted")]
    if not going:
        return
    applications_decide(actor=actor, decisions=[DecisionEntry(a.pk, approve=True) for a, _c in going], source="cli")
    permits = permits_issue(actor=actor, application_ids=[a.pk for a, _c in going], source="cli")
    counts["issued"] += len(permits)
    stops = [c["stop"] for _a, c in going]
    to_print = [p.pk for p, stop in zip(permits, stops, strict=True) if stop != "issued"]
    if to_print:
        permits_print(actor=actor, permit_ids=to_print, source="cli")
    to_hand = [p.pk for p, stop in zip(permits, stops, strict=True) if stop == "handed_over"]
    if to_hand:
        permits_handover(actor=actor, permit_ids=to_hand, source="cli")
    counts["handed_over"] += len(to_hand)
    late = [
        (p, c)
        for p, (_a, c) in zip(permits, going, strict=True)
        if c["stop"] == "handed_over" and c["overdue"] and c["rules"].kind(p.kind).endorsed_yearly
    ]
    counts["overdue"] += _backdate(late)


def _backdate(late: list) -> int:
    """Move these permits' issue back 13 months, so their first endorsement is a month overdue (the demo's truth)."""
    today = current_day()
    start = add_months(today, -13)
    moved = []
    for permit, candidate in late:
        if candidate["since"] > start:
            continue  # not resident long enough for a permit issued then
        years = candidate["rules"].kind(permit.kind).valid_years
        permit.issued_on = permit.counted_from = start
        permit.valid_until = add_months(start, 12 * years) - dt.timedelta(days=1) if years else None
        moved.append(permit)
    Permit.objects.bulk_update(moved, ["issued_on", "counted_from", "valid_until"])
    PermitEvent.objects.bulk_create(
        PermitEvent(permit=p, action="demo_overdue", actor=None, note=start.isoformat()) for p in moved
    )
    if moved:
        audit_record(
            actor=SYSTEM,
            action="permit.demo_overdue",
            object_type="permits.permit",
            source="cli",
            changes={"permits": len(moved), "issued_on": start.isoformat()},
        )
    return len(moved)


@transaction.atomic
def permits_demo_reset() -> dict[str, int]:
    """Remove the permits and applications of the people demo runs generated (their key range)."""
    from liuguan.demo.reset import demo_spans

    span = demo_spans().get("person")
    if span is None:
        return {"permits": 0, "applications": 0}
    applications = Application.objects.filter(person_id__gte=span[0], person_id__lte=span[1])
    permits = Permit.objects.filter(person_id__gte=span[0], person_id__lte=span[1])
    applications.update(replaces=None)
    permits.update(replaced_by=None)
    PermitEvent.objects.filter(permit__in=permits).delete()
    PermitEvent.objects.filter(application__in=applications).delete()
    removed = {"permits": permits.count(), "applications": applications.count()}
    permits.delete()
    applications.delete()
    audit_record(actor=SYSTEM, action="permit.demo_reset", object_type="permits.permit", source="cli", changes=removed)
    return removed
