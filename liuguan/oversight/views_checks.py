"""Pages of spot checks and feedback tasks: rounds and their results for officers, the check form on a phone for
verifiers, "my tasks" for collectors, the task page (fix, dispute, decide) and the officers' list of tasks.

Personal data stays masked: a verifier sees the recorded value of each field they check, except the phone,
which they type as the person gives it and the system compares (so no full number is shown or needed).
"""

import datetime as dt
import functools

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liuguan.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.permissions import ATTR, page

from . import selectors_checks as selectors
from .forms_checks import CheckForm, DecideForm, DisputeForm, FeedbackOpenForm, FixForm, RoundForm, TaskFilterForm
from .models import FeedbackTask, SpotCheck, SpotCheckRound
from .services import feedback as feedback_services
from .services import spotchecks as spotcheck_services


def page_any(*permissions: str):
    """A page for staff holding any one of `permissions` (the task page serves collectors and officers)."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not any(user.can(p) for p in permissions):
                raise DjangoPermissionDenied
            return view(request, *args, **kwargs)

        setattr(wrapped, ATTR, " | ".join(permissions))
        return wrapped

    return decorator


def _or_404(fn, **kwargs):
    try:
        return fn(**kwargs)
    except NotFound as exc:
        raise Http404 from exc


def _problems_to_messages(request, exc: InvalidInput) -> None:
    for p in exc.problems:
        messages.error(request, str(p.message))


# -- spot-check rounds ------------------------------------------------------------------------------------------


@page_any("quality.view", "spotcheck.verify")
def spotchecks(request):
    """The spot-check rounds of the officer's area and of areas around it, newest first; field workers go on to
    their own checks.
    """
    if not request.user.can("quality.view"):
        return redirect("oversight:my_checks")
    return render(request, "oversight/spotchecks.html", {"rounds": selectors.round_list(user=request.user)})


@page("spotcheck.manage")
def spotcheck_round_new(request):
    """Draw a round: the area, the registration period, records per collector, fields, and optionally a seed."""
    today = china_today()
    first = today.replace(day=1)
    last_month_end = first - dt.timedelta(days=1)
    form = RoundForm(
        request.POST or None,
        areas=selectors.area_choices(request.user),
        initial={"period_start": last_month_end.replace(day=1), "period_end": last_month_end},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            spot_round = spotcheck_services.round_create(
                actor=request.user,
                division_code=d["division_code"],
                period_start=d["period_start"],
                period_end=d["period_end"],
                sample_size=d["sample_size"],
                fields=d["fields"] or None,
                seed=d["seed"],
                due_on=d["due_on"],
            )
        except InvalidInput as exc:
            for p in exc.problems:
                form.add_error(p.field if p.field in form.fields else None, str(p.message))
        else:
            messages.success(request, _("Round %(number)s drawn.") % {"number": spot_round.number})
            return redirect("oversight:spotcheck_round", round_id=spot_round.pk)
    return render(request, "oversight/spotcheck_round_form.html", {"form": form})


@page("quality.view")
def spotcheck_round(request, round_id):
    """A round's progress (drawn, done, not found, per collector and community) and its error rates."""
    spot_round = _or_404(selectors.round_get, user=request.user, round_id=round_id)
    summary = selectors.round_summary(user=request.user, spot_round=spot_round)
    return render(
        request,
        "oversight/spotcheck_round.html",
        {
            "round": spot_round,
            "summary": summary,
            "estimate": selectors.shown(summary["estimate"]),
            "collectors": [{**c, "shown": selectors.shown(c["figure"].estimate)} for c in summary["collectors"]],
            "by_field": [{**f, "shown": selectors.shown(f["estimate"])} for f in summary["by_field"]],
            "wrong": selectors.round_wrong_checks(user=request.user, spot_round=spot_round),
            "fields": [selectors.field_label(f) for f in spot_round.fields],
            "can_close": selectors.round_closable(user=request.user, spot_round=spot_round),
        },
    )


@page("spotcheck.manage")
@require_POST
def spotcheck_round_close(request, round_id):
    try:
        spotcheck_services.round_close(actor=request.user, round_id=round_id)
    except NotFound as exc:
        raise Http404 from exc
    except Conflict as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Round closed."))
    return redirect("oversight:spotcheck_round", round_id=round_id)


@page("spotcheck.verify")
def my_checks(request):
    """A field worker's records to verify, soonest due first, and the ones they recorded lately."""
    return render(request, "oversight/spotcheck_mine.html", selectors.my_checks(user=request.user))


@page("spotcheck.verify")
def spotcheck(request, check_id):
    """The check form on a phone: each field's recorded value with confirm / correct; or the result once done."""
    check = _or_404(selectors.check_get, user=request.user, check_id=check_id)
    shown = selectors.check_rows_for_form(check)
    may_record = check.status == SpotCheck.Status.ASSIGNED and check.round.status == SpotCheckRound.Status.OPEN
    if may_record:
        try:
            spotcheck_services.check_for_work(request.user, check.pk)
        except (NotFound, PermissionDenied):
            may_record = False
    form = CheckForm(request.POST or None, check_fields=list(check.round.fields)) if may_record else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            done = spotcheck_services.check_record(
                actor=request.user,
                check_id=check.pk,
                verdicts=form.verdicts(),
                note=form.cleaned_data["note"],
                unreachable=form.cleaned_data["unreachable"],
            )
        except NotFound as exc:
            raise Http404 from exc
        except InvalidInput as exc:
            for p in exc.problems:
                form.add_problem(p.field, str(p.message))
        except Conflict as exc:
            messages.error(request, str(exc.message))
            return redirect("oversight:spotcheck", check_id=check.pk)
        else:
            if done.status == SpotCheck.Status.UNREACHABLE:
                messages.info(request, _("Recorded: the person could not be found."))
            elif done.fields_corrected:
                messages.success(
                    request,
                    _("Recorded with %(n)d correction(s); each goes back to whoever set the field.")
                    % {"n": done.fields_corrected},
                )
            else:
                messages.success(request, _("Recorded: everything confirmed."))
            return redirect("oversight:my_checks")
    return render(
        request,
        "oversight/spotcheck.html",
        {"check": check, "rows": form.rows(shown) if form else shown, "form": form, "tasks": check.tasks.all()},
    )


# -- feedback tasks ---------------------------------------------------------------------------------------------


@page_any("feedback.work", "feedback.open")
def feedback(request):
    """A collector's tasks: open ones with their deadline (overdue marked), and disputes waiting for a decision.

    Officers who work no tasks themselves (county and above) go on to the tasks of their jurisdiction.
    """
    if not request.user.can("feedback.work"):
        return redirect("oversight:feedback_list")
    return render(request, "oversight/feedback_mine.html", selectors.my_tasks(user=request.user))


@page("feedback.open")
def feedback_list(request):
    """The tasks of the officer's jurisdiction, by status, overdue, and who set the field."""
    user = request.user
    form = TaskFilterForm(
        request.GET or None,
        statuses=FeedbackTask.Status.choices,
        collectors=selectors.task_collectors(user=user),
    )
    filters = form.cleaned_data if form.is_valid() else {}
    tasks = selectors.task_list(
        user=user,
        status=filters.get("status") or "",
        overdue=bool(filters.get("overdue")),
        collector_id=filters.get("collector"),
    )
    return render(request, "oversight/feedback_list.html", {"form": form, "tasks": tasks, "today": china_today()})


@page("feedback.open")
@require_POST
def feedback_open(request):
    """Report a wrong field from a person page: open a task to whoever set the field, and go back."""
    form = FeedbackOpenForm(request.POST)
    back = request.POST.get("person_id", "")
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
    else:
        d = form.cleaned_data
        try:
            task = feedback_services.task_open(
                actor=request.user,
                object_type=d["object_type"],
                object_id=d["object_id"],
                field=d["field"],
                found_value=d["found_value"] or None,
                note=d["note"],
            )
        except NotFound as exc:
            raise Http404 from exc
        except InvalidInput as exc:
            _problems_to_messages(request, exc)
        except Conflict as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _("Feedback task %(number)s opened; due %(due)s.")
                % {"number": task.number, "due": task.due_on.isoformat()},
            )
            back = back or str(task.person_id)
    if back.isdigit():
        return redirect("registry:person_detail", person_id=int(back))
    return redirect("oversight:feedback_list")


@page_any("feedback.work", "feedback.open")
def feedback_task(request, task_id):
    """One task: the field, what was recorded and found, its deadline and history, and what the user may do."""
    user = request.user
    task = _or_404(selectors.task_get, user=user, task_id=task_id)
    view = selectors.task_view(task)
    can_work = (
        task.status == FeedbackTask.Status.OPEN
        and user.can("feedback.work")
        and user.pk in (task.assignee_id, task.collector_id)
    )
    can_decide = (
        task.status == FeedbackTask.Status.DISPUTED and user.can("feedback.open") and user.can("person.register")
    )
    initial = task.found_value if task.found_value is not None and task.field != "phone" else None
    return render(
        request,
        "oversight/feedback_task.html",
        {
            "task": task,
            "view": view,
            "can_work": can_work,
            "can_decide": can_decide,
            "fix_form": FixForm(field_name=task.field, initial_value=initial) if can_work else None,
            "dispute_form": DisputeForm() if can_work else None,
            "decide_form": DecideForm(field_name=task.field) if can_decide else None,
        },
    )


def _task_action(request, task_id, action, success: str):
    try:
        action()
    except NotFound as exc:
        raise Http404 from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied from exc
    except InvalidInput as exc:
        _problems_to_messages(request, exc)
    except Conflict as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, success)
    return redirect("oversight:feedback_task", task_id=task_id)


def _task_field(user, task_id) -> str:
    return _or_404(selectors.task_get, user=user, task_id=task_id).field


@page("feedback.work")
@require_POST
def feedback_fix(request, task_id):
    """Put the right value on the record; left empty, the value the verifier or officer found is taken."""
    task = _or_404(selectors.task_get, user=request.user, task_id=task_id)
    form = FixForm(request.POST, field_name=task.field)
    value = None
    if form.is_valid():
        value = form.cleaned_data["value"] or task.found_value
    if value is None:
        messages.error(request, _("Give the right value"))
        return redirect("oversight:feedback_task", task_id=task_id)
    note = form.cleaned_data["note"]
    return _task_action(
        request,
        task_id,
        lambda: feedback_services.task_fix(actor=request.user, task_id=task_id, value=value, note=note),
        _("Fixed: the record now holds the right value; the old one is kept in its history."),
    )


@page("feedback.work")
@require_POST
def feedback_dispute(request, task_id):
    form = DisputeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the record is right"))
        return redirect("oversight:feedback_task", task_id=task_id)
    return _task_action(
        request,
        task_id,
        lambda: feedback_services.task_dispute(actor=request.user, task_id=task_id, note=form.cleaned_data["note"]),
        _("Disputed: an officer will decide."),
    )


@page("feedback.open")
@require_POST
def feedback_decide(request, task_id):
    form = DecideForm(request.POST, field_name=_task_field(request.user, task_id))
    if not form.is_valid():
        messages.error(request, _("Choose a decision and give the reason"))
        return redirect("oversight:feedback_task", task_id=task_id)
    d = form.cleaned_data
    return _task_action(
        request,
        task_id,
        lambda: feedback_services.dispute_decide(
            actor=request.user,
            task_id=task_id,
            upheld=d["decision"] == "upheld",
            value=d["value"] or None,
            note=d["note"],
        ),
        _("Decision recorded."),
    )


def person_feedback_panel(*, user, person) -> dict:
    """For the registry's person page: the person's feedback tasks and the "this field is wrong" forms.

    The tasks are part of the record's history; the forms (one per correctable field) only for officers who
    may open tasks.
    """
    from .forms_checks import wrong_field_forms

    return {
        "tasks": selectors.person_feedback(user=user, person=person),
        "forms": wrong_field_forms() if user.can("feedback.open") else {},
    }
