"""Pages of the hub: departments with their subsystems, keys and grants for the exchange administrators, and the
access log (a department its own, auditors and the province administrator all of it).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liuguan.core.errors import InvalidInput, NotFound
from liuguan.core.permissions import page

from . import selectors
from .forms import GrantForm, KeyForm, RevokeForm, SubsystemForm
from .services import grants as grant_services
from .services import members

LOG_PAGE = 100


def _apply_problems(form, problems):
    for p in problems:
        form.add_error(p.field if p.field in form.fields else None, str(p.message))


def _subsystem_page(request, subsystem, *, grant_form=None, key_form=None, new_key=None, status=200):
    context = {
        "subsystem": subsystem,
        "keys": selectors.subsystem_keys(subsystem=subsystem),
        "grants": selectors.subsystem_grants(subsystem=subsystem),
        "grant_form": grant_form or GrantForm(datasets=selectors.dataset_list()),
        "key_form": key_form or KeyForm(),
        "new_key": new_key,
    }
    return render(request, "exchange/subsystem.html", context, status=status)


def _subsystem_or_404(subsystem_id):
    try:
        return selectors.subsystem_get(subsystem_id)
    except NotFound:
        raise Http404 from None


@page("exchange.admin")
def index(request):
    """The departments that share through the hub, with their subsystems and grants in force."""
    return render(request, "exchange/index.html", {"departments": selectors.department_list()})


@page("exchange.admin")
def department(request, code):
    """A department's subsystems, and the form that adds one."""
    try:
        dept = selectors.department_get(code)
    except NotFound:
        raise Http404 from None
    form = SubsystemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = members.subsystem_create(actor=request.user, department_code=dept.code, **form.cleaned_data)
        except InvalidInput as exc:
            _apply_problems(form, exc.problems)
        else:
            messages.success(request, _("Subsystem added. Issue it a key and grants."))
            return redirect("exchange:subsystem", created.pk)
    context = {"department": dept, "subsystems": selectors.subsystem_list(department=dept), "form": form}
    return render(request, "exchange/department.html", context)


@page("exchange.admin")
def subsystem(request, subsystem_id):
    """A subsystem's keys and grants, with the forms that issue and revoke them."""
    return _subsystem_page(request, _subsystem_or_404(subsystem_id))


@page("exchange.admin")
@require_POST
def key_issue(request, subsystem_id):
    """A new key, shown on this page once and never again."""
    found = _subsystem_or_404(subsystem_id)
    form = KeyForm(request.POST)
    if form.is_valid():
        try:
            _token, key = members.subsystem_key_issue(
                actor=request.user, subsystem_id=found.pk, days=form.cleaned_data["days"]
            )
        except InvalidInput as exc:
            _apply_problems(form, exc.problems)
        else:
            return _subsystem_page(request, found, new_key=key)
    return _subsystem_page(request, found, key_form=form, status=422)


@page("exchange.admin")
@require_POST
def key_rotate(request, subsystem_id, token_id):
    """A new key replaces the old one, which stops working at once."""
    found = _subsystem_or_404(subsystem_id)
    try:
        _token, key = members.subsystem_key_rotate(actor=request.user, subsystem_id=found.pk, token_id=token_id)
    except NotFound:
        raise Http404 from None
    except InvalidInput as exc:
        for p in exc.problems:
            messages.error(request, str(p.message))
        return redirect("exchange:subsystem", found.pk)
    return _subsystem_page(request, found, new_key=key)


@page("exchange.admin")
@require_POST
def key_revoke(request, subsystem_id, token_id):
    found = _subsystem_or_404(subsystem_id)
    try:
        members.subsystem_key_revoke(actor=request.user, subsystem_id=found.pk, token_id=token_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("The key is revoked."))
    return redirect("exchange:subsystem", found.pk)


@page("exchange.admin")
@require_POST
def subsystem_deactivate(request, subsystem_id):
    found = _subsystem_or_404(subsystem_id)
    members.subsystem_deactivate(actor=request.user, subsystem_id=found.pk)
    messages.success(request, _("The subsystem is off: its keys are revoked and its grants give nothing."))
    return redirect("exchange:subsystem", found.pk)


@page("exchange.admin")
@require_POST
def grant_issue(request, subsystem_id):
    """A grant: dataset, fields, ways, purpose, area and term."""
    found = _subsystem_or_404(subsystem_id)
    form = GrantForm(request.POST, datasets=selectors.dataset_list())
    if form.is_valid():
        d = form.cleaned_data
        try:
            grant_services.grant_issue(
                actor=request.user,
                subsystem_id=found.pk,
                dataset=d["dataset"],
                fields=form.field_list(),
                ways=d["ways"],
                purpose=d["purpose"],
                area_code=d["area_code"].strip(),
                valid_from=d["valid_from"],
                expires_on=d["expires_on"],
            )
        except InvalidInput as exc:
            _apply_problems(form, exc.problems)
        else:
            messages.success(request, _("Grant issued."))
            return redirect("exchange:subsystem", found.pk)
    return _subsystem_page(request, found, grant_form=form, status=422)


@page("exchange.admin")
@require_POST
def grant_revoke(request, grant_id):
    form = RevokeForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        grant = grant_services.grant_revoke(actor=request.user, grant_id=grant_id, reason=reason)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("The grant is revoked."))
    return redirect("exchange:subsystem", grant.subsystem_id)


@page("exchange.log")
def access_log(request):
    """Calls through the hub, newest first: who asked, for what case and purpose, and what came of it."""
    before = request.GET.get("before")
    entries = selectors.access_log_list(
        user=request.user,
        department=request.GET.get("department") or None,
        before_id=int(before) if before and before.isdecimal() else None,
        limit=LOG_PAGE,
    )
    context = {
        "entries": entries,
        "older": entries[-1].id if len(entries) == LOG_PAGE else None,
        "can_admin": request.user.can("exchange.admin"),
    }
    return render(request, "exchange/log.html", context)
