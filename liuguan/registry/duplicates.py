"""Likely duplicates at entry: people who are probably the one being registered, without the same number.

When a linkage model is trained (linkage.ModelVersion, active), candidates found by the blocking below are
standardised and scored with the batch runs' own standardisation and comparisons (linkage.standardise and
linkage.engine.score_pair), and those at or above the entry threshold are shown with the model's reasons.
Without a model the rules decide: a likely duplicate has the same name pinyin and birth date, or a document
number one digit or one adjacent transposition away (check digit recomputed), or the same birth date and a name
one character away. These are warnings a collector confirms or dismisses, never silent merges; the decision is
kept (DuplicateReview). People merged into another record are never candidates.
"""

import datetime as dt
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Q

from liuguan.core.identity import mod11_2_check

from .models import Person

DIGITS = "0123456789"
logger = logging.getLogger(__name__)


@dataclass
class Candidate:
    person: Person
    reasons: list[str] = field(default_factory=list)
    probability: float | None = None  # the linkage model's match probability, when a model decided


def citizen_number_variants(number: str) -> set[str]:
    """Valid 18-digit numbers one substituted digit or one adjacent transposition away in the first 17."""
    if len(number) != 18 or not number[:17].isdigit():
        return set()
    body = number[:17]
    variants = set()
    for i, original in enumerate(body):
        for digit in DIGITS:
            if digit != original:
                changed = body[:i] + digit + body[i + 1 :]
                variants.add(changed + mod11_2_check(changed))
    for i in range(16):
        if body[i] != body[i + 1]:
            swapped = body[:i] + body[i + 1] + body[i] + body[i + 2 :]
            variants.add(swapped + mod11_2_check(swapped))
    variants.discard(number)
    return variants


def _one_char_apart(a: str, b: str) -> bool:
    """Same length and exactly one character different (a homophone or a slip of the pen)."""
    return len(a) == len(b) and sum(x != y for x, y in zip(a, b, strict=True)) == 1


ENTRY_THRESHOLD = 0.5
_MODELS: dict[int, dict] = {}


def _active_model() -> dict | None:
    """The active linkage model's JSON, read once per version."""
    from liuguan.linkage.models import ModelVersion

    pk = ModelVersion.objects.filter(active=True).values_list("pk", flat=True).first()
    if pk is None:
        return None
    if pk not in _MODELS:
        _MODELS.clear()
        _MODELS[pk] = ModelVersion.objects.get(pk=pk).settings
    return _MODELS[pk]


def _swapped(day: dt.date) -> dt.date | None:
    try:
        return day.replace(month=day.day, day=day.month) if day.day <= 12 and day.day != day.month else None
    except ValueError:
        return None


def _record(record_id: str, person) -> dict:
    birth = person["birth_date"]
    return {
        "record_id": record_id,
        "source": "registry.person",
        "doc_type": person["doc_type"],
        "doc_number": person["doc_number"],
        "name": person["name"],
        "sex": person.get("sex") or "",
        "birth_date": birth.isoformat() if birth else "",
        "phone": person.get("phone") or "",
        "hukou": person.get("hukou_code") or person.get("hukou_address") or "",
        "address": "",
        "nationality": person.get("nationality") or "",
    }


def _scored(model: dict, new: dict, people: list[Person]) -> list[Candidate]:
    """Standardise the new record with the candidates in one vectorised pass, then score each pair."""
    import pyarrow as pa

    from liuguan.linkage.engine import score_pair
    from liuguan.linkage.standardise import INPUT_COLUMNS, standardise

    threshold = getattr(settings, "LIUGUAN_LINKAGE", {}).get("entry_threshold", ENTRY_THRESHOLD)
    records = [_record("new", new)] + [_record(f"registry.person:{p.pk}", vars(p)) for p in people]
    table = pa.table({c: pa.array([r[c] for r in records], pa.string()) for c in INPUT_COLUMNS})
    std = {row["record_id"]: row for row in standardise(table, threads=1).to_pylist()}
    found = []
    for person in people:
        probability, reasons = score_pair(model, std["new"], std[f"registry.person:{person.pk}"])
        if probability >= threshold:
            positive = sorted((r for r in reasons if r["match_weight"] > 0), key=lambda r: -r["match_weight"])
            found.append(
                Candidate(person=person, reasons=[r["level"] for r in positive], probability=round(probability, 4))
            )
    return sorted(found, key=lambda c: (-c.probability, c.person.pk))


def likely_duplicates(
    *,
    name: str,
    name_pinyin: str,
    birth_date: dt.date | None,
    doc_type: str,
    doc_number: str,
    queryset=None,
    sex: str = "",
    phone: str = "",
    hukou_code: str = "",
    nationality: str = "",
) -> list[Candidate]:
    """People in `queryset` (all by default) who are probably this person, each with the reasons why."""
    qs = (queryset if queryset is not None else Person.objects.all()).filter(merged_into__isnull=True)
    variants = citizen_number_variants(doc_number) if doc_type in ("citizen_id", "hmt_resident") else set()
    model = _active_model()
    condition = Q(pk__in=[])
    if birth_date is not None:
        # Everyone born that day (a few hundred in a province) is compared by pinyin and characters below.
        condition |= Q(birth_date=birth_date)
        swapped = _swapped(birth_date)
        if model is not None and swapped is not None:
            condition |= Q(birth_date=swapped, name_pinyin=name_pinyin)
    if variants:
        condition |= Q(doc_type=doc_type, doc_number__in=variants)
    rows = qs.filter(condition).exclude(doc_type=doc_type, doc_number=doc_number)[:3000]
    if model is not None:
        new = {
            "doc_type": doc_type,
            "doc_number": doc_number,
            "name": name,
            "sex": sex,
            "birth_date": birth_date,
            "phone": phone,
            "hukou_code": hukou_code,
            "nationality": nationality,
        }
        try:
            return _scored(model, new, list(rows))
        except Exception:  # noqa: BLE001  (a registration must never fail because the model could not score)
            logger.exception("the linkage model could not score likely duplicates; using the rules")
    found: dict[int, Candidate] = {}
    for person in rows:
        reasons = []
        if birth_date is not None and person.birth_date == birth_date:
            if name_pinyin and person.name_pinyin == name_pinyin:
                reasons.append("same_pinyin_and_birth_date")
            elif _one_char_apart(person.name, name):
                reasons.append("name_one_char_apart_same_birth_date")
        if person.doc_number in variants:
            reasons.append("number_one_digit_or_transposition_apart")
        if reasons:
            found[person.pk] = Candidate(person=person, reasons=reasons)
    return sorted(found.values(), key=lambda c: (-len(c.reasons), c.person.pk))


def likely_duplicates_bulk(keys: list[tuple[str, dt.date]], *, queryset=None) -> dict[tuple[str, dt.date], list[int]]:
    """For batch imports: existing people sharing name pinyin and birth date with each key, in one query.

    Number-variant matching costs about 170 look-ups a row, so batches leave it to the entity-resolution runs.
    On PostgreSQL the keys are joined as arrays (one index probe each) instead of two long IN lists, which
    matched every namesake of a common pinyin before filtering by birth date.
    """
    hits: dict[tuple[str, dt.date], list[int]] = {}
    if not keys:
        return hits
    wanted = set(keys)
    if queryset is None and connection.vendor == "postgresql":
        pinyins, births = zip(*wanted, strict=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT p.id, p.name_pinyin, p.birth_date FROM {Person._meta.db_table} p "  # noqa: S608
                "JOIN unnest(%s::text[], %s::date[]) AS k(pinyin, birth) "
                "ON p.name_pinyin = k.pinyin AND p.birth_date = k.birth WHERE p.merged_into_id IS NULL",
                [list(pinyins), list(births)],
            )
            rows = cursor.fetchall()
    else:
        qs = (queryset if queryset is not None else Person.objects.all()).filter(merged_into__isnull=True)
        rows = qs.filter(name_pinyin__in={p for p, _b in keys}, birth_date__in={b for _p, b in keys}).values_list(
            "pk", "name_pinyin", "birth_date"
        )
    for pk, pinyin, birth in rows:
        if (pinyin, birth) in wanted:
            hits.setdefault((pinyin, birth), []).append(pk)
    return hits
