"""Pages: the duty holder's own page (houses, staff or guests, and the report form) and the officers' pages for
tenancy filings, houses to follow up, disagreements and recent reports.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from liuguan.core.errors import Conflict, InvalidInput, NotFound
from liuguan.core.identity import china_today
from liuguan.core.permissions import page
from liuguan.registry.services import PersonInput

from . import selectors, services
from .codes import ReportOutcome
from .forms import DepartureForm, FilingEndForm, FilingForm, HolderForm, ReportForm, ResolveForm

OUTCOME_MESSAGES = {
    ReportOutcome.CREATED: gettext_lazy("Reported: a new stay is on the register."),
    ReportOutcome.CORROBORATED: gettext_lazy("Reported: it agrees with the register."),
    ReportOutcome.DISAGREED: gettext_lazy("Reported. The register says otherwise; the police station will check."),
    ReportOutcome.DEPARTED: gettext_lazy("Reported: the stay has ended."),
}


def _apply_problems(form, problems):
    for p in problems:
        name = p.field.replace("foreign.", "foreign_")
        form.add_error(name if name in form.fields else None, str(p.message))


def _duties_context(user, form, departure_form=None):
    return {
        "form": form,
        "departure_form": departure_form or DepartureForm(),
        "houses": list(selectors.own_houses(user).order_by("address")),
        "employer": selectors.own_employer(user),
        "lodging": selectors.own_lodging(user),
        "stays": selectors.own_stay_list(user, limit=300),
        "reports": selectors.own_reports(user, limit=50),
        "filings": selectors.own_filings(user),
        "today": china_today(),
    }


@page("duty.home")
def duties(request):
    """A landlord's, employer's or hotel's own page: its places, people and reports, and the report form."""
    user = request.user
    houses = list(selectors.own_houses(user).order_by("address"))
    form = ReportForm(request.POST or None, user=user, houses=houses, initial={"occurred_on": china_today()})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        foreign = None
        if d.get("foreign_kind") or d.get("foreign_number") or d.get("foreign_expires_on"):
            foreign = services.ForeignDocInput(
                kind=d.get("foreign_kind") or "",
                number=d.get("foreign_number") or "",
                expires_on=d.get("foreign_expires_on"),
            )
        report = services.ReportInput(
            kind=d["kind"],
            occurred_on=d["occurred_on"],
            person=PersonInput(
                doc_type=d["doc_type"],
                doc_number=d["doc_number"],
                name=d["name"],
                sex=d.get("sex") or "",
                birth_date=d.get("birth_date"),
                nationality=d.get("nationality") or "CHN",
            ),
            house_id=d.get("house_id"),
            room=d.get("room") or "",
            reason=d.get("reason") or "",
            destination=d.get("destination") or "",
            foreign=foreign,
        )
        try:
            done = services.duty_report(actor=user, report=report)
        except InvalidInput as exc:
            _apply_problems(form, exc.problems)
        except Conflict as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, OUTCOME_MESSAGES[done.outcome])
            for warning in done.warnings:
                messages.warning(request, warning)
            return redirect("compliance:duties")
    return render(request, "compliance/duties.html", _duties_context(user, form))


@page("duty.report")
@require_POST
def duties_departure(request):
    """Moving out, checked out or left, for one of the account's own people (by their number on the list)."""
    form = DepartureForm(request.POST)
    if form.is_valid():
        try:
            done = services.duty_report(
                actor=request.user,
                report=services.ReportInput(
                    kind="departure",
                    occurred_on=form.cleaned_data["occurred_on"],
                    person_id=form.cleaned_data["person_id"],
                    house_id=form.cleaned_data.get("house_id"),
                ),
            )
        except InvalidInput as exc:
            for p in exc.problems:
                messages.error(request, str(p.message))
        else:
            messages.success(request, OUTCOME_MESSAGES[done.outcome])
    else:
        messages.error(request, _("Give the date of leaving"))
    return redirect("compliance:duties")


@page("tenancy.view")
def index(request):
    """The officers' entry to duties: counts that need attention, and the pages."""
    return render(
        request,
        "compliance/index.html",
        {
            "follow_up": selectors.houses_for_follow_up(user=request.user, limit=1),
            "open_disagreements": len(selectors.disagreement_list(user=request.user, limit=1000)),
            "late_reports": len(selectors.report_list(user=request.user, late_only=True, limit=1000)),
        },
    )


@page("tenancy.view")
def filing_list(request):
    status = request.GET.get("status", "")
    query = request.GET.get("q", "")
    filings = selectors.filing_list(user=request.user, status=status, query=query)
    return render(request, "compliance/filings.html", {"filings": filings, "status": status, "query": query})


@page("tenancy.file")
def filing_new(request):
    user = request.user
    houses = selectors.house_choices_for_filing(user=user)
    initial = {"house_id": request.GET.get("house")} if request.GET.get("house") else None
    form = FilingForm(request.POST or None, houses=houses, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        tenants = [services.TenantInput(person_id=pk) for pk in d["person_ids"]]
        if d.get("doc_number") or d.get("name"):
            tenants.append(
                services.TenantInput(
                    person=PersonInput(
                        doc_type=d.get("doc_type") or "citizen_id", doc_number=d["doc_number"], name=d["name"]
                    )
                )
            )
        try:
            filing = services.tenancy_file(
                actor=user,
                house_id=d["house_id"],
                tenants=tenants,
                starts_on=d["starts_on"],
                ends_on=d["ends_on"],
                rooms=d.get("rooms") or "",
                monthly_rent=d.get("monthly_rent"),
            )
        except InvalidInput as exc:
            for p in exc.problems:
                field = p.field.split(".")[-1] if p.field.startswith("tenants.") else p.field
                field = "person_ids" if field in ("person_id", "tenants") else field
                form.add_error(field if field in form.fields else None, str(p.message))
        except Conflict as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("Tenancy filed as %(number)s") % {"number": filing.number})
            if user.is_duty_holder:
                return redirect("compliance:duties")
            return redirect("compliance:filing_detail", filing.pk)
    return render(request, "compliance/filing_form.html", {"form": form})


def _filing_or_404(user, filing_id):
    try:
        return selectors.filing_get(user=user, filing_id=filing_id)
    except NotFound as exc:
        raise Http404 from exc


@page("tenancy.view")
def filing_detail(request, filing_id):
    filing = _filing_or_404(request.user, filing_id)
    return render(
        request,
        "compliance/filing.html",
        {"filing": filing, "tenants": selectors.filing_tenants(filing), "end_form": FilingEndForm()},
    )


@page("tenancy.file")
@require_POST
def filing_end(request, filing_id):
    form = FilingEndForm(request.POST)
    if form.is_valid():
        try:
            done = services.tenancy_end(
                actor=request.user,
                filing_id=filing_id,
                ended_on=form.cleaned_data["ended_on"],
                reason=form.cleaned_data.get("reason") or "",
            )
        except NotFound as exc:
            raise Http404 from exc
        except InvalidInput as exc:
            for p in exc.problems:
                messages.error(request, str(p.message))
        else:
            messages.success(
                request,
                _("Tenancy ended; %(closed)d stays closed, %(kept)d left open")
                % {"closed": len(done.closed), "kept": len(done.kept)},
            )
    else:
        messages.error(request, _("Give the end date"))
    if request.user.is_duty_holder:
        return redirect("compliance:duties")
    return redirect("compliance:filing_detail", filing_id)


@page("tenancy.view")
def follow_up(request):
    return render(request, "compliance/follow_up.html", selectors.houses_for_follow_up(user=request.user))


@page("disagreement.resolve")
def disagreements(request):
    items = selectors.disagreement_list(user=request.user, status=request.GET.get("status", "open"))
    return render(request, "compliance/disagreements.html", {"items": items, "form": ResolveForm()})


@page("disagreement.resolve")
@require_POST
def disagreement_resolve(request, disagreement_id):
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            services.disagreement_resolve(
                actor=request.user,
                disagreement_id=disagreement_id,
                accept=form.cleaned_data["accept"],
                note=form.cleaned_data.get("note") or "",
            )
        except NotFound as exc:
            raise Http404 from exc
        except InvalidInput as exc:
            for p in exc.problems:
                messages.error(request, str(p.message))
        else:
            messages.success(request, _("Decision recorded"))
    return redirect("compliance:disagreements")


@page("tenancy.view")
def reports(request):
    late_only = request.GET.get("late") == "1"
    items = selectors.report_list(user=request.user, late_only=late_only, channel=request.GET.get("channel", ""))
    return render(request, "compliance/reports.html", {"items": items, "late_only": late_only})


@page("holder.manage")
def holder_new(request):
    """A station or street officer opens a landlord, employer or hotel account."""
    form = HolderForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            holder = services.duty_holder_create(
                actor=request.user,
                username=d["username"],
                password=d["password"],
                role=d["role"],
                person_id=d.get("person_id"),
                organisation_id=d.get("organisation_id"),
                lodging_id=d.get("lodging_id"),
                full_name=d.get("full_name") or "",
                phone=d.get("phone") or "",
            )
        except InvalidInput as exc:
            _apply_problems(form, exc.problems)
        except Conflict as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("Account %(name)s opened") % {"name": holder.username})
            return redirect("compliance:index")
    return render(request, "compliance/holder_form.html", {"form": form})
