"""Pages of legal aid under /livelihood/legalaid/: the queue per unit (overdue first), a request with its steps
and the steps this user may take, opening a request at the desk or in the field, and the network with its
figures per area.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from liuguan.core.errors import InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import mask_name, mask_phone
from liuguan.core.permissions import page

from . import selectors
from .forms import ActForm, QueueFilterForm, RequestOpenForm, UnitFilterForm, UnitForm
from .services import legal_aid_request_act, legal_aid_request_open, legal_aid_unit_create

ACTION_LABELS = {
    "refer": gettext_lazy("Refer"),
    "accept": gettext_lazy("Accept"),
    "decline": gettext_lazy("Decline (pass upward)"),
    "handle": gettext_lazy("Handled"),
    "close": gettext_lazy("Close"),
    "close_unplaced": gettext_lazy("Close without a unit"),
}


def _label(action: str) -> str:
    return str(ACTION_LABELS[action]) if action in ACTION_LABELS else action


def _or_404(fn, **kwargs):
    try:
        return fn(**kwargs)
    except NotFound as exc:
        raise Http404 from exc


def _form_problems(form, exc: InvalidInput) -> None:
    for p in exc.problems:
        form.add_error(p.field if p.field in form.fields else None, str(p.message))


@page("legalaid.view")
def queue(request):
    """Requests in scope, overdue first; filter by unit and status."""
    form = QueueFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.request_queue(
        user=request.user, unit_id=data.get("unit"), status=data.get("status", ""), mine=bool(data.get("mine"))
    )
    for row in rows:
        row.masked_name = mask_name(row.person.name)
    return render(request, "legalaid/queue.html", {"form": form, "requests": rows})


@page("legalaid.open")
def request_new(request):
    """Open a request for a person (a grid worker: a person living in their grid)."""
    form = RequestOpenForm(request.POST or None, initial={"person_id": request.GET.get("person")})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            made = legal_aid_request_open(
                actor=request.user,
                person_id=d["person_id"],
                kind=d["kind"],
                description=d["description"],
                phone=d["phone"],
                community_code=d["community_code"],
                channel=d["channel"],
            )
        except NotFound:
            form.add_error("person_id", _("No such person in your area"))
        except InvalidInput as exc:
            _form_problems(form, exc)
        else:
            messages.success(request, _("Legal aid request #%(id)s opened.") % {"id": made.pk})
            if request.user.can("legalaid.view"):
                return redirect("legalaid:request", request_id=made.pk)
            return redirect("legalaid:new")
    return render(request, "legalaid/new.html", {"form": form})


def _detail_context(request, obj, form=None):
    return {
        "req": obj,
        "masked_name": mask_name(obj.person.name),
        "masked_phone": mask_phone(obj.phone),
        "steps": selectors.request_steps(request=obj),
        "allowed": [(a, _label(a)) for a in selectors.allowed_actions(user=request.user, request=obj)],
        "form": form or ActForm(),
    }


@page("legalaid.view")
def request_detail(request, request_id):
    obj = _or_404(selectors.request_get, user=request.user, request_id=request_id)
    return render(request, "legalaid/request.html", _detail_context(request, obj))


@require_POST
@page("legalaid.handle")
def request_act(request, request_id, action):
    """Take one step; a refused step shows why and changes nothing."""
    form = ActForm(request.POST)
    form.is_valid()
    try:
        legal_aid_request_act(
            actor=request.user, request_id=request_id, action=action, note=form.cleaned_data.get("note", "")
        )
    except NotFound as exc:
        raise Http404 from exc
    except PermissionDenied:
        messages.error(request, _("You may not take this step."))
    except InvalidInput as exc:
        for p in exc.problems:
            messages.error(request, str(p.message))
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": _label(action)})
    return redirect("legalaid:request", request_id=request_id)


@page("legalaid.view")
def units(request):
    """The network in scope (centres, workstations, liaisons) and its figures per area."""
    form = UnitFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    code = data.get("code", "") or ""
    figures = _or_404(selectors.units_by_area, user=request.user, code=code)
    rows = selectors.unit_list(user=request.user, kind=data.get("kind", ""), code=code, limit=200)
    return render(request, "legalaid/units.html", {"form": form, "figures": figures, "units": rows})


@page("legalaid.manage")
def unit_new(request):
    form = UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            unit = legal_aid_unit_create(actor=request.user, **form.cleaned_data)
        except NotFound:
            form.add_error("division_code", _("That division is outside your area"))
        except InvalidInput as exc:
            _form_problems(form, exc)
        else:
            messages.success(request, _("Unit %(name)s added.") % {"name": unit.name})
            return redirect("legalaid:units")
    return render(request, "legalaid/unit_new.html", {"form": form})
