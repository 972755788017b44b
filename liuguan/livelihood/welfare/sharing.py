"""Medical cover and remote-treatment filings through the exchange hub, the hub's own way.

Two catalogue datasets (`exchange/data/catalogue.json`): `medical_cover` and `remote_treatment`. A record is placed
by the communities of its person's stays (had or has), like a department record without a community. A
department's subsystem with a grant verifies cover (way `verify`: yes or no), reads the records by document
number (`query`), follows their changes (`feed`, `webhook`, `extract`: the hub's table of sources gets them
below), and, for medical cover, reports its own records (`report`: the health commission or the medical security
bureau posts whom it insures). Nothing is shared without a grant, only the granted fields, only inside the
grant's area, and every call is in the access log.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from liuguan.core.audit import audit_record, diff
from liuguan.core.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today, normalize_document_number
from liuguan.core.scoping import within
from liuguan.exchange import hub
from liuguan.exchange.models import Way
from liuguan.exchange.selectors import ANSWERED, EMPTY, _context_problems, _document_problems, _refuse
from liuguan.exchange.selectors_feeds import SOURCES, Column, Source, fields_in_area, record_values
from liuguan.registry.lookup import person_by_document
from liuguan.registry.models import Person, Stay

from .models import CoverSource, MedicalCover, RemoteTreatmentFiling, Scheme, _through_stays

COVER, FILINGS = "medical_cover", "remote_treatment"
DATASETS = {COVER: MedicalCover, FILINGS: RemoteTreatmentFiling}
MAX_REPORT_ROWS = 1000


def _col(kind: str, attribute: str) -> Column:
    return Column(kind, lambda obj: getattr(obj, attribute))


def _doc(obj) -> str:
    return obj.person.doc_number


COVER_SOURCE = Source(
    "welfare.medicalcover",
    MedicalCover,
    ("person",),
    {
        "doc_number": Column("str", _doc),
        "scheme": _col("str", "scheme"),
        "insured_place": _col("str", "insured_place"),
        "valid_from": _col("date", "valid_from"),
        "valid_to": _col("date", "valid_to"),
        "source": _col("str", "source"),
        "department": _col("str", "department_id"),
        "reference": _col("str", "reference"),
    },
    _through_stays,
    placed_by="community_or_stays",
)
FILING_SOURCE = Source(
    "welfare.remotetreatmentfiling",
    RemoteTreatmentFiling,
    ("person",),
    {
        "doc_number": Column("str", _doc),
        "insured_place": _col("str", "insured_place"),
        "treatment_place": _col("str", "treatment_place_id"),
        "reason": _col("str", "reason"),
        "filed_on": _col("date", "filed_on"),
        "valid_until": _col("date", "valid_until"),
        "status": _col("str", "status"),
    },
    _through_stays,
    placed_by="community_or_stays",
)


def register_sources() -> None:
    """Add the two sources to the hub's table (idempotent; called when the app is ready)."""
    SOURCES.setdefault(COVER_SOURCE.object_type, COVER_SOURCE)
    SOURCES.setdefault(FILING_SOURCE.object_type, FILING_SOURCE)


def _stay_codes(person: Person) -> set[str]:
    return set(Stay.objects.filter(person=person).values_list("community_id", flat=True))


def health_records_query(*, context: hub.CallContext, dataset: str, doc_type: str, doc_number: str) -> list[dict]:
    """A person's medical cover or remote-treatment filings by document number, under a grant for `query`: only
    when the person has (or had) a stay inside a grant's area, and only the granted fields. Logged, refusals too.
    """
    doc_number = normalize_document_number(doc_number)
    request = {"dataset": dataset, "doc_type": doc_type, "doc_number": doc_number}
    action = "exchange.query"
    if dataset not in DATASETS:
        hub.access_log(context=context, action=action, dataset=dataset, outcome="invalid", request=request, response={})
        raise NotFound()
    grants = hub.grants_for(context.subsystem, dataset, Way.QUERY)
    if not grants:
        _refuse(context, action, dataset, request)
    problems = _context_problems(context, required=("purpose", "case_ref")) + _document_problems(doc_type, doc_number)
    if problems:
        _refuse(context, action, dataset, request, outcome="invalid", problems=problems)
    person = Person.objects.filter(doc_type=doc_type, doc_number=doc_number).first()
    records = []
    if person is not None:
        fields = fields_in_area(_stay_codes(person), grants)
        if fields:
            source = COVER_SOURCE if dataset == COVER else FILING_SOURCE
            rows = DATASETS[dataset].objects.filter(person=person).select_related("person").order_by("pk")
            records = [record_values(source, row, fields) for row in rows]
    areas = hub.granted_areas(grants)
    extra = {"way": Way.QUERY, "returned": len(records)}
    if records:
        extra["person_id"] = person.pk
    hub.access_log(
        context=context,
        action=action,
        dataset=dataset,
        outcome=ANSWERED if records else EMPTY,
        request=request,
        response=records,
        division_code=areas[0] if len(areas) == 1 else "",
        obj=person if records else None,
        extra=extra,
    )
    return records


def medical_cover_verify(*, context: hub.CallContext, doc_type: str, doc_number: str) -> bool:
    """Yes or no, under a grant on `medical_cover` for `verify`: does the holder, living inside the grant's area
    (an open stay), have medical cover today (a scheme other than none whose term holds the day)? Logged.
    """
    doc_number = normalize_document_number(doc_number)
    request = {"doc_type": doc_type, "doc_number": doc_number}
    action = "exchange.verify"
    grants = hub.grants_for(context.subsystem, COVER, Way.VERIFY)
    if not grants:
        _refuse(context, action, COVER, request)
    problems = _document_problems(doc_type, doc_number) + _context_problems(context, required=())
    if problems:
        _refuse(context, action, COVER, request, outcome="invalid", problems=problems)
    today = china_today()
    person = Person.objects.filter(doc_type=doc_type, doc_number=doc_number).first()
    answer = False
    if person is not None:
        inside = Q()
        for area in hub.granted_areas(grants):
            inside |= within("community_id", area)
        lives_here = Stay.objects.filter(inside, person=person, departed_on__isnull=True).exists()
        answer = (
            lives_here
            and MedicalCover.objects.filter(person=person, valid_from__lte=today)
            .exclude(scheme=Scheme.NONE)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
            .exists()
        )
    if not context.purpose.strip():
        context.purpose = grants[0].purpose
    hub.access_log(
        context=context,
        action=action,
        dataset=COVER,
        outcome=ANSWERED,
        request=request,
        response={"answer": answer},
        obj=person,
        extra={"way": Way.VERIFY},
    )
    return answer


@dataclass
class CoverRow:
    """One cover record a department reports: whom (by document), which scheme, where insured, its reference."""

    doc_type: str
    doc_number: str
    scheme: str
    reference: str
    valid_from: dt.date | None
    valid_to: dt.date | None = None
    insured_place: str = ""


@dataclass
class RowResult:
    row: int
    status: str  # created, updated, unchanged or rejected
    cover_id: int | None = None
    problems: list[FieldProblem] = field(default_factory=list)


def _cover_values(cover: MedicalCover) -> dict:
    return {
        "person": cover.person_id,
        "scheme": cover.scheme,
        "insured_place": cover.insured_place,
        "valid_from": cover.valid_from,
        "valid_to": cover.valid_to,
        "source": cover.source,
        "department": cover.department_id,
        "reference": cover.reference,
    }


def _row_problems(row: CoverRow) -> list[FieldProblem]:
    problems = _document_problems(row.doc_type, row.doc_number)
    if row.scheme not in Scheme.values:
        problems.append(FieldProblem("scheme", "welfare.scheme", _("Not a medical scheme")))
    if not row.reference.strip() or len(row.reference) > 64:
        problems.append(FieldProblem("reference", "welfare.reference", _("Give the department's reference")))
    if row.valid_from is None:
        problems.append(FieldProblem("valid_from", "welfare.valid_from", _("Give the first day of cover")))
    elif row.valid_to is not None and row.valid_to < row.valid_from:
        problems.append(FieldProblem("valid_to", "welfare.cover_term", _("The cover cannot end before it starts")))
    if row.insured_place and not (row.insured_place.isdigit() and len(row.insured_place) in (2, 4, 6, 9, 12)):
        problems.append(FieldProblem("insured_place", "welfare.insured_place", _("Give a division code")))
    return problems


def _cover_write(row: CoverRow, *, grants, subsystem) -> RowResult:
    person = person_by_document(row.doc_type, normalize_document_number(row.doc_number))
    if person is None:
        problem = FieldProblem("doc_number", "welfare.person_unknown", _("No person on the register has it"))
        return RowResult(0, "rejected", problems=[problem])
    codes = _stay_codes(person)
    if not any(c.startswith(g.area_id) for g in grants for c in codes):
        problem = FieldProblem("doc_number", "exchange.area", _("The person has no stay inside the grant's area"))
        return RowResult(0, "rejected", problems=[problem])
    with transaction.atomic():
        cover = (
            MedicalCover.objects.select_for_update()
            .filter(department=subsystem.department, reference=row.reference.strip())
            .first()
        )
        before = _cover_values(cover) if cover is not None else {}
        if cover is None:
            cover = MedicalCover(department=subsystem.department, reference=row.reference.strip())
        cover.person = person
        cover.scheme = row.scheme
        cover.insured_place = row.insured_place
        cover.valid_from = row.valid_from
        cover.valid_to = row.valid_to
        cover.source = CoverSource.DEPARTMENT
        after = _cover_values(cover)
        if before == after:
            return RowResult(0, "unchanged", cover.pk)
        cover.save()
        audit_record(
            actor=subsystem.account,
            action="welfare.cover_report",
            obj=cover,
            changes=diff(before, after),
            source="api",
        )
    return RowResult(0, "updated" if before else "created", cover.pk)


def medical_cover_report(
    *, actor, rows: list[CoverRow], purpose: str = "", case_ref: str = "", end_user: str = ""
) -> list[RowResult]:
    """A department posts its own cover records under a grant on `medical_cover` for `report`; each row is written
    (or refused) on its own, a re-post of one reference updates it, and the call is one event of the access log.
    """
    subsystem = hub.subsystem_of(actor)
    if subsystem is None:
        raise PermissionDenied()
    context = hub.CallContext(
        subsystem=subsystem, end_user=end_user or actor.username, purpose=purpose, case_ref=case_ref
    )
    request = [{**r.__dict__} for r in rows]
    if not rows or len(rows) > MAX_REPORT_ROWS:
        message = _("Post between 1 and %(n)d records") % {"n": MAX_REPORT_ROWS}
        raise InvalidInput([FieldProblem("rows", "welfare.rows_count", message)])
    grants = hub.grants_for(subsystem, COVER, Way.REPORT)
    if not grants:
        hub.access_log(
            context=context, action="exchange.report", dataset=COVER, outcome="refused", request=request, response=None
        )
        raise PermissionDenied()
    results = []
    for number, row in enumerate(rows, start=1):
        problems = _row_problems(row)
        result = (
            RowResult(0, "rejected", problems=problems)
            if problems
            else _cover_write(row, grants=grants, subsystem=subsystem)
        )
        result.row = number
        results.append(result)
    hub.access_log(
        context=context,
        action="exchange.report",
        dataset=COVER,
        outcome="ok",
        request=request,
        response=[(r.row, r.status, r.cover_id) for r in results],
        extra={"way": Way.REPORT, "rows": len(rows)},
    )
    return results
