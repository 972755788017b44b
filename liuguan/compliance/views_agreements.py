"""Pages of responsibility agreements, breaches, coverage, classification rules and foreigners' documents."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liuguan.core.errors import Conflict, InvalidInput, NotFound
from liuguan.core.identity import china_today
from liuguan.core.permissions import page

from .forms_agreements import (
    AgreementFilterForm,
    AgreementRenewForm,
    AgreementSignForm,
    AgreementTerminateForm,
    BreachFilterForm,
    BreachRecordForm,
    CoverageForm,
)
from .selectors_agreements import (
    agreement_get,
    agreement_list,
    agreements_expired,
    breach_list,
    classification_overview,
    coverage,
    foreigners_flagged,
    reminders_open,
)
from .services.agreements import agreement_renew, agreement_sign, agreement_terminate
from .services.breaches import breach_record


def _apply_problems(form, problems):
    for p in problems:
        form.add_error(p.field if p.field in form.fields else None, str(p.message))


def _party_problems(form, problems):
    """The service names the party field (house_id, ...); the form has one party_id field for all three."""
    for p in problems:
        field = "party_id" if p.field in ("house_id", "lodging_id", "employer_id") else p.field
        form.add_error(field if field in form.fields else None, str(p.message))


@page("agreement.view")
def agreement_index(request):
    today = china_today()
    filters = AgreementFilterForm(request.GET or None)
    state = kind = ""
    if filters.is_valid():
        state, kind = filters.cleaned_data["state"], filters.cleaned_data["kind"]
    return render(
        request,
        "compliance/agreement_list.html",
        {
            "filters": filters,
            "agreements": agreement_list(user=request.user, today=today, state=state, kind=kind),
            "reminders": reminders_open(user=request.user, today=today),
            "expired": agreements_expired(user=request.user, today=today, limit=50),
            "today": today,
        },
    )


@page("agreement.sign")
def agreement_new(request):
    initial = {k: request.GET[k] for k in ("kind", "party_id") if k in request.GET}
    initial.setdefault("signed_on", china_today())
    form = AgreementSignForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agreement = agreement_sign(
                actor=request.user,
                kind=data["kind"],
                signatory=data["signatory"],
                signed_on=data["signed_on"],
                starts_on=data["starts_on"],
                **form.party(),
            )
        except InvalidInput as exc:
            _party_problems(form, exc.problems)
        except Conflict as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Agreement %(number)s signed.") % {"number": agreement.number})
            return redirect("agreements:agreement_detail", agreement_id=agreement.pk)
    return render(request, "compliance/agreement_form.html", {"form": form})


def _agreement_or_404(user, agreement_id):
    try:
        return agreement_get(user=user, agreement_id=agreement_id)
    except NotFound as exc:
        raise Http404 from exc


@page("agreement.view")
def agreement_detail(request, agreement_id):
    agreement = _agreement_or_404(request.user, agreement_id)
    return render(
        request,
        "compliance/agreement_detail.html",
        {
            "agreement": agreement,
            "breaches": breach_list(user=request.user, agreement_id=agreement.pk),
            "renewals": list(agreement.renewals.all()),
            "renew_form": AgreementRenewForm(initial={"signatory": agreement.signatory, "signed_on": china_today()}),
            "terminate_form": AgreementTerminateForm(initial={"terminated_on": china_today()}),
        },
    )


def _agreement_action(request, agreement_id, form, action, success):
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return redirect("agreements:agreement_detail", agreement_id=agreement_id)
    try:
        result = action(form.cleaned_data)
    except NotFound as exc:
        raise Http404 from exc
    except InvalidInput as exc:
        for p in exc.problems:
            messages.error(request, str(p.message))
    except Conflict as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, success % {"number": result.number})
        return redirect("agreements:agreement_detail", agreement_id=result.pk)
    return redirect("agreements:agreement_detail", agreement_id=agreement_id)


@page("agreement.sign")
@require_POST
def agreement_renew_view(request, agreement_id):
    return _agreement_action(
        request,
        agreement_id,
        AgreementRenewForm(request.POST),
        lambda data: agreement_renew(actor=request.user, agreement_id=agreement_id, **data),
        _("Renewed as agreement %(number)s."),
    )


@page("agreement.sign")
@require_POST
def agreement_terminate_view(request, agreement_id):
    return _agreement_action(
        request,
        agreement_id,
        AgreementTerminateForm(request.POST),
        lambda data: agreement_terminate(actor=request.user, agreement_id=agreement_id, **data),
        _("Agreement %(number)s terminated."),
    )


@page("breach.view")
def breach_index(request):
    filters = BreachFilterForm(request.GET or None)
    kind = community_code = ""
    if filters.is_valid():
        kind, community_code = filters.cleaned_data["kind"], filters.cleaned_data["community_code"]
    return render(
        request,
        "compliance/breach_list.html",
        {"filters": filters, "breaches": breach_list(user=request.user, kind=kind, community_code=community_code)},
    )


@page("breach.record")
def breach_new(request):
    initial = {k: request.GET[k] for k in ("place", "place_id", "person_id") if k in request.GET}
    initial.setdefault("occurred_on", china_today())
    form = BreachRecordForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            breach = breach_record(actor=request.user, **form.arguments())
        except InvalidInput as exc:
            for p in exc.problems:
                field = "place_id" if p.field in ("house_id", "lodging_id", "employer_id") else p.field
                form.add_error(field if field in form.fields else None, str(p.message))
        else:
            messages.success(request, _("Incident recorded."))
            if breach.agreement_id:
                return redirect("agreements:agreement_detail", agreement_id=breach.agreement_id)
            return redirect("agreements:breach_list")
    return render(request, "compliance/breach_form.html", {"form": form})


@page("agreement.view")
def coverage_page(request):
    form = CoverageForm(request.GET or None)
    min_staff = form.cleaned_data["min_staff"] if form.is_valid() else 10
    if not form.is_bound:
        form = CoverageForm(initial={"min_staff": min_staff})
    return render(
        request,
        "compliance/coverage.html",
        {"form": form, "coverage": coverage(user=request.user, min_staff=min_staff)},
    )


@page("classification.manage")
def classification_page(request):
    return render(request, "compliance/classification.html", classification_overview(user=request.user))


@page("foreigner.view")
def foreigner_list(request):
    today = china_today()
    return render(
        request, "compliance/foreigner_list.html", {"rows": foreigners_flagged(user=request.user, today=today)}
    )
