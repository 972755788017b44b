"""Pages of children's schooling under /livelihood/schooling/: the figures with drill-down by area, the school
registry, and the desk's applications queue with each application's eligibility and decision.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liuguan.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today, mask_document_number, mask_name
from liuguan.core.permissions import page
from liuguan.geo.models import CODE_LENGTHS
from liuguan.oversight.areas import area_in_scope, area_trail, division_names

from . import selectors, services
from .figures import area_figures, area_trend
from .models import Level, SchoolKind, Status


def _child_length(code: str) -> int | None:
    longer = sorted(n for n in CODE_LENGTHS if n > len(code))
    return longer[0] if longer else None


@page("school.view")
def figures(request):
    """Migrant children in public and private schools and the transfer rate, by area and year."""
    try:
        area = area_in_scope(request.user, request.GET.get("area"))
    except NotFound as exc:
        raise Http404 from exc
    today = china_today()
    trend = area_trend(area=area.code, today=today)
    years = [year for year, _f in trend]
    try:
        year = int(request.GET.get("year") or today.year)
    except ValueError as exc:
        raise Http404 from exc
    if year not in years:
        year = years[-1]
    whole, units = area_figures(area=area.code, year=year, child_length=_child_length(area.code))
    names = {code: d.name for code, d in division_names(units).items()}
    rows = [{"figure": f, "name": names.get(code, code), "code": code} for code, f in units.items()]
    return render(
        request,
        "schooling/figures.html",
        {
            "area": area,
            "trail": area_trail(request.user, area.code),
            "year": year,
            "years": years,
            "whole": whole,
            "trend": trend,
            "rows": rows,
            "drill": len(area.code) < 12,
        },
    )


@page("school.view")
def schools(request):
    """The school registry of the user's area."""
    kind = request.GET.get("kind", "")
    level = request.GET.get("level", "")
    rows = selectors.school_list(user=request.user, kind=kind if kind in SchoolKind.values else "", level=level)
    return render(
        request,
        "schooling/schools.html",
        {"schools": rows, "kinds": SchoolKind.choices, "levels": Level.choices, "kind": kind, "level": level},
    )


def _problems(exc) -> str:
    if isinstance(exc, InvalidInput):
        return "; ".join(p.message for p in exc.problems)
    return getattr(exc, "message", "") or str(exc)


@page("school.manage")
def school_new(request):
    """Register a school in a community of the officer's area."""
    values = request.POST if request.method == "POST" else {}
    if request.method == "POST":
        try:
            school = services.school_register(
                actor=request.user,
                name=values.get("name", ""),
                kind=values.get("kind", ""),
                levels=values.getlist("levels"),
                community_code=values.get("community_code", "").strip(),
                address=values.get("address", ""),
                catchment=values.get("catchment", "").split(),
            )
        except (InvalidInput, Conflict) as exc:
            messages.error(request, _problems(exc))
        else:
            messages.success(request, _("School registered"))
            return redirect("schooling:school", school_id=school.pk)
    return render(
        request, "schooling/school_new.html", {"values": values, "kinds": SchoolKind.choices, "levels": Level.choices}
    )


@page("school.view")
def school_detail(request, school_id: int):
    """A school with its places per level and year and the places left."""
    try:
        school = selectors.school_get(user=request.user, school_id=school_id)
    except NotFound as exc:
        raise Http404 from exc
    if request.method == "POST":
        if not request.user.can("school.manage"):
            raise Http404
        try:
            services.school_places_set(
                actor=request.user,
                school_id=school.pk,
                level=request.POST.get("level", ""),
                year=int(request.POST.get("year") or 0),
                places=int(request.POST.get("places") or -1),
            )
        except (InvalidInput, ValueError) as exc:
            messages.error(request, _problems(exc))
        else:
            messages.success(request, _("Places saved"))
        return redirect("schooling:school", school_id=school.pk)
    return render(
        request,
        "schooling/school.html",
        {"school": school, "places": selectors.school_places(school=school), "levels": Level.choices},
    )


def _person_row(person) -> dict:
    return {"name": mask_name(person.name), "doc": mask_document_number(person.doc_number), "born": person.birth_date}


@page("school.view")
def applications(request):
    """The applications queue: open ones first, each with its eligibility at a glance."""
    status = request.GET.get("status", "open")
    chosen = "" if status in ("open", "all") else status
    rows = selectors.application_list(user=request.user, status=chosen if chosen in Status.values else "")
    if status == "open":
        rows = [a for a in rows if a.status in (Status.SUBMITTED, Status.CHECKED)]
    items = [{"app": a, "child": _person_row(a.child), "guardian": _person_row(a.guardian)} for a in rows]
    return render(
        request,
        "schooling/applications.html",
        {"items": items, "status": status, "statuses": Status.choices},
    )


@page("school.view")
def application_detail(request, application_id: int):
    """One application: the family, each eligibility condition with its reason, and the desk's actions."""
    try:
        app = selectors.application_get(user=request.user, application_id=application_id)
    except NotFound as exc:
        raise Http404 from exc
    near = selectors.schools_near(community_code=app.community_id, level=app.level, year=app.school_year)
    return render(
        request,
        "schooling/application.html",
        {
            "app": app,
            "child": _person_row(app.child),
            "guardian": _person_row(app.guardian),
            "conditions": (app.eligibility or {}).get("conditions", []),
            "near": near,
            "records": selectors.records_of(child=app.child),
            "open": app.status in (Status.SUBMITTED, Status.CHECKED),
        },
    )


ACTIONS = {
    "check": ("school.decide", lambda user, pk, post: services.school_application_check(actor=user, application_id=pk)),
    "place": (
        "school.decide",
        lambda user, pk, post: services.school_application_place(
            actor=user, application_id=pk, school_id=int(post["school_id"]) if post.get("school_id") else None
        ),
    ),
    "refuse": (
        "school.decide",
        lambda user, pk, post: services.school_application_refuse(
            actor=user, application_id=pk, reason=post.get("reason", "")
        ),
    ),
    "withdraw": (
        "school.withdraw",
        lambda user, pk, post: services.school_application_withdraw(actor=user, application_id=pk),
    ),
    "support": (
        "school.decide",
        lambda user, pk, post: services.school_application_support_decide(
            actor=user,
            application_id=pk,
            fee_waiver={"yes": True, "no": False}.get(post.get("fee_waiver", "")),
            boarding={"yes": True, "no": False}.get(post.get("boarding", "")),
        ),
    ),
}


@require_POST
@page("school.decide")
def application_act(request, application_id: int, action: str):
    """Take one step on an application; a refusal is shown on the application, nothing changed."""
    if action not in ACTIONS:
        raise Http404
    permission, run = ACTIONS[action]
    if not request.user.can(permission):
        raise Http404
    try:
        run(request.user, application_id, request.POST)
    except NotFound as exc:
        raise Http404 from exc
    except PermissionDenied as exc:
        raise Http404 from exc
    except (InvalidInput, Conflict) as exc:
        messages.error(request, _problems(exc))
    else:
        messages.success(request, _("Done"))
    return redirect("schooling:application", application_id=application_id)
