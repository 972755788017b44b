"""Merging two person records into one, and undoing it.

Survivorship, field by field (the officer chooses which record survives; its id and document stay):
- document type and number: never copied; one document is one row. A survivor whose number fails its check
  while the other's passes is refused: keep the record with the valid number.
- name (with its pinyin and initials), sex and birth date: from the record with the valid document number
  (the survivor, by the rule above); a blank is filled from the other record.
- phone, hukou code and hukou address: the most recently set non-blank value (the field's last change in the
  history, else the record's creation).
- education and marital status: the survivor's, a blank filled from the other; party membership: either.
- ethnicity and nationality: the survivor's.
- created_at, created_by and source channel: from the earlier record (the first registration).
- residence addresses live on stays, which all move to the survivor (the most recently verified one shows).

Every row pointing at the merged-away person (found through Person's reverse relations, so a new model
cannot escape) moves to the survivor, except rows a uniqueness rule forbids (kept and listed). The demo's
injected truth and linkage's own rows are not records of the person and stay where they are.
"""

import datetime as dt
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from liuguan.core.audit import _plain as plain
from liuguan.core.audit import audit_record
from liuguan.core.errors import Conflict, NotFound, PermissionDenied
from liuguan.core.identity import DocumentError, parse_document
from liuguan.core.scoping import scoped
from liuguan.registry.models import FieldChange, Person, Stay

from ..models import CandidatePair, Merge

# Apps whose rows are not records of a person: the demo's injected truth, and linkage's own bookkeeping.
NOT_MOVED_APPS = frozenset({"demo", "linkage"})
SURVIVOR_FIELDS = (
    "name",
    "name_pinyin",
    "name_initials",
    "sex",
    "birth_date",
    "ethnicity",
    "nationality",
    "hukou_code",
    "hukou_address",
    "phone",
    "education",
    "marital_status",
    "party_member",
    "created_at",
    "created_by_id",
    "source_channel",
)
IDENTITY = ("name", "name_pinyin", "name_initials", "sex", "birth_date")
RECENT = ("phone", "hukou_code", "hukou_address")
FILLED = ("education", "marital_status")
FIRST = ("created_at", "created_by_id", "source_channel")


@dataclass
class Relation:
    """One foreign key (or one-to-one) from some model to Person."""

    model: type
    field: str
    one_to_one: bool

    @property
    def label(self) -> str:
        return self.model._meta.label_lower


def person_relations() -> list[Relation]:
    """Every relation pointing at Person, hidden ones (related_name="+") included, minus NOT_MOVED_APPS."""
    found = []
    for rel in Person._meta.get_fields(include_hidden=True):
        if not (rel.auto_created and not rel.concrete and (rel.one_to_many or rel.one_to_one)):
            continue
        model = rel.related_model
        if model._meta.app_label in NOT_MOVED_APPS or model._meta.proxy or not model._meta.managed:
            continue
        found.append(Relation(model=model, field=rel.field.name, one_to_one=rel.one_to_one))
    return sorted(found, key=lambda r: (r.label, r.field))


def document_valid(person: Person) -> bool:
    """Whether the number passes its document type's rules (check digit, date, area)."""
    try:
        parse_document(person.doc_type, person.doc_number)
    except DocumentError:
        return False
    return True


def _values(person: Person) -> dict:
    return {f: getattr(person, f) for f in SURVIVOR_FIELDS}


def _plain(values: dict) -> dict:
    """JSON-plain values; times in UTC, so a snapshot compares equal to the same row read back later."""
    return {k: v.astimezone(dt.UTC).isoformat() if isinstance(v, dt.datetime) else plain(v) for k, v in values.items()}


def _last_set(person: Person) -> dict[str, object]:
    """When each RECENT field was last set: its last change in the history, else the record's creation."""
    changed = dict(
        FieldChange.objects.filter(object_type="registry.person", object_id=person.pk, field__in=RECENT)
        .values_list("field")
        .annotate(at=Max("recorded_at"))
    )
    return {f: changed.get(f) or person.created_at for f in RECENT}


def survivorship(survivor: Person, other: Person) -> tuple[dict, dict]:
    """The survivor's values after the merge, and for each value taken from `other` the rule that chose it."""
    values, rules = _values(survivor), {}
    for name in IDENTITY + FILLED:
        if values[name] in ("", None) and getattr(other, name) not in ("", None):
            values[name] = getattr(other, name)
            rules[name] = "blank filled from the merged record"
    mine, theirs = _last_set(survivor), _last_set(other)
    for name in RECENT:
        value = getattr(other, name)
        if value and value != values[name] and (not values[name] or theirs[name] > mine[name]):
            values[name] = value
            rules[name] = "most recently set"
    if other.party_member and not survivor.party_member:
        values["party_member"] = True
        rules["party_member"] = "either record"
    if other.created_at < survivor.created_at:
        for name in FIRST:
            values[name] = getattr(other, name)
            rules[name] = "first registration"
    return values, rules


def proposed_survivor(a: Person, b: Person) -> Person:
    """The record that should survive: a valid document number first, then the earlier registration."""
    return min((a, b), key=lambda p: (not document_valid(p), p.created_at, p.pk))


def _division(person: Person) -> str:
    stay = Stay.objects.filter(person=person).order_by("departed_on", "-arrived_on").first()
    return stay.community_id if stay else person.hukou_code


def _move(relation: Relation, ids: list[int], *, to: Person) -> tuple[list[int], list[int]]:
    """Repoint rows to `to`; a row a uniqueness rule refuses stays where it is. Returns (moved, kept)."""
    manager = relation.model._base_manager
    try:
        with transaction.atomic():
            manager.filter(pk__in=ids).update(**{relation.field: to})
        return ids, []
    except IntegrityError:
        pass
    moved, kept = [], []
    for pk in ids:
        try:
            with transaction.atomic():
                manager.filter(pk=pk).update(**{relation.field: to})
            moved.append(pk)
        except IntegrityError:
            kept.append(pk)
    return moved, kept


def _locked_people(actor, *pks: int) -> dict[int, Person]:
    people = {p.pk: p for p in scoped(Person.objects.select_for_update(), actor).filter(pk__in=pks)}
    if len(people) != len(set(pks)):
        raise NotFound()
    return people


@transaction.atomic
def person_merge(*, actor, survivor_id: int, merged_id: int, pair: CandidatePair | None = None, source="web") -> Merge:
    """Merge one person record into another: fields by the survivorship rules, every record moved, audited."""
    if not actor.can("linkage.review"):
        raise PermissionDenied()
    if survivor_id == merged_id:
        raise Conflict(_("A record cannot be merged into itself"), rule="linkage.merge_self")
    people = _locked_people(actor, survivor_id, merged_id)
    survivor, merged = people[survivor_id], people[merged_id]
    for person in (survivor, merged):
        if person.merged_into_id:
            raise Conflict(_("This record was already merged into another one"), rule="linkage.already_merged")
    if document_valid(merged) and not document_valid(survivor):
        raise Conflict(
            _("Keep the record with the valid document number as the survivor"),
            field="survivor",
            rule="linkage.survivor_invalid_document",
        )
    before, merged_before = _values(survivor), _values(merged)
    after, rules = survivorship(survivor, merged)
    moved, kept = [], []
    for relation in person_relations():
        ids = list(relation.model._base_manager.filter(**{relation.field: merged}).values_list("pk", flat=True))
        if not ids:
            continue
        if relation.one_to_one and relation.model._base_manager.filter(**{relation.field: survivor}).exists():
            done, refused = [], ids
        else:
            done, refused = _move(relation, ids, to=survivor)
        if done:
            moved.append({"model": relation.label, "field": relation.field, "ids": done})
        if refused:
            kept.append({"model": relation.label, "field": relation.field, "ids": refused})
    for name, value in after.items():
        setattr(survivor, name, value)
    survivor.save()
    merged.merged_into = survivor
    merged.merged_at = timezone.now()
    merged.save(update_fields=["merged_into", "merged_at", "updated_at"])
    merge = Merge.objects.create(
        survivor=survivor,
        merged=merged,
        pair=pair,
        actor=actor if getattr(actor, "pk", None) else None,
        survivor_before=_plain(before),
        survivor_after=_plain(after),
        merged_before=_plain(merged_before),
        rules=rules,
        moved=moved,
        kept=kept,
    )
    _pairs_settle(survivor=survivor, merged=merged, pair=pair, actor=actor)
    audit_record(
        actor=actor,
        action="linkage.merge",
        obj=merge,
        division_code=_division(survivor),
        source=source,
        changes={
            "survivor": survivor.pk,
            "merged": merged.pk,
            "fields": {k: [before[k], after[k]] for k in rules},
            "moved": {f"{m['model']}.{m['field']}": len(m["ids"]) for m in moved},
            "kept": {f"{m['model']}.{m['field']}": len(m["ids"]) for m in kept},
        },
    )
    return merge


def _pairs_settle(*, survivor: Person, merged: Person, pair: CandidatePair | None, actor) -> None:
    """The reviewed pair is merged; other open pairs with the merged-away person no longer apply."""
    now = timezone.now()
    if pair is not None:
        pair.status = CandidatePair.Status.MERGED
        pair.decided_by = actor if getattr(actor, "pk", None) else None
        pair.decided_at = now
        pair.save(update_fields=["status", "decided_by", "decided_at"])
    others = CandidatePair.objects.filter(status=CandidatePair.Status.OPEN)
    others.filter(person_low=merged).update(status=CandidatePair.Status.GONE, decided_at=now)
    others.filter(person_high=merged).update(status=CandidatePair.Status.GONE, decided_at=now)


@transaction.atomic
def pair_merge(*, actor, pair_id: int, survivor_id: int, source: str = "web") -> Merge:
    """Merge the two people of a reviewed pair; the officer names the survivor."""
    if not actor.can("linkage.review"):
        raise PermissionDenied()
    pair = scoped(CandidatePair.objects.select_for_update(), actor).filter(pk=pair_id).first()
    if pair is None:
        raise NotFound()
    if pair.status != CandidatePair.Status.OPEN:
        raise Conflict(_("This pair was already decided"), rule="linkage.pair_decided")
    ids = {pair.person_low_id, pair.person_high_id}
    if survivor_id not in ids:
        raise Conflict(_("The survivor must be one of the two records"), field="survivor", rule="linkage.survivor")
    (merged_id,) = ids - {survivor_id}
    return person_merge(actor=actor, survivor_id=survivor_id, merged_id=merged_id, pair=pair, source=source)


@transaction.atomic
def pair_keep_apart(*, actor, pair_id: int, note: str = "", source: str = "web") -> CandidatePair:
    """Two different people: remembered, so later runs do not propose the pair again."""
    if not actor.can("linkage.review"):
        raise PermissionDenied()
    pair = scoped(CandidatePair.objects.select_for_update(), actor).filter(pk=pair_id).first()
    if pair is None:
        raise NotFound()
    if pair.status != CandidatePair.Status.OPEN:
        raise Conflict(_("This pair was already decided"), rule="linkage.pair_decided")
    pair.status = CandidatePair.Status.KEPT_APART
    pair.decided_by = actor
    pair.decided_at = timezone.now()
    pair.note = " ".join((note or "").split())[:300]
    pair.save(update_fields=["status", "decided_by", "decided_at", "note"])
    audit_record(
        actor=actor,
        action="linkage.keep_apart",
        obj=pair,
        division_code=getattr(actor, "division_id", "") or "",
        source=source,
        changes={"people": [pair.person_low_id, pair.person_high_id], "probability": pair.match_probability},
    )
    return pair


def _undo_refusal(merge: Merge, survivor: Person, merged: Person) -> str:
    """Why undoing this merge would lose or corrupt something, or "" when it is safe."""
    if merge.undone_at is not None:
        return _("This merge was already undone")
    if merged.merged_into_id != survivor.pk:
        return _("The merged record has been moved or merged again since")
    if survivor.merged_into_id is not None:
        return _("The survivor was itself merged into another record since; undo that merge first")
    later = Merge.objects.filter(survivor=survivor, undone_at__isnull=True, pk__gt=merge.pk).exists()
    if later:
        return _("Another record was merged into the survivor after this one; undo that merge first")
    now = _plain(_values(survivor))
    changed = [name for name in SURVIVOR_FIELDS if now.get(name) != merge.survivor_after.get(name)]
    if changed:
        return _("The survivor's %(fields)s changed after the merge; undoing would overwrite that") % {
            "fields": ", ".join(changed)
        }
    if _plain(_values(merged)) != merge.merged_before:
        return _("The merged record was changed after the merge")
    relations = {(r.label, r.field): r for r in person_relations()}
    for entry in merge.moved:
        relation = relations.get((entry["model"], entry["field"]))
        if relation is None:
            return _("Records of %(model)s can no longer be moved back") % {"model": entry["model"]}
        still = relation.model._base_manager.filter(pk__in=entry["ids"], **{relation.field: survivor}).count()
        if still != len(entry["ids"]):
            return _("Some %(model)s records moved by the merge were deleted or moved since") % {
                "model": relation.model._meta.verbose_name_plural
            }
    return ""


@transaction.atomic
def merge_undo(*, actor, merge_id: int, source: str = "web") -> Merge:
    """Put both records back as they were before the merge, unless something changed that undo would lose."""
    if not actor.can("linkage.review"):
        raise PermissionDenied()
    merge = scoped(Merge.objects.select_for_update(), actor).filter(pk=merge_id).first()
    if merge is None:
        raise NotFound()
    people = {p.pk: p for p in Person.objects.select_for_update().filter(pk__in=[merge.survivor_id, merge.merged_id])}
    survivor, merged = people[merge.survivor_id], people[merge.merged_id]
    reason = _undo_refusal(merge, survivor, merged)
    if reason:
        raise Conflict(reason, rule="linkage.undo_unsafe")
    relations = {(r.label, r.field): r for r in person_relations()}
    try:
        with transaction.atomic():
            for entry in merge.moved:
                relation = relations[(entry["model"], entry["field"])]
                relation.model._base_manager.filter(pk__in=entry["ids"]).update(**{relation.field: merged})
            restored = Person(**{f: v for f, v in merge.survivor_before.items()})  # parses dates/times back
            for name in SURVIVOR_FIELDS:
                setattr(survivor, name, Person._meta.get_field(name).to_python(getattr(restored, name)))
            survivor.save()
            merged.merged_into = None
            merged.merged_at = None
            merged.save(update_fields=["merged_into", "merged_at", "updated_at"])
    except IntegrityError as exc:
        raise Conflict(
            _("Undoing would break a uniqueness rule (records were added since): %(error)s") % {"error": exc},
            rule="linkage.undo_unsafe",
        ) from exc
    merge.undone_at = timezone.now()
    merge.undone_by = actor if getattr(actor, "pk", None) else None
    merge.save(update_fields=["undone_at", "undone_by"])
    if merge.pair_id:
        CandidatePair.objects.filter(pk=merge.pair_id).update(
            status=CandidatePair.Status.OPEN, decided_by=None, decided_at=None
        )
    audit_record(
        actor=actor,
        action="linkage.merge_undone",
        obj=merge,
        division_code=_division(survivor),
        source=source,
        changes={"survivor": survivor.pk, "merged": merged.pk, "restored": sorted(merge.rules)},
    )
    return merge
