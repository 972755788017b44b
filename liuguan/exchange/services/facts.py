"""Departments report back: their own records about migrants land as department-sourced facts on the person.

A fact never overwrites a collected field. When what a department says (the community, the address) disagrees
with the person's open stays, the disagreement is kept on the fact (`details["register_differs"]`) for the
station officer to look at; the person and the stay stay exactly as the collectors left them.

The person is found by document type and number, never a second one. An unknown number becomes a new person
(source channel "department", no stay) only when the row carries a name and a document that passes the same
checks as the registration form (a citizen ID gives the birth date and sex; other documents need them given);
otherwise the row is rejected with `fact.person_unknown`. Re-posting the same department, kind and reference
updates that fact, never a second one.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record, diff
from liuguan.core.errors import FieldProblem, InvalidInput, PermissionDenied
from liuguan.core.identity import DocumentError, china_today, parse_document
from liuguan.geo.models import Division, Level
from liuguan.registry.codes import SourceChannel
from liuguan.registry.lookup import person_by_document
from liuguan.registry.models import Person, Stay
from liuguan.registry.services import PersonInput
from liuguan.registry.services.people import _person_audit_values, person_check

from .. import hub
from ..models import DepartmentFact

DATASET = "department_facts"
MAX_FACT_ROWS = 1000
KINDS = frozenset(DepartmentFact.Kind.values)

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
REJECTED = "rejected"


@dataclass
class FactInput:
    """One record a department posts: what, its own reference, when, about whom, and where if it says."""

    kind: str
    reference: str
    occurred_on: dt.date | None
    doc_type: str
    doc_number: str
    name: str = ""
    sex: str = ""
    birth_date: dt.date | None = None
    community_code: str = ""
    address: str = ""
    details: dict = field(default_factory=dict)


@dataclass
class FactResult:
    """The outcome of one row: created, updated, unchanged or rejected (with the broken rules)."""

    row: int
    status: str
    fact_id: int | None = None
    person_created: bool = False
    problems: list[FieldProblem] = field(default_factory=list)


@dataclass
class FactsReport:
    results: list[FactResult]

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for r in self.results:
            found[r.status] = found.get(r.status, 0) + 1
        return found


def _row_check(row: FactInput, grants, subsystem) -> tuple[dict, list[FieldProblem]]:
    """The row's own rules, the grant's area for its community, and the normalised document number."""
    problems: list[FieldProblem] = []
    values: dict = {}
    if row.kind not in KINDS:
        problems.append(FieldProblem("kind", "fact.kind", _("Unknown kind of record")))
    reference = (row.reference or "").strip()
    if not reference:
        problems.append(
            FieldProblem("reference", "fact.reference_required", _("The department's reference is required"))
        )
    elif len(reference) > 64:
        problems.append(
            FieldProblem("reference", "fact.reference_length", _("The reference is longer than 64 characters"))
        )
    values["reference"] = reference
    if row.occurred_on is None:
        problems.append(FieldProblem("occurred_on", "fact.date_required", _("The date of the record is required")))
    elif row.occurred_on > china_today():
        problems.append(FieldProblem("occurred_on", "fact.date_future", _("The date of the record is in the future")))
    try:
        values["doc_number"] = parse_document(row.doc_type, row.doc_number or "").number
    except DocumentError as exc:
        problems.append(FieldProblem(exc.field if exc.field != "doc_type" else "doc_type", exc.rule, exc.message))
    code = (row.community_code or "").strip()
    values["community"] = None
    if code:
        community = Division.objects.filter(code=code, level=Level.COMMUNITY).first()
        if community is None:
            problems.append(FieldProblem("community_code", "fact.community_unknown", _("Unknown community code")))
        elif not any(code.startswith(g.area_id) for g in grants):
            problems.append(
                FieldProblem("community_code", "exchange.area", _("This community lies outside the area of your grant"))
            )
        values["community"] = community
    address = (row.address or "").strip()
    if len(address) > 200:
        problems.append(FieldProblem("address", "fact.address_length", _("The address is longer than 200 characters")))
    values["address"] = address
    if not isinstance(row.details, dict):
        problems.append(FieldProblem("details", "fact.details_object", _("Details must be an object")))
    return values, problems


def _person_for(row: FactInput, doc_number: str, *, actor, source: str) -> tuple[Person | None, bool]:
    """The person under the document number, or a new one when the row identifies someone well enough."""
    person = person_by_document(row.doc_type, doc_number)
    if person is not None:
        return person, False
    if not (row.name or "").strip():
        raise InvalidInput(
            [
                FieldProblem(
                    "doc_number",
                    "fact.person_unknown",
                    _("Nobody is registered under this document; give the name to register the person"),
                )
            ]
        )
    checked = person_check(
        PersonInput(
            doc_type=row.doc_type, doc_number=doc_number, name=row.name, sex=row.sex or "", birth_date=row.birth_date
        )
    )
    person = Person(created_by=actor, source_channel=SourceChannel.DEPARTMENT, **checked.values)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # Someone registered the same document meanwhile: that person it is.
        return Person.objects.get(doc_type=row.doc_type, doc_number=doc_number), False
    audit_record(
        actor=actor,
        action="person.register",
        obj=person,
        division_code=person.hukou_code,
        source=source,
        changes={k: [None, v] for k, v in _person_audit_values(person).items()},
    )
    return person, True


def register_differs(person: Person, community: Division | None, address: str) -> list[dict]:
    """Where the department's place disagrees with the person's open stays (the register is left as it is)."""
    if community is None and not address:
        return []
    open_stays = list(Stay.objects.filter(person=person, departed_on__isnull=True).only("community_id", "address"))
    found = []
    if community is not None:
        here = [s for s in open_stays if s.community_id == community.code]
        if not here:
            found.append(
                {
                    "field": "community_code",
                    "department": community.code,
                    "register": sorted(s.community_id for s in open_stays),
                }
            )
        elif address and all(s.address and s.address != address for s in here):
            found.append({"field": "address", "department": address, "register": [s.address for s in here]})
    return found


def _fact_audit(fact: DepartmentFact, person: Person) -> dict:
    """A fact's audited values: the catalogue's fields of `department_facts` (the change feed reads them)."""
    return {
        "doc_number": person.doc_number,
        "department": fact.department_id,
        "kind": fact.kind,
        "reference": fact.reference,
        "occurred_on": fact.occurred_on,
        "community_code": fact.community_id or "",
        "address": fact.address,
        "person": person.pk,
        "register_differs": fact.details.get("register_differs", []),
    }


@transaction.atomic
def _fact_write(row: FactInput, values: dict, *, subsystem, actor, source: str) -> FactResult:
    person, created_person = _person_for(row, values["doc_number"], actor=actor, source=source)
    community = values["community"]
    details = dict(row.details or {})
    details.pop("register_differs", None)
    differs = register_differs(person, community, values["address"])
    if differs:
        details["register_differs"] = differs
    wanted = {
        "person_id": person.pk,
        "subsystem_id": subsystem.pk,
        "occurred_on": row.occurred_on,
        "community_id": community.code if community else None,
        "address": values["address"],
        "details": details,
    }
    key = {"department_id": subsystem.department_id, "kind": row.kind, "reference": values["reference"]}
    fact = DepartmentFact.objects.select_for_update().filter(**key).first()
    if fact is None:
        fact = DepartmentFact(**key, **wanted)
        try:
            with transaction.atomic():
                fact.save()
        except IntegrityError:
            fact = DepartmentFact.objects.select_for_update().get(**key)
        else:
            audit_record(
                actor=actor,
                action="exchange.fact_create",
                obj=fact,
                division_code=fact.community_id or "",
                source=source,
                changes={k: [None, v] for k, v in _fact_audit(fact, person).items()},
            )
            return FactResult(row=0, status=CREATED, fact_id=fact.pk, person_created=created_person)
    before = {k: getattr(fact, k) for k in wanted}
    changed = diff(before, wanted)
    changed.pop("subsystem_id", None)
    if not changed:
        return FactResult(row=0, status=UNCHANGED, fact_id=fact.pk, person_created=created_person)
    for name, value in wanted.items():
        setattr(fact, name, value)
    fact.save(update_fields=list(wanted))
    audit_record(
        actor=actor,
        action="exchange.fact_update",
        obj=fact,
        division_code=fact.community_id or "",
        source=source,
        changes={**changed, "doc_number": person.doc_number, "reference": fact.reference, "kind": fact.kind},
    )
    return FactResult(row=0, status=UPDATED, fact_id=fact.pk, person_created=created_person)


def facts_report(
    *, actor, rows: list[FactInput], purpose: str = "", case_ref: str = "", end_user: str = "", source: str = "api"
) -> FactsReport:
    """A department subsystem posts its records under a grant on `department_facts` with the way `report`; each
    row is written (or refused) on its own, and the call is one event in the access log.
    """
    subsystem = hub.subsystem_of(actor)
    if subsystem is None:
        raise PermissionDenied()
    context = hub.CallContext(
        subsystem=subsystem, end_user=end_user or actor.username, purpose=purpose or "", case_ref=case_ref or ""
    )
    request = [{**r.__dict__, "occurred_on": r.occurred_on} for r in rows]
    if not rows or len(rows) > MAX_FACT_ROWS:
        raise InvalidInput(
            [FieldProblem("rows", "fact.rows_count", _("Post between 1 and %(n)d records") % {"n": MAX_FACT_ROWS})]
        )
    grants = hub.grants_for(subsystem, DATASET, "report")
    if not grants:
        hub.access_log(
            context=context,
            action="exchange.report",
            dataset=DATASET,
            outcome="refused:no_grant",
            request=request,
            response=None,
            extra={"rows": len(rows)},
        )
        raise PermissionDenied()
    results: list[FactResult] = []
    for number, row in enumerate(rows, start=1):
        values, problems = _row_check(row, grants, subsystem)
        if problems:
            results.append(FactResult(row=number, status=REJECTED, problems=problems))
            continue
        try:
            result = _fact_write(row, values, subsystem=subsystem, actor=actor, source=source)
        except InvalidInput as exc:
            results.append(FactResult(row=number, status=REJECTED, problems=exc.problems))
            continue
        result.row = number
        results.append(result)
    report = FactsReport(results=results)
    outside = [r.row for r in results if any(p.rule == "exchange.area" for p in r.problems)]
    hub.access_log(
        context=context,
        action="exchange.report",
        dataset=DATASET,
        outcome="refused:area" if outside and len(outside) == len(rows) else "ok",
        request=request,
        response=[(r.row, r.status, r.fact_id) for r in results],
        extra={"rows": len(rows), "counts": report.counts(), "outside_area_rows": outside},
    )
    return report
