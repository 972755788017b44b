"""Reads of the hub. Verification and query answer a subsystem within its grants and log every call in the audit
chain (`hub.access_log`), refusals included; the access log and the catalogue are read here for the pages.
"""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from liuguan.accounts.models import ApiToken
from liuguan.accounts.roles import Role
from liuguan.core.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today, normalize_document_number
from liuguan.core.models import AuditEvent
from liuguan.core.scoping import within
from liuguan.geo.models import Division
from liuguan.registry.codes import DocType
from liuguan.registry.lookup import person_by_document
from liuguan.registry.models import Employer, House, Person, Stay

from . import hub
from .models import Dataset, Department, Grant, Subsystem, Way
from .selectors_feeds import SOURCES, fields_in_area, record_values

# Outcomes the access log records for a call.
REFUSED, INVALID, EMPTY, ANSWERED = "refused", "invalid", "empty", "answered"
QUERY_DATASETS = ("people", "stays", "houses", "employers")
MAX_CONTEXT = {"purpose": 200, "case_ref": 64, "end_user": 64}


# Verification and query -------------------------------------------------------------------------------------


def _refuse(context, action, dataset, request, *, outcome=REFUSED, division_code="", problems=None):
    hub.access_log(
        context=context,
        action=action,
        dataset=dataset,
        outcome=outcome,
        request=request,
        response={"outcome": outcome},
        division_code=division_code,
    )
    if problems:
        raise InvalidInput(problems)
    raise PermissionDenied()


def _context_problems(context: hub.CallContext, *, required: tuple[str, ...]) -> list[FieldProblem]:
    problems = []
    for name, limit in MAX_CONTEXT.items():
        value = getattr(context, name)
        if name in required and not value.strip():
            problems.append(FieldProblem(name, f"exchange.{name}_required", _("This is required for the log")))
        elif len(value) > limit:
            message = _("At most %(n)d characters") % {"n": limit}
            problems.append(FieldProblem(name, f"exchange.{name}_length", message))
    return problems


def _document_problems(doc_type: str, doc_number: str) -> list[FieldProblem]:
    problems = []
    if doc_type not in DocType.values:
        message = _("Document types are %(types)s") % {"types": ", ".join(DocType.values)}
        problems.append(FieldProblem("doc_type", "exchange.doc_type", message))
    if not doc_number or len(doc_number) > 32:
        problems.append(FieldProblem("doc_number", "exchange.doc_number", _("Give a document number")))
    return problems


def residence_verify(*, context: hub.CallContext, doc_type: str, doc_number: str, area_code: str | None = None) -> bool:
    """Yes or no: does the document's holder have a current stay inside the area (the grant's, or a narrower one
    asked for)? Nothing else is revealed; an area outside every grant is refused, and every call is logged.
    """
    doc_number = normalize_document_number(doc_number)
    area_code = (area_code or "").strip() or None
    request = {"doc_type": doc_type, "doc_number": doc_number, "area_code": area_code}
    action, dataset = "exchange.verify", "residence"
    grants = hub.grants_for(context.subsystem, dataset, Way.VERIFY)
    if not grants:
        _refuse(context, action, dataset, request, division_code=area_code or "")
    problems = _document_problems(doc_type, doc_number) + _context_problems(context, required=())
    if area_code is not None and not Division.objects.filter(code=area_code).exists():
        problems.append(FieldProblem("area_code", "exchange.area_unknown", _("Not a division")))
    if problems:
        _refuse(context, action, dataset, request, outcome=INVALID, problems=problems)
    areas = hub.granted_areas(grants)
    if area_code is not None:
        if not any(area_code.startswith(area) for area in areas):
            _refuse(context, action, dataset, request, division_code=area_code)
        areas = [area_code]
    person = person_by_document(doc_type, doc_number)
    answer = False
    if person is not None:
        inside = Q()
        for area in areas:
            inside |= within("community_id", area)
        answer = Stay.objects.filter(
            inside, person=person, departed_on__isnull=True, arrived_on__lte=china_today()
        ).exists()
    if not context.purpose.strip():
        context.purpose = grants[0].purpose
    hub.access_log(
        context=context,
        action=action,
        dataset=dataset,
        outcome=ANSWERED,
        request=request,
        response={"answer": answer},
        division_code=areas[0] if len(areas) == 1 else "",
        obj=person,
        extra={"way": Way.VERIFY, "area": area_code or ",".join(areas)},
    )
    return answer


@dataclass
class QueryKey:
    """What a query looks for: a document (people, stays), a record id (houses, employers) or a credit code."""

    doc_type: str = "citizen_id"
    doc_number: str = ""
    record_id: int | None = None
    credit_code: str = ""

    def as_request(self) -> dict:
        return {
            "doc_type": self.doc_type,
            "doc_number": self.doc_number,
            "id": self.record_id,
            "credit_code": self.credit_code,
        }


def _key_problems(dataset: str, key: QueryKey) -> list[FieldProblem]:
    if dataset in ("people", "stays"):
        return _document_problems(key.doc_type, key.doc_number)
    if dataset == "houses" and key.record_id is None:
        return [FieldProblem("id", "exchange.id_required", _("Give the house's id"))]
    if dataset == "employers" and key.record_id is None and not key.credit_code:
        return [FieldProblem("credit_code", "exchange.credit_code_required", _("Give a credit code or an id"))]
    return []


def records_query(*, context: hub.CallContext, dataset: str, key: QueryKey) -> list[dict]:
    """Records of a dataset by document number, credit code or id: only inside the grants' areas (a stay by its
    community, a person where they have a stay), and of each record only the fields its covering grants name.
    """
    key.doc_number = normalize_document_number(key.doc_number)
    key.credit_code = normalize_document_number(key.credit_code)
    request = {"dataset": dataset, **key.as_request()}
    action = "exchange.query"
    if dataset not in QUERY_DATASETS:
        hub.access_log(context=context, action=action, dataset=dataset, outcome=INVALID, request=request, response={})
        raise NotFound()
    grants = hub.grants_for(context.subsystem, dataset, Way.QUERY)
    if not grants:
        _refuse(context, action, dataset, request)
    problems = _context_problems(context, required=("purpose", "case_ref")) + _key_problems(dataset, key)
    if problems:
        _refuse(context, action, dataset, request, outcome=INVALID, problems=problems)

    records, found = [], None
    if dataset in ("people", "stays"):
        found = person_by_document(key.doc_type, key.doc_number)
        if found is not None:
            stays = list(Stay.objects.filter(person=found).select_related("person").order_by("arrived_on", "pk"))
            if dataset == "people":
                # A person is placed by every community they have (or had) a stay in.
                fields = fields_in_area({s.community_id for s in stays}, grants)
                if fields:
                    records.append(record_values(SOURCES["registry.person"], found, fields))
            else:
                for stay in stays:
                    if fields := fields_in_area({stay.community_id}, grants):
                        records.append(record_values(SOURCES["registry.stay"], stay, fields))
    elif dataset == "houses":
        found = House.objects.select_related("landlord").filter(pk=key.record_id).first()
        if found is not None and (fields := fields_in_area({found.community_id}, grants)):
            records.append(record_values(SOURCES["registry.house"], found, fields))
    else:
        lookup = {"pk": key.record_id} if key.record_id is not None else {"credit_code": key.credit_code}
        found = Employer.objects.filter(**lookup).first()
        if found is not None and (fields := fields_in_area({found.community_id}, grants)):
            records.append(record_values(SOURCES["registry.employer"], found, fields))

    returned = found if records else None
    extra = {"way": Way.QUERY, "returned": len(records)}
    if isinstance(returned, Person):
        extra["person_id"] = returned.pk
    hub.access_log(
        context=context,
        action=action,
        dataset=dataset,
        outcome=ANSWERED if records else EMPTY,
        request=request,
        response=records,
        division_code=hub.granted_areas(grants)[0] if len(hub.granted_areas(grants)) == 1 else "",
        obj=returned,
        extra=extra,
    )
    return records


# The access log ---------------------------------------------------------------------------------------------


@dataclass
class LogEntry:
    """One call or page view of shared data, as the access log shows it."""

    id: int
    occurred_at: dt.datetime
    action: str
    department: str
    department_name: str
    subsystem: str
    end_user: str
    purpose: str
    case_ref: str
    dataset: str
    outcome: str
    request_sha256: str
    response_sha256: str
    person_id: int | None


def _log_events(accounts):
    return AuditEvent.objects.filter(actor_id__in=accounts, changes__has_key="request_sha256")


def _entries(events) -> list[LogEntry]:
    names = dict(Department.objects.values_list("code", "name"))
    entries = []
    for event in events:
        c = event.changes
        person_id = c.get("person_id")
        if person_id is None and event.object_type == "registry.person" and event.object_id.isdigit():
            person_id = int(event.object_id)
        entries.append(
            LogEntry(
                id=event.pk,
                occurred_at=event.occurred_at,
                action=event.action,
                department=c.get("department", ""),
                department_name=names.get(c.get("department", ""), ""),
                subsystem=c.get("subsystem", ""),
                end_user=c.get("end_user", ""),
                purpose=event.purpose,
                case_ref=c.get("case_ref", ""),
                dataset=c.get("dataset", ""),
                outcome=c.get("outcome", ""),
                request_sha256=c.get("request_sha256", ""),
                response_sha256=c.get("response_sha256", ""),
                person_id=person_id,
            )
        )
    return entries


def access_log_list(
    *, user, department: str | None = None, dataset: str | None = None, before_id: int | None = None, limit: int = 100
) -> list[LogEntry]:
    """A department sees its own subsystems' calls; an auditor and the province administrator see every one."""
    if not user.can("exchange.log"):
        raise PermissionDenied()
    subsystems = Subsystem.objects.all()
    if user.role == Role.DEPARTMENT_USER:
        if not user.department_id:
            return []
        subsystems = subsystems.filter(department_id=user.department_id)
    elif department:
        subsystems = subsystems.filter(department_id=department)
    events = _log_events(subsystems.values("account_id"))
    if dataset:
        events = events.filter(changes__dataset=dataset)
    if before_id:
        events = events.filter(id__lt=before_id)
    return _entries(events.order_by("-id")[: max(1, min(limit, 500))])


def person_lookups(*, person: Person, limit: int = 50) -> list[LogEntry]:
    """Which departments looked this person up through the hub, when and why (for the person's page, which is
    itself scoped to the officer's jurisdiction).
    """
    events = _log_events(Subsystem.objects.values("account_id")).filter(
        object_type="registry.person", object_id=str(person.pk)
    )
    return _entries(events.order_by("-id")[:limit])


# Members and grants, for the administrators' pages ----------------------------------------------------------


def department_list() -> list[Department]:
    """Every department with how many subsystems and grants in force it has."""
    today = china_today()
    return list(
        Department.objects.annotate(
            subsystem_count=Count("subsystems", distinct=True),
            grant_count=Count(
                "subsystems__grants",
                filter=Q(
                    subsystems__grants__revoked_at__isnull=True,
                    subsystems__grants__expires_on__gte=today,
                ),
                distinct=True,
            ),
        ).order_by("code")
    )


def department_get(code: str) -> Department:
    department = Department.objects.filter(code=code).first()
    if department is None:
        raise NotFound()
    return department


def subsystem_list(*, department: Department) -> list[Subsystem]:
    return list(Subsystem.objects.filter(department=department).order_by("code"))


def subsystem_get(pk: int) -> Subsystem:
    subsystem = Subsystem.objects.select_related("department", "account").filter(pk=pk).first()
    if subsystem is None:
        raise NotFound()
    return subsystem


def subsystem_keys(*, subsystem: Subsystem) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user=subsystem.account).order_by("-created_at"))


def subsystem_grants(*, subsystem: Subsystem) -> list[Grant]:
    return list(Grant.objects.filter(subsystem=subsystem).select_related("area", "dataset").order_by("-granted_at"))


def dataset_list() -> list[Dataset]:
    return list(Dataset.objects.order_by("code"))
