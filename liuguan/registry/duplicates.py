"""Likely duplicates at entry: people who are probably the one being registered, without the same number.

A likely duplicate has the same name pinyin and birth date, or a document number one digit or one adjacent
transposition away (check digit recomputed), or the same birth date and a name one character away. These are
warnings a collector confirms or dismisses, never silent merges; the decision is kept (DuplicateReview).
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q

from liuguan.core.identity import mod11_2_check

from .models import Person

DIGITS = "0123456789"


@dataclass
class Candidate:
    person: Person
    reasons: list[str] = field(default_factory=list)


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


def likely_duplicates(
    *, name: str, name_pinyin: str, birth_date: dt.date | None, doc_type: str, doc_number: str, queryset=None
) -> list[Candidate]:
    """People in `queryset` (all by default) who are probably this person, each with the reasons why."""
    qs = queryset if queryset is not None else Person.objects.all()
    variants = citizen_number_variants(doc_number) if doc_type in ("citizen_id", "hmt_resident") else set()
    condition = Q(pk__in=[])
    if birth_date is not None:
        # Everyone born that day (a few hundred in a province) is compared by pinyin and characters below.
        condition |= Q(birth_date=birth_date)
    if variants:
        condition |= Q(doc_type=doc_type, doc_number__in=variants)
    found: dict[int, Candidate] = {}
    rows = qs.filter(condition).exclude(doc_type=doc_type, doc_number=doc_number)[:3000]
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
                "ON p.name_pinyin = k.pinyin AND p.birth_date = k.birth",
                [list(pinyins), list(births)],
            )
            rows = cursor.fetchall()
    else:
        qs = queryset if queryset is not None else Person.objects.all()
        rows = qs.filter(name_pinyin__in={p for p, _b in keys}, birth_date__in={b for _p, b in keys}).values_list(
            "pk", "name_pinyin", "birth_date"
        )
    for pk, pinyin, birth in rows:
        if (pinyin, birth) in wanted:
            hits.setdefault((pinyin, birth), []).append(pk)
    return hits
