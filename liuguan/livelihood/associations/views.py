"""Pages of associations under /livelihood/associations/: the list with figures per area, registering one, and
one association with its leaders, members, activities, tasks and volunteers (each with its form).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liuguan.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from liuguan.core.permissions import page

from . import selectors, services
from .forms import (
    ActivityForm,
    FilterForm,
    LeaderForm,
    MemberForm,
    RegisterForm,
    TaskDoneForm,
    TaskForm,
    VolunteerForm,
)


def _or_404(fn, **kwargs):
    try:
        return fn(**kwargs)
    except NotFound as exc:
        raise Http404 from exc


def _problems(form, exc: InvalidInput) -> None:
    for p in exc.problems:
        form.add_error(p.field if p.field in form.fields else None, str(p.message))


@page("association.view")
def associations(request):
    form = FilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    code = data.get("code", "") or ""
    figures = _or_404(selectors.figures_by_area, user=request.user, code=code)
    rows = selectors.association_list(user=request.user, kind=data.get("kind", ""), code=code)
    return render(request, "associations/list.html", {"form": form, "figures": figures, "associations": rows})


@page("association.manage")
def register(request):
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            made = services.association_register(actor=request.user, **form.cleaned_data)
        except InvalidInput as exc:
            _problems(form, exc)
        except Conflict as exc:
            form.add_error("name", exc.message)
        else:
            messages.success(request, _("Association %(name)s registered.") % {"name": made.name})
            return redirect("associations:detail", association_id=made.pk)
    return render(request, "associations/register.html", {"form": form})


FORMS = {
    "leader": (LeaderForm, services.association_leader_add),
    "member": (MemberForm, services.association_member_add),
    "activity": (ActivityForm, services.association_activity_record),
    "task": (TaskForm, services.association_task_give),
    "volunteer": (VolunteerForm, services.volunteer_hours_record),
}


@page("association.view")
def detail(request, association_id):
    association = _or_404(selectors.association_get, user=request.user, association_id=association_id)
    forms = {name: cls(prefix=name) for name, (cls, _fn) in FORMS.items()}
    if request.method == "POST":
        which = request.POST.get("form", "")
        if which not in FORMS:
            raise Http404
        cls, fn = FORMS[which]
        form = forms[which] = cls(request.POST, prefix=which)
        if form.is_valid():
            try:
                fn(actor=request.user, association_id=association.pk, **form.cleaned_data)
            except PermissionDenied:
                messages.error(request, _("You may not do this."))
            except InvalidInput as exc:
                _problems(form, exc)
            except Conflict as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Saved."))
                return redirect("associations:detail", association_id=association.pk)
    context = {"association": association, "forms": forms, "done_form": TaskDoneForm()}
    context.update(selectors.association_detail(association=association))
    return render(request, "associations/detail.html", context)


@require_POST
@page("association.manage")
def task_done(request, task_id):
    form = TaskDoneForm(request.POST)
    form.is_valid()
    try:
        task = services.association_task_complete(
            actor=request.user, task_id=task_id, report=form.cleaned_data.get("report", "")
        )
    except NotFound as exc:
        raise Http404 from exc
    except InvalidInput as exc:
        for p in exc.problems:
            messages.error(request, str(p.message))
        return redirect("associations:tasks")
    messages.success(request, _("Task done."))
    return redirect("associations:detail", association_id=task.association_id)


@page("association.view")
def tasks(request):
    rows = selectors.task_list(user=request.user, status=request.GET.get("status", ""))
    return render(request, "associations/tasks.html", {"tasks": rows, "done_form": TaskDoneForm()})
