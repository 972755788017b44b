"""Pages of verification sweeps: the officer's list, form, sweep page and closing report; the field worker's
phone pages (my houses, and the visit at one house).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liuguan.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.permissions import page

from . import selectors_sweeps as selectors
from .forms_sweeps import AssignForm, SweepForm, TaskForm
from .models import Sweep, SweepTask
from .services import sweeps as services


def _sweep_or_404(user, sweep_id) -> Sweep:
    try:
        return selectors.sweep_get(user=user, sweep_id=sweep_id)
    except NotFound as exc:
        raise Http404 from exc


def _task_or_404(user, task_id) -> SweepTask:
    try:
        return selectors.sweep_task_get(user=user, task_id=task_id)
    except NotFound as exc:
        raise Http404 from exc


def _add_problems(form, problems, rename=None):
    for p in problems:
        name = (rename or {}).get(p.field, p.field)
        form.add_error(name if name in form.fields else None, str(p.message))


@page("sweep.manage")
def sweeps(request):
    """The sweeps of the officer's area (and of areas around it), newest first."""
    status = request.GET.get("status", "")
    return render(
        request,
        "oversight/sweeps.html",
        {"sweeps": selectors.sweep_list(user=request.user, status=status), "status": status},
    )


@page("sweep.manage")
def sweep_new(request):
    """Define an area inside the jurisdiction and a window; the tasks are made at once."""
    areas = selectors.area_choices(user=request.user)
    today = china_today()
    form = SweepForm(request.POST or None, areas=areas, initial={"starts_on": today})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            sweep = services.sweep_create(
                actor=request.user,
                division_code=d["division_code"],
                name=d["name"],
                starts_on=d["starts_on"],
                ends_on=d["ends_on"],
            )
        except InvalidInput as exc:
            _add_problems(form, exc.problems)
        else:
            messages.success(request, _("Sweep %(number)s made.") % {"number": sweep.number})
            return redirect("oversight:sweep", sweep.pk)
    return render(request, "oversight/sweep_form.html", {"form": form})


def _sweep_context(user, sweep, assign_form=None):
    unassigned = selectors.sweep_unassigned(user=user, sweep=sweep)
    workers = selectors.worker_choices(user=user, sweep=sweep) if unassigned else []
    grids, total = selectors.sweep_progress(user=user, sweep=sweep)
    return {
        "sweep": sweep,
        "grids": grids,
        "total": total,
        "unassigned": unassigned,
        "assign_form": assign_form or AssignForm(workers=workers, tasks=unassigned),
        "manageable": selectors.sweep_manageable(user=user, sweep=sweep),
        "is_open": sweep.status == Sweep.Status.OPEN,
    }


@page("sweep.manage")
def sweep(request, sweep_id):
    """Progress by grid, the houses nobody has been given yet, and closing."""
    found = _sweep_or_404(request.user, sweep_id)
    return render(request, "oversight/sweep.html", _sweep_context(request.user, found))


@page("sweep.manage")
@require_POST
def sweep_assign(request, sweep_id):
    found = _sweep_or_404(request.user, sweep_id)
    unassigned = selectors.sweep_unassigned(user=request.user, sweep=found)
    workers = selectors.worker_choices(user=request.user, sweep=found)
    form = AssignForm(request.POST, workers=workers, tasks=unassigned)
    if form.is_valid():
        try:
            n = services.sweep_task_assign(
                actor=request.user, task_ids=form.cleaned_data["task_ids"], worker_id=form.cleaned_data["worker_id"]
            )
        except NotFound as exc:
            raise Http404 from exc
        except InvalidInput as exc:
            _add_problems(form, exc.problems)
        else:
            messages.success(request, _("%(n)d houses assigned.") % {"n": n})
            return redirect("oversight:sweep", found.pk)
    return render(request, "oversight/sweep.html", _sweep_context(request.user, found, form), status=422)


@page("sweep.manage")
@require_POST
def sweep_close(request, sweep_id):
    found = _sweep_or_404(request.user, sweep_id)
    try:
        services.sweep_close(actor=request.user, sweep_id=found.pk)
    except NotFound as exc:
        raise Http404 from exc
    except PermissionDenied:
        messages.error(request, _("Only an officer of the sweep's area or above closes it."))
        return redirect("oversight:sweep", found.pk)
    except Conflict as exc:
        messages.error(request, str(exc.message))
        return redirect("oversight:sweep", found.pk)
    messages.success(request, _("Sweep closed."))
    return redirect("oversight:sweep_report", found.pk)


@page("sweep.manage")
def sweep_report(request, sweep_id):
    """What the sweep changed: the closing report, or the figures so far while it is under way."""
    found = _sweep_or_404(request.user, sweep_id)
    return render(
        request, "oversight/sweep_report.html", {"sweep": found, "report": selectors.sweep_report(sweep=found)}
    )


@page("sweep.work")
def sweep_tasks_mine(request):
    """The field worker's houses to visit, by address; visited ones after."""
    tasks = selectors.my_sweep_tasks(user=request.user)
    todo = sum(1 for t in tasks if not t.outcome)
    return render(request, "oversight/sweep_tasks.html", {"tasks": tasks, "todo": todo})


@page("sweep.work")
def sweep_task(request, task_id):
    """At the house: each person expected present or left, corrections, people found, then complete."""
    user = request.user
    task = _task_or_404(user, task_id)
    stays = selectors.task_stays(task=task, sweep=task.sweep, actor=user)
    form = TaskForm(request.POST or None, stays=stays)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                done = services.sweep_task_complete(actor=user, task_id=task.pk, **form.visit())
            except NotFound as exc:
                raise Http404 from exc
            except PermissionDenied:
                form.add_error(None, _("This house is given to another worker."))
            except Conflict as exc:
                form.add_error(None, str(exc.message))
            except InvalidInput as exc:
                rename = {f"left.{s.pk}": f"departed_{s.pk}" for s in stays.expected + stays.others}
                _add_problems(form, exc.problems, {**rename, "new_stays": "new"})
            else:
                messages.success(
                    request,
                    _("%(address)s: %(outcome)s")
                    % {"address": task.house.address, "outcome": done.get_outcome_display()},
                )
                return redirect("oversight:sweep_tasks_mine")
        status = 422
    return render(
        request,
        "oversight/sweep_task.html",
        {
            "task": task,
            "stays": stays,
            "form": form,
            "mine": task.worker_id == user.pk,
            "can_complete": not task.outcome and task.sweep.status == Sweep.Status.OPEN,
        },
        status=status,
    )
