"""Pages of the permit workflow for station and street officers: applications, notices, decisions, permits."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liuguan.core.errors import Conflict, InvalidInput, NotFound
from liuguan.core.permissions import page

from .forms import (
    ApplicantSearchForm,
    ApplicationFilterForm,
    ApplicationForm,
    CompleteForm,
    DecisionForm,
    EndorseForm,
    ExtendForm,
    PermitFilterForm,
    ReasonForm,
)
from .models import Application, Permit
from .policy import eligibility, policy_from
from .selectors import (
    applicant_get,
    applicants,
    application_get,
    application_list,
    checklist,
    eligibility_view,
    endorsements_due,
    notice_lines,
    open_stays,
    permit_before,
    permit_get,
    permit_list,
    permits_overview,
    person_open_applications,
    person_permits,
    trail,
)
from .services import (
    application_complete,
    application_decide,
    application_extend,
    application_receive,
    permit_endorse,
    permit_handover,
    permit_issue,
    permit_print,
    permit_replace,
    permit_revoke,
    permit_upgrade,
    residence_since,
)
from .services.applications import reason_text
from .services.common import current_day
from .services.policies import Condition

# The stay's reason suggests the condition an applicant relies on; the officer confirms it.
CONDITION_FOR_REASON = {"work": "employment", "business": "employment", "study": "study"}
CONDITION_LABELS = dict(Condition.choices)


def _or_404(getter, **kwargs):
    try:
        return getter(**kwargs)
    except NotFound as exc:
        raise Http404 from exc


def _problems_to_messages(request, exc) -> None:
    if isinstance(exc, InvalidInput):
        for problem in exc.problems:
            messages.error(request, str(problem.message))
    else:
        messages.error(request, str(exc.message))


@page("permit.view")
def index(request):
    today = current_day()
    return render(
        request,
        "permits/index.html",
        {"counts": permits_overview(user=request.user, today=today), "today": today},
    )


@page("permit.view")
def application_index(request):
    filters = ApplicationFilterForm(request.GET or None)
    status = query = ""
    overdue = False
    if filters.is_valid():
        status, overdue, query = (filters.cleaned_data[k] for k in ("status", "overdue", "q"))
    return render(
        request,
        "permits/application_list.html",
        {
            "filters": filters,
            "applications": application_list(user=request.user, status=status, overdue=overdue, query=query),
        },
    )


def _checklist_rows(policy) -> list[dict]:
    """The policy's checklist for the form: each line once, each material's box once (the first line it meets)."""
    seen, rows = set(), []
    for requirement in policy.checklist:
        items = []
        for code in requirement.any_of:
            items.append({"code": code, "label": policy.material_label(code), "first": code not in seen})
            seen.add(code)
        only = [str(CONDITION_LABELS.get(c, c)) for c in requirement.conditions]
        only += [_kind_label(policy, k) for k in requirement.kinds]
        rows.append({"requirement": requirement, "items": items, "only": only})
    return rows


def _suggestion(stay, policy, today) -> dict:
    since = residence_since(stay)
    condition = CONDITION_FOR_REASON.get(stay.reason, "residence")
    found = eligibility(policy, residence_since=since, on=today, conditions={condition})
    return {
        "since": since,
        "condition": condition,
        "kind": found.kind,
        "kind_label": policy.kind(found.kind).label if found.kind else "",
        "eligible_from": found.eligible_from,
        "reasons": [reason_text(r, found.eligible_from) for r in found.reasons],
    }


@page("permit.apply")
def application_new(request):
    person_id = request.GET.get("person_id") or request.POST.get("person_id")
    if not person_id or not str(person_id).isdecimal():
        search = ApplicantSearchForm(request.GET or None)
        found = applicants(user=request.user, query=search.cleaned_data["q"]) if search.is_valid() else None
        return render(request, "permits/application_search.html", {"search": search, "found": found})
    person = _or_404(applicant_get, user=request.user, person_id=int(person_id))
    today = current_day()
    stays = [s for s in open_stays(user=request.user, person=person, today=today) if s.policy_rules]
    context = {
        "person": person,
        "stays": stays,
        "permits": person_permits(user=request.user, person=person),
        "pending": person_open_applications(user=request.user, person=person),
    }
    if not stays:
        return render(request, "permits/application_form.html", context)
    wanted = request.POST.get("stay_id") or request.GET.get("stay_id")
    stay = next((s for s in stays if str(s.pk) == str(wanted)), stays[0])
    policy = stay.policy_rules
    suggestion = _suggestion(stay, policy, today)
    initial = {
        "stay_id": stay.pk,
        "condition": suggestion["condition"],
        "permit_kind": suggestion["kind"] or policy.kinds[0].code,
    }
    form = ApplicationForm(request.POST or None, initial=initial, stays=stays, policy=policy)
    if request.method == "POST" and form.is_valid():
        try:
            application = application_receive(
                actor=request.user,
                person_id=person.pk,
                stay_id=form.cleaned_data["stay_id"],
                permit_kind=form.cleaned_data["permit_kind"],
                condition=form.cleaned_data["condition"],
                materials=form.brought(),
            )
        except InvalidInput as exc:
            for p in exc.problems:
                form.add_error(p.field if p.field in form.fields else None, str(p.message))
        except Conflict as exc:
            form.add_error(None, str(exc.message))
        else:
            if application.status == Application.Status.INCOMPLETE:
                messages.warning(
                    request,
                    _("Application %(number)s received; materials are missing: give the applicant the notice.")
                    % {"number": application.number},
                )
            else:
                messages.success(
                    request,
                    _("Application %(number)s accepted; decide by %(day)s.")
                    % {"number": application.number, "day": application.due_on.isoformat()},
                )
            return redirect("permits:application_detail", application_id=application.pk)
    checked = set(form["materials"].value() or []) if form.is_bound else set()
    context.update(
        {
            "form": form,
            "stay": stay,
            "policy": policy,
            "policy_row": stay.policy_row,
            "suggestion": suggestion,
            "checklist_rows": _checklist_rows(policy),
            "checked": checked,
        }
    )
    return render(request, "permits/application_form.html", context)


@page("permit.view")
def application_detail(request, application_id):
    application = _or_404(application_get, user=request.user, application_id=application_id)
    policy = policy_from(application.policy)
    context = {
        "application": application,
        "kind_label": _kind_label(policy, application.permit_kind),
        "checklist": checklist(application),
        "notice": notice_lines(application) if application.notice_missing else [],
        "events": trail(application=application),
        "permits": list(application.permits.all()),
        "replaces": application.replaces,
    }
    if application.status == Application.Status.INCOMPLETE:
        context["complete_form"] = CompleteForm(policy=policy)
        context["material_choices"] = list(policy.materials)
    if application.status == Application.Status.ACCEPTED:
        context["engine"] = eligibility_view(application)
        context["decision_form"] = DecisionForm(
            initial={"decision": "approve" if context["engine"]["matches"] else "refuse"}
        )
        context["extend_form"] = ExtendForm()
    return render(request, "permits/application_detail.html", context)


def _kind_label(policy, code: str) -> str:
    try:
        return policy.kind(code).label
    except KeyError:
        return code


@page("permit.view")
def application_notice(request, application_id):
    """The printable single notice (一次性告知书) of everything missing."""
    application = _or_404(application_get, user=request.user, application_id=application_id)
    if not application.notice_missing:
        raise Http404
    return render(
        request,
        "permits/application_notice.html",
        {"application": application, "lines": notice_lines(application)},
    )


def _application_action(request, application_id, action, success):
    try:
        result = action()
    except NotFound as exc:
        raise Http404 from exc
    except (InvalidInput, Conflict) as exc:
        _problems_to_messages(request, exc)
        return redirect("permits:application_detail", application_id=application_id)
    messages.success(request, success(result))
    if isinstance(result, Permit):
        return redirect("permits:permit_detail", permit_id=result.pk)
    return redirect("permits:application_detail", application_id=application_id)


@page("permit.apply")
@require_POST
def application_complete_view(request, application_id):
    materials = {code: True for code in request.POST.getlist("materials")}
    return _application_action(
        request,
        application_id,
        lambda: application_complete(actor=request.user, application_id=application_id, materials=materials),
        lambda a: (
            _("Application %(number)s is complete; decide by %(day)s.")
            % {"number": a.number, "day": a.due_on.isoformat()}
        ),
    )


@page("permit.decide")
@require_POST
def application_decide_view(request, application_id):
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve or refuse."))
        return redirect("permits:application_detail", application_id=application_id)
    data = form.cleaned_data
    return _application_action(
        request,
        application_id,
        lambda: application_decide(
            actor=request.user,
            application_id=application_id,
            approve=data["decision"] == "approve",
            reasons=data["reasons"],
            extended=data["extended"],
        ),
        lambda a: _("Application %(number)s: %(status)s.") % {"number": a.number, "status": a.get_status_display()},
    )


@page("permit.decide")
@require_POST
def application_extend_view(request, application_id):
    form = ExtendForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _application_action(
        request,
        application_id,
        lambda: application_extend(actor=request.user, application_id=application_id, reason=reason),
        lambda a: _("Deadline extended to %(day)s.") % {"day": a.due_on.isoformat()},
    )


@page("permit.issue")
@require_POST
def application_issue_view(request, application_id):
    return _application_action(
        request,
        application_id,
        lambda: permit_issue(actor=request.user, application_id=application_id),
        lambda p: _("Permit %(number)s issued; print it and hand it over.") % {"number": p.number},
    )


@page("permit.view")
def permit_index(request):
    filters = PermitFilterForm(request.GET or None)
    status = stage = query = ""
    if filters.is_valid():
        status, stage, query = (filters.cleaned_data[k] for k in ("status", "stage", "q"))
    return render(
        request,
        "permits/permit_list.html",
        {"filters": filters, "permits": permit_list(user=request.user, status=status, stage=stage, query=query)},
    )


@page("permit.view")
def permit_endorsements(request):
    today = current_day()
    return render(
        request,
        "permits/permit_endorsements.html",
        {"permits": endorsements_due(user=request.user, today=today), "today": today},
    )


@page("permit.view")
def permit_detail(request, permit_id):
    permit = _or_404(permit_get, user=request.user, permit_id=permit_id)
    live = permit.status in (Permit.Status.ISSUED, Permit.Status.VALID, Permit.Status.SUSPENDED)
    upgrade_to = permit.policy_rules.upgrade_of(permit.kind)
    return render(
        request,
        "permits/permit_detail.html",
        {
            "permit": permit,
            "state": permit.state,
            "live": live,
            "events": trail(application=permit.application, permit=permit),
            "endorsements": list(permit.endorsements.select_related("by")),
            "before": permit_before(permit),
            "upgrade_to": upgrade_to if permit.status == Permit.Status.VALID else None,
            "endorse_form": EndorseForm(),
            "reason_form": ReasonForm(),
        },
    )


def _permit_action(request, permit_id, action, success, then=None):
    try:
        result = action()
    except NotFound as exc:
        raise Http404 from exc
    except (InvalidInput, Conflict) as exc:
        _problems_to_messages(request, exc)
        return redirect("permits:permit_detail", permit_id=permit_id)
    messages.success(request, success(result))
    if then is not None:
        return then(result)
    return redirect("permits:permit_detail", permit_id=getattr(result, "permit_id", None) or result.pk)


@page("permit.issue")
@require_POST
def permit_print_view(request, permit_id):
    """Record the print and open the card (the PDF)."""

    def to_card(permit):
        return redirect("permits:permit_pdf", permit_id=permit.pk)

    return _permit_action(
        request,
        permit_id,
        lambda: permit_print(actor=request.user, permit_id=permit_id),
        lambda p: _("Printing of permit %(number)s recorded.") % {"number": p.number},
        then=to_card,
    )


@page("permit.issue")
@require_POST
def permit_handover_view(request, permit_id):
    return _permit_action(
        request,
        permit_id,
        lambda: permit_handover(actor=request.user, permit_id=permit_id),
        lambda p: _("Permit %(number)s handed over.") % {"number": p.number},
    )


@page("permit.endorse")
@require_POST
def permit_endorse_view(request, permit_id):
    form = EndorseForm(request.POST)
    on = form.cleaned_data["on"] if form.is_valid() else None
    return _permit_action(
        request,
        permit_id,
        lambda: permit_endorse(actor=request.user, permit_id=permit_id, on=on),
        lambda e: _("Late endorsement recorded; the permit is restored.") if e.late else _("Endorsement recorded."),
    )


@page("permit.apply")
@require_POST
def permit_upgrade_view(request, permit_id):
    try:
        application = permit_upgrade(actor=request.user, permit_id=permit_id)
    except NotFound as exc:
        raise Http404 from exc
    except (InvalidInput, Conflict) as exc:
        _problems_to_messages(request, exc)
        return redirect("permits:permit_detail", permit_id=permit_id)
    messages.success(request, _("Upgrade application %(number)s received.") % {"number": application.number})
    return redirect("permits:application_detail", application_id=application.pk)


@page("permit.revoke")
@require_POST
def permit_revoke_view(request, permit_id):
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _permit_action(
        request,
        permit_id,
        lambda: permit_revoke(actor=request.user, permit_id=permit_id, reason=reason),
        lambda p: _("Permit %(number)s revoked.") % {"number": p.number},
    )


@page("permit.issue")
@require_POST
def permit_replace_view(request, permit_id):
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _permit_action(
        request,
        permit_id,
        lambda: permit_replace(actor=request.user, permit_id=permit_id, reason=reason),
        lambda p: _("Replacement permit %(number)s issued; the old card no longer verifies.") % {"number": p.number},
    )
