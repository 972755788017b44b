"""Pages of grid management: the event lists (a grid worker's, a unit's, everyone's in scope), reporting on a
phone, the event with its steps and the actions this user may take (htmx swaps the panel), supervision cards,
the grid page with its people (masked), and the reporter's survey (public, by its token).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liuguan.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuguan.core.permissions import page, public

from . import selectors, selectors_day
from .forms import ActionForm, FilterForm, JointCaseForm, JointPlanForm, ReportForm, SurveyForm
from .services.events import event_act as act
from .services.events import event_report
from .services.surveys import survey_answer, survey_by_token
from .transitions import TABLE


def _or_404(fn, **kwargs):
    try:
        return fn(**kwargs)
    except NotFound as exc:
        raise Http404 from exc


@page("grid.view")
def events(request):
    """Events in scope; "mine" is a grid worker's grids and reports, or what a unit has now."""
    form = FilterForm(request.GET or {"mine": request.user.can("grid.report") or request.user.can("grid.dispose")})
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.event_list(
        user=request.user,
        state=data.get("state", ""),
        overdue=bool(data.get("overdue")),
        mine=bool(data.get("mine")),
    )
    return render(request, "grid/events.html", {"form": form, "events": rows})


@page("grid.report")
def report(request):
    """Report an event in one of the reporter's grids (a phone form)."""
    grids = list(selectors.grid_list(user=request.user))
    form = ReportForm(request.POST or None, categories=selectors.category_list(), grids=grids)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            event = event_report(
                actor=request.user,
                category_code=d["category"],
                description=d["description"],
                grid_code=d["grid"],
                house_id=d["house_id"],
                address=d["address"],
            )
        except InvalidInput as exc:
            for p in exc.problems:
                form.add_error(p.field if p.field in form.fields else None, str(p.message))
        else:
            messages.success(request, _("Event %(number)s reported.") % {"number": event.number})
            return redirect("grid:event", event_id=event.pk)
    return render(request, "grid/report.html", {"form": form})


def _panel_context(request, event, form=None):
    allowed = selectors.allowed_actions(user=request.user, event=event)
    return {
        "event": event,
        "allowed": [(a, _action_label(a)) for a in allowed],
        "needs_unit": {"route", "not_responsible"} & set(allowed),
        "form": form or ActionForm(departments=selectors.department_list()),
    }


def _action_label(action: str) -> str:
    return {
        "route": _("Route"),
        "accept": _("Accept"),
        "not_responsible": _("Not responsible"),
        "start": _("Start work"),
        "dispose": _("Disposed"),
        "feedback": _("Feed back"),
        "close": _("Close (fixed)"),
        "close_not_fixed": _("Close, not fixed"),
        "reopen": _("Reopen"),
    }[action]


@page("grid.view")
def event_detail(request, event_id):
    """The event, its steps (who, when, from, to, note, where it went), its cards and what this user may do."""
    event = _or_404(selectors.event_get, user=request.user, event_id=event_id)
    context = _panel_context(request, event)
    context.update(
        steps=selectors.event_steps(event=event),
        cards=selectors.event_supervisions(event=event),
        show_person=request.user.can("person.view"),
        parts=selectors.joint_parts(user=request.user, event=event),
        can_split=selectors.can_split(user=request.user, event=event),
    )
    return render(request, "grid/event.html", context)


def _form_problems(form, exc: InvalidInput) -> None:
    for p in exc.problems:
        form.add_error(p.field if p.field in form.fields else None, str(p.message))


@page("grid.route")
def joint_new(request, event_id):
    """Split an event into a joint case: one part per department or office, each with its task and working days."""
    from .services.joint import joint_case_open

    event = _or_404(selectors.event_get, user=request.user, event_id=event_id)
    form = JointCaseForm(request.POST or None, departments=selectors.department_list())
    if request.method == "POST" and form.is_valid():
        try:
            joint_case_open(
                actor=request.user, event_id=event.pk, parts=form.part_specs(), note=form.cleaned_data["note"]
            )
        except InvalidInput as exc:
            _form_problems(form, exc)
        else:
            messages.success(request, _("Joint case opened."))
            return redirect("grid:event", event_id=event.pk)
    return render(request, "grid/joint_new.html", {"event": event, "form": form})


@page("grid.dispose")
@require_POST
def part_act(request, part_id, action):
    """A unit's step on its part of a joint case; the service checks the unit, the state and the scope."""
    from .services.joint import joint_part_act

    form = ActionForm(request.POST, departments=selectors.department_list())
    form.is_valid()
    d = form.cleaned_data
    try:
        part = joint_part_act(
            actor=request.user,
            part_id=part_id,
            action=action,
            note=d.get("note", ""),
            office_level=d.get("office_level", ""),
            department_code=d.get("department_code", ""),
        )
    except NotFound as exc:
        raise Http404 from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except InvalidInput as exc:
        for p in exc.problems:
            messages.error(request, str(p.message))
        return redirect(request.POST.get("next") or "grid:events")
    return redirect("grid:event", event_id=part.case_id)


@page("grid.route")
def plans(request):
    """Recurring joint work: the plans in scope with their next run, and a new plan."""
    from .services.joint import joint_plan_create

    grids = list(selectors.grid_list(user=request.user))
    form = JointPlanForm(
        request.POST or None,
        departments=selectors.department_list(),
        categories=selectors.category_list(),
        grids=grids,
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        grid = next(g for g in grids if g.code == d["grid"])
        try:
            joint_plan_create(
                actor=request.user,
                name=d["name"],
                category_code=d["category"],
                community_code=grid.community_id,
                grid_code=grid.code,
                description=d["description"],
                parts=form.part_specs(),
                first_run=d["first_run"],
                cron=d["cron"],
                every_months=d["every_months"],
            )
        except InvalidInput as exc:
            _form_problems(form, exc)
        else:
            messages.success(request, _("Plan saved."))
            return redirect("grid:plans")
    return render(request, "grid/plans.html", {"plans": selectors.joint_plan_list(user=request.user), "form": form})


@page("grid.view")
@require_POST
def event_act(request, event_id, action):
    """Take one step; the service checks the table, the role, the unit and the scope."""
    if action not in TABLE:
        raise Http404
    form = ActionForm(request.POST, departments=selectors.department_list())
    form.is_valid()
    d = form.cleaned_data
    try:
        act(
            actor=request.user,
            event_id=event_id,
            action=action,
            note=d.get("note", ""),
            office_level=d.get("office_level", ""),
            department_code=d.get("department_code", ""),
        )
    except NotFound as exc:
        raise Http404 from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except InvalidInput as exc:
        for p in exc.problems:
            form.add_error(None, str(p.message))
            messages.error(request, str(p.message))
    event = _or_404(selectors.event_get, user=request.user, event_id=event_id)
    if request.headers.get("HX-Request"):
        context = _panel_context(request, event, form if form.errors else None)
        context["steps"] = selectors.event_steps(event=event)
        return render(request, "grid/partials/event_panel.html", context)
    return redirect("grid:event", event_id=event.pk)


@page("grid.supervise")
def supervision(request):
    """Supervision cards in scope, newest first, and the cards held against each unit."""
    return render(
        request,
        "grid/supervision.html",
        {
            "cards": selectors.supervision_list(user=request.user),
            "units": selectors.supervision_by_unit(user=request.user),
        },
    )


@page("grid.view")
def grids(request):
    return render(request, "grid/grids.html", {"grids": selectors.grid_list(user=request.user)})


@page("grid.view")
def grid_detail(request, code):
    """A grid: its worker and deputy, houses, employers, people living there now (masked), Party members, events."""
    grid = _or_404(selectors.grid_get, user=request.user, code=code)
    return render(request, "grid/grid.html", {"page": selectors.grid_page(user=request.user, grid=grid)})


@page("grid.view")
def today(request):
    """A worker's day on a phone: every task waiting on them, by deadline, overdue first."""
    items = selectors_day.worker_day(user=request.user)
    return render(request, "grid/today.html", {"items": items, "overdue": sum(1 for i in items if i.overdue)})


@page("person.register")
@require_POST
def today_verify(request, stay_id):
    """Confirm from the day's list that a person still lives where the stay says (a tier's re-verification)."""
    from liuguan.registry.services.corrections import stay_verify

    try:
        stay_verify(actor=request.user, stay_ids=[stay_id], reason=_("Re-verification by tier"))
    except NotFound as exc:
        raise Http404 from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    messages.success(request, _("Verified today."))
    return redirect("grid:today")


@public
def survey(request, token):
    """The reporter's answer after closing: solved or not (not solved reopens a fixed-closed event)."""
    found = _or_404(survey_by_token, token=token)
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            found = survey_answer(token=token, solved=form.cleaned_data["solved"], comment=form.cleaned_data["comment"])
        except NotFound as exc:
            raise Http404 from exc
        except Conflict as exc:
            messages.error(request, str(exc.message))
    return render(request, "grid/survey.html", {"survey": found, "form": form})
