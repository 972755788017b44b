"""Linkage reads: runs, the review queue (scoped to people in the officer's area), merges and tasks."""

from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from liuguan.core.errors import NotFound
from liuguan.core.scoping import scoped
from liuguan.registry.models import Person, Stay

from .models import CandidatePair, LinkageRun, LinkageTask, Merge, ModelVersion
from .services.merge import document_valid, proposed_survivor, survivorship

SIDE_FIELDS = (
    ("doc_number_masked", _("Document")),
    ("name", _("Name")),
    ("name_pinyin", _("Pinyin")),
    ("sex", _("Sex")),
    ("birth_date", _("Birth date")),
    ("hukou_code", _("Hukou area code")),
    ("hukou_address", _("Hukou address")),
    ("phone_masked", _("Phone")),
    ("created_at", _("Registered")),
)


def run_list(*, user, limit: int = 50) -> list[LinkageRun]:
    """The latest runs of this instance (counts only: no personal data)."""
    return list(LinkageRun.objects.select_related("model_version", "requested_by")[:limit])


def run_get(*, user, run_id: int) -> LinkageRun:
    run = LinkageRun.objects.select_related("model_version", "requested_by").filter(pk=run_id).first()
    if run is None:
        raise NotFound()
    return run


def active_version() -> ModelVersion | None:
    return ModelVersion.objects.filter(active=True).first()


def review_queue(*, user, status: str = CandidatePair.Status.OPEN, limit: int = 100, offset: int = 0):
    """Pairs whose two people are both in the officer's area; near-certain ones first, then by probability."""
    qs = scoped(CandidatePair.objects.select_related("person_low", "person_high", "run"), user)
    if status:
        qs = qs.filter(status=status)
    return list(qs.order_by("-near_certain", "-match_probability", "id")[offset : offset + limit])


def review_counts(*, user) -> dict[str, int]:
    rows = scoped(CandidatePair.objects.all(), user).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def pair_get(*, user, pair_id: int) -> CandidatePair:
    pair = scoped(CandidatePair.objects.select_related("person_low", "person_high", "run"), user).filter(pk=pair_id)
    found = pair.first()
    if found is None:
        raise NotFound()
    return found


@dataclass
class Side:
    """One person of a pair as the review page shows it: masked fields, stays, and the document's validity."""

    person: Person
    valid_document: bool
    stays: list[Stay]
    proposed: bool


def pair_sides(*, user, pair: CandidatePair) -> dict:
    """Both people side by side, the proposed survivor, and what the survivor would hold after the merge."""
    low, high = pair.person_low, pair.person_high
    survivor = proposed_survivor(low, high)
    other = high if survivor.pk == low.pk else low
    after, rules = survivorship(survivor, other)
    by_person: dict[int, list[Stay]] = {low.pk: [], high.pk: []}
    for stay in Stay.objects.filter(person__in=[low, high]).select_related("community").order_by("-arrived_on"):
        by_person[stay.person_id].append(stay)
    sides = [
        Side(person=p, valid_document=document_valid(p), stays=by_person[p.pk], proposed=p.pk == survivor.pk)
        for p in (low, high)
    ]
    rows = []
    for name, label in SIDE_FIELDS:
        values = [getattr(side.person, name) for side in sides]
        rows.append({"field": name, "label": label, "values": values, "differ": values[0] != values[1]})
    return {"sides": sides, "rows": rows, "survivor": survivor, "rules": rules, "after": after}


def merge_list(*, user, limit: int = 100) -> list[Merge]:
    """Merges whose survivor is in the officer's area, newest first."""
    qs = scoped(Merge.objects.select_related("survivor", "merged", "actor", "undone_by"), user)
    return list(qs[:limit])


def task_list(*, user, status: str = LinkageTask.Status.OPEN, kind: str = "", limit: int = 200) -> list[LinkageTask]:
    """Omission and wrong-record tasks in the officer's area."""
    qs = scoped(LinkageTask.objects.select_related("community", "person", "assignee"), user)
    if status:
        qs = qs.filter(status=status)
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs[:limit])


def omission_counts(*, user, prefix_length: int = 6) -> dict[str, dict[str, int]]:
    """Open linkage tasks per area (the first `prefix_length` digits of the community) and kind, for oversight."""
    rows = scoped(LinkageTask.objects.filter(status=LinkageTask.Status.OPEN), user).values_list("community_id", "kind")
    counts: dict[str, dict[str, int]] = {}
    for community, kind in rows.iterator():
        area = counts.setdefault(community[:prefix_length], {})
        area[kind] = area.get(kind, 0) + 1
    return counts


def candidates_for(*, user, person: Person) -> list[CandidatePair]:
    """Open pairs involving one person (for the person page)."""
    qs = scoped(CandidatePair.objects.filter(status=CandidatePair.Status.OPEN), user)
    return list(qs.filter(Q(person_low=person) | Q(person_high=person)))
