"""Children's schooling as JSON: the figures by area and year, schools and applications in scope, submit and
decide. Domain errors map to HTTP in liuguan/api.py like every other router.
"""

from django.http import Http404
from ninja import Router, Schema, Status

from liuguan.core.errors import NotFound
from liuguan.core.identity import china_today, mask_name
from liuguan.core.permissions import endpoint
from liuguan.core.schemas import responses
from liuguan.oversight.areas import area_in_scope, division_names

from . import selectors, services
from .figures import area_figures, area_trend
from .views import _child_length

router = Router(tags=["schooling"])


class SchoolingFigureOut(Schema):
    code: str
    name: str = ""
    enrolled: int
    public: int
    private: int
    public_share: float | None
    private_share: float | None
    transfers: int
    transfer_rate: float | None


class SchoolingYearFigureOut(SchoolingFigureOut):
    year: int


class SchoolingFiguresOut(Schema):
    area: str
    year: int
    whole: SchoolingFigureOut
    units: list[SchoolingFigureOut]
    trend: list[SchoolingYearFigureOut]


class SchoolConditionOut(Schema):
    code: str
    label: str
    met: bool
    reason: str


class SchoolApplicationOut(Schema):
    id: int
    number: str
    child: str
    level: str
    school_year: int
    status: str
    status_label: str
    eligible: bool | None
    conditions: list[SchoolConditionOut]
    channel: str
    preferred_school_id: int | None
    placed_school_id: int | None
    reason: str
    fee_waiver_requested: bool
    fee_waiver_granted: bool | None
    boarding_requested: bool
    boarding_granted: bool | None
    updated_at: str


class SchoolApplicationIn(Schema):
    child_id: int
    level: str
    school_id: int | None = None
    documents: list[str] = []
    guardian_id: int | None = None
    school_year: int | None = None
    fee_waiver: bool = False
    boarding: bool = False
    hardship_reason: str = ""


class SchoolApplicationActIn(Schema):
    school_id: int | None = None
    reason: str = ""
    fee_waiver: bool | None = None
    boarding: bool | None = None


class SchoolOut(Schema):
    id: int
    name: str
    kind: str
    levels: list[str]
    community_code: str
    catchment: list[str]
    active: bool


def _application_out(a) -> dict:
    return {
        "id": a.pk,
        "number": a.number,
        "child": mask_name(a.child.name),
        "level": a.level,
        "school_year": a.school_year,
        "status": a.status,
        "status_label": a.get_status_display(),
        "eligible": a.eligible,
        "conditions": (a.eligibility or {}).get("conditions", []),
        "channel": a.channel,
        "preferred_school_id": a.preferred_school_id,
        "placed_school_id": a.placed_school_id,
        "reason": a.reason,
        "fee_waiver_requested": a.fee_waiver_requested,
        "fee_waiver_granted": a.fee_waiver_granted,
        "boarding_requested": a.boarding_requested,
        "boarding_granted": a.boarding_granted,
        "updated_at": a.updated_at.isoformat(),
    }


@router.get(
    "/figures", response=responses(SchoolingFiguresOut), summary="Migrant children in public and private schools"
)
@endpoint("school.view")
def figures(request, area: str = "", year: int | None = None):
    try:
        division = area_in_scope(request.user, area or None)
    except NotFound as exc:
        raise Http404 from exc
    trend = area_trend(area=division.code, today=china_today())
    years = [y for y, _f in trend]
    year = year if year in years else years[-1]
    whole, units = area_figures(area=division.code, year=year, child_length=_child_length(division.code))
    names = {code: d.name for code, d in division_names([*units, division.code]).items()}
    return {
        "area": division.code,
        "year": year,
        "whole": {**whole.as_dict(), "name": names.get(division.code, "")},
        "units": [{**f.as_dict(), "name": names.get(code, "")} for code, f in units.items()],
        "trend": [{**f.as_dict(), "year": y} for y, f in trend],
    }


@router.get("/schools", response=responses(list[SchoolOut]), summary="Schools in the caller's area")
@endpoint("school.view")
def schools(request, kind: str = "", level: str = ""):
    return [
        {
            "id": s.pk,
            "name": s.name,
            "kind": s.kind,
            "levels": s.levels,
            "community_code": s.community_id,
            "catchment": s.catchment,
            "active": s.active,
        }
        for s in selectors.school_list(user=request.user, kind=kind, level=level)
    ]


@router.get("/applications", response=responses(list[SchoolApplicationOut]), summary="School applications in scope")
@endpoint("school.view")
def applications(request, status: str = ""):
    return [_application_out(a) for a in selectors.application_list(user=request.user, status=status)]


@router.post("/applications", response=responses(SchoolApplicationOut, 201), summary="Apply for a child's school place")
@endpoint("school.apply")
def submit(request, body: SchoolApplicationIn):
    created = services.school_application_submit(
        actor=request.user,
        child_id=body.child_id,
        level=body.level,
        school_id=body.school_id,
        documents=body.documents,
        channel="station",
        source="api",
        guardian_id=body.guardian_id,
        school_year=body.school_year,
        fee_waiver=body.fee_waiver,
        boarding=body.boarding,
        hardship_reason=body.hardship_reason,
    )
    return Status(201, _application_out(created))


STEPS = {
    "check": lambda user, pk, b: services.school_application_check(actor=user, application_id=pk, source="api"),
    "place": lambda user, pk, b: services.school_application_place(
        actor=user, application_id=pk, school_id=b.school_id, source="api"
    ),
    "refuse": lambda user, pk, b: services.school_application_refuse(
        actor=user, application_id=pk, reason=b.reason, source="api"
    ),
    "support": lambda user, pk, b: services.school_application_support_decide(
        actor=user, application_id=pk, fee_waiver=b.fee_waiver, boarding=b.boarding, source="api"
    ),
}


@router.post(
    "/applications/{application_id}/{action}",
    response=responses(SchoolApplicationOut),
    summary="Check, place, refuse or decide hardship support",
)
@endpoint("school.decide")
def act(request, application_id: int, action: str, body: SchoolApplicationActIn):
    if action not in STEPS:
        raise Http404
    done = STEPS[action](request.user, application_id, body)
    return _application_out(done)
