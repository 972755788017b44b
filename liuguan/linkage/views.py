"""Linkage pages: runs (start one), the review queue, a pair side by side (merge or keep apart), merges (undo),
and the omission and wrong-record tasks of the officer's area.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liuguan.core.errors import Conflict, InvalidInput, NotFound
from liuguan.core.permissions import page

from . import selectors
from .forms import MergeForm, NoteForm, RunForm
from .models import CandidatePair, LinkageRun, LinkageTask
from .runs import run_enqueue, run_request
from .services import merge as merge_services
from .services import tasks as task_services


def _message(exc) -> str:
    if isinstance(exc, InvalidInput):
        return "; ".join(str(p.message) for p in exc.problems)
    return str(getattr(exc, "message", "") or exc)


@page("linkage.view")
def runs(request):
    """The latest runs and the active model; officers allowed to run linkage can start one."""
    return render(
        request,
        "linkage/runs.html",
        {
            "runs": selectors.run_list(user=request.user),
            "model": selectors.active_version(),
            "form": RunForm(),
            "can_run": request.user.can("linkage.run"),
            "can_review": request.user.can("linkage.review"),
        },
    )


@page("linkage.run")
@require_POST
def run_start(request):
    form = RunForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The threshold lies between 0.01 and 0.99"))
        return redirect("linkage:runs")
    try:
        run = run_request(
            actor=request.user,
            trigger=LinkageRun.Trigger.PAGE,
            review_threshold=form.cleaned_data["review_threshold"],
        )
    except (Conflict, InvalidInput) as exc:
        messages.error(request, _message(exc))
    else:
        run_enqueue(run)
        messages.success(request, _("Run %(id)s queued; the worker starts it shortly.") % {"id": run.pk})
    return redirect("linkage:runs")


@page("linkage.review")
def queue(request):
    """Likely duplicates among the people of the officer's area, near-certain ones first."""
    status = request.GET.get("status", CandidatePair.Status.OPEN)
    if status not in CandidatePair.Status.values:
        status = CandidatePair.Status.OPEN
    counts = selectors.review_counts(user=request.user)
    return render(
        request,
        "linkage/queue.html",
        {
            "pairs": selectors.review_queue(user=request.user, status=status),
            "status": status,
            "statuses": [(value, label, counts.get(value, 0)) for value, label in CandidatePair.Status.choices],
        },
    )


def _pair_or_404(user, pair_id) -> CandidatePair:
    try:
        return selectors.pair_get(user=user, pair_id=pair_id)
    except NotFound as exc:
        raise Http404 from exc


@page("linkage.review")
def pair(request, pair_id, form=None):
    """Both records side by side with the reasons the model gives, the proposed survivor and the merged result."""
    found = _pair_or_404(request.user, pair_id)
    sides = selectors.pair_sides(user=request.user, pair=found)
    form = form or MergeForm(people=[s.person for s in sides["sides"]], initial={"survivor": sides["survivor"].pk})
    return render(
        request,
        "linkage/pair.html",
        {"pair": found, "form": form, "note_form": NoteForm(), **sides},
    )


@page("linkage.review")
@require_POST
def pair_merge(request, pair_id):
    found = _pair_or_404(request.user, pair_id)
    form = MergeForm(request.POST, people=[found.person_low, found.person_high])
    if not form.is_valid():
        return pair(request, pair_id, form=form)
    try:
        done = merge_services.pair_merge(
            actor=request.user, pair_id=found.pk, survivor_id=form.cleaned_data["survivor"]
        )
    except NotFound as exc:
        raise Http404 from exc
    except Conflict as exc:
        form.add_error(None, _message(exc))
        return pair(request, pair_id, form=form)
    messages.success(
        request,
        _("Merged %(merged)s into %(survivor)s. You can undo this on the merges page.")
        % {"merged": done.merged.name, "survivor": done.survivor.name},
    )
    return redirect("linkage:queue")


@page("linkage.review")
@require_POST
def pair_keep_apart(request, pair_id):
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        merge_services.pair_keep_apart(actor=request.user, pair_id=pair_id, note=note)
    except NotFound as exc:
        raise Http404 from exc
    except Conflict as exc:
        messages.error(request, _message(exc))
        return redirect("linkage:pair", pair_id)
    messages.success(request, _("Kept apart: later runs will not propose this pair again."))
    return redirect("linkage:queue")


@page("linkage.review")
def merges(request):
    """Merges whose survivor is in the officer's area, with undo."""
    return render(request, "linkage/merges.html", {"merges": selectors.merge_list(user=request.user)})


@page("linkage.review")
@require_POST
def merge_undo(request, merge_id):
    try:
        done = merge_services.merge_undo(actor=request.user, merge_id=merge_id)
    except NotFound as exc:
        raise Http404 from exc
    except Conflict as exc:
        messages.error(request, _("Cannot undo: %(reason)s") % {"reason": _message(exc)})
    else:
        messages.success(request, _("Undone: %(name)s is a separate record again.") % {"name": done.merged.name})
    return redirect("linkage:merges")


@page("linkage.review")
def tasks(request):
    """Candidate omissions and wrong records the runs found in the officer's area."""
    status = request.GET.get("status", LinkageTask.Status.OPEN)
    kind = request.GET.get("kind", "")
    if status not in LinkageTask.Status.values:
        status = LinkageTask.Status.OPEN
    if kind not in LinkageTask.Kind.values:
        kind = ""
    return render(
        request,
        "linkage/tasks.html",
        {
            "tasks": selectors.task_list(user=request.user, status=status, kind=kind),
            "status": status,
            "kind": kind,
            "statuses": LinkageTask.Status.choices,
            "kinds": LinkageTask.Kind.choices,
        },
    )


@page("linkage.review")
@require_POST
def task_close(request, task_id):
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        task_services.task_close(
            actor=request.user, task_id=task_id, dismissed=request.POST.get("dismiss") == "1", note=note
        )
    except NotFound as exc:
        raise Http404 from exc
    except Conflict as exc:
        messages.error(request, _message(exc))
    return redirect("linkage:tasks")
