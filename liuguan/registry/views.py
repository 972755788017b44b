"""Registry pages: search, person page with stays, registration with live validation, departure."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liuguan.compliance.selectors_agreements import person_tier
from liuguan.core.errors import Conflict, InvalidInput, NotFound
from liuguan.core.identity import DocumentError, parse_document, rule_message
from liuguan.core.permissions import page
from liuguan.exchange.selectors import person_lookups
from liuguan.exchange.selectors_police import person_facts
from liuguan.livelihood.welfare.views import person_panel as welfare_panel
from liuguan.outflow.views_trajectory import trajectory_panel
from liuguan.oversight.views_checks import person_feedback_panel

from . import services
from .access import access_person_by_id
from .forms import ContactForm, DepartForm, RegisterForm, RevealForm, StayChangeForm, StayForm
from .models import Stay
from .selectors import field_history, person_search, stay_history


def _apply_problems(form, problems):
    for p in problems:
        form.add_error(p.field if p.field in form.fields else None, str(p.message))


@page("person.view")
def search(request):
    query = request.GET.get("q", "")
    results = person_search(user=request.user, query=query) if query else []
    template = "registry/partials/results.html" if request.headers.get("HX-Request") else "registry/search.html"
    return render(request, template, {"query": query, "results": results})


def _person_or_404(user, person_id):
    try:
        return access_person_by_id(user, person_id)
    except NotFound as exc:
        raise Http404 from exc


@page("person.view")
def detail(request, person_id):
    person = _person_or_404(request.user, person_id)
    return render(
        request,
        "registry/person.html",
        {
            "person": person,
            "history": stay_history(user=request.user, person=person),
            "reveal_form": RevealForm(),
            "depart_form": DepartForm(),
            "stay_form": StayForm(user=request.user),
            "contact_form": ContactForm(),
            "change_form": StayChangeForm(),
            "field_history": field_history(user=request.user, person=person),
            "tier": person_tier(user=request.user, person=person),
            "exchange_lookups": person_lookups(person=person),
            "department_facts": person_facts(user=request.user, person=person),
            "feedback": person_feedback_panel(user=request.user, person=person),
            "trajectory_panel": trajectory_panel(user=request.user, person=person),
            "welfare": welfare_panel(user=request.user, person=person),
        },
    )


@page("person.reveal")
@require_POST
def reveal(request, person_id):
    form = RevealForm(request.POST)
    revealed = None
    if form.is_valid():
        try:
            revealed = services.person_reveal(
                actor=request.user, person_id=person_id, purpose=form.cleaned_data["purpose"]
            )
        except NotFound as exc:
            raise Http404 from exc
        except InvalidInput as exc:
            _apply_problems(form, exc.problems)
    return render(
        request, "registry/partials/reveal.html", {"form": form, "revealed": revealed, "person_id": person_id}
    )


@page("person.register")
def register(request):
    initial = {k: request.GET[k] for k in ("community_code", "house_id", "address") if k in request.GET}
    form = RegisterForm(request.POST or None, user=request.user, initial=initial)
    candidates = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = services.PersonInput(
            doc_type=data["doc_type"],
            doc_number=data["doc_number"],
            name=data["name"],
            sex=data["sex"],
            birth_date=data["birth_date"],
            ethnicity=data["ethnicity"],
            nationality=data["nationality"],
            hukou_address=data["hukou_address"],
            phone=data["phone"],
            education=data["education"],
            marital_status=data["marital_status"],
            party_member=data["party_member"],
        )
        stay = services.StayInput(
            community_code=data["community_code"],
            arrived_on=data["arrived_on"],
            reason=data["reason"],
            address=data["address"],
            house_id=data["house_id"],
        )
        confirmed = [int(v) for v in request.POST.getlist("not_duplicate_of") if v.isdecimal()]
        try:
            done = services.person_register(actor=request.user, person=person, stay=stay, not_duplicate_of=confirmed)
        except InvalidInput as exc:
            _apply_problems(form, exc.problems)
        except services.LikelyDuplicate as exc:
            candidates = exc.candidates
        except Conflict as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
            if exc.existing_id:
                messages.info(request, _("Open the existing person to add or update their stay."))
                return render(request, "registry/register.html", {"form": form, "existing_id": exc.existing_id})
        else:
            for warning in done.warnings:
                messages.warning(request, warning)
            messages.success(request, _("Registered %(name)s.") % {"name": done.person.name})
            return redirect("registry:person_detail", person_id=done.person.pk)
    return render(request, "registry/register.html", {"form": form, "candidates": candidates})


@page("person.register")
@require_POST
def same_person(request, person_id):
    """The collector says a likely duplicate is the person at the door: record it and open them."""
    try:
        person = services.duplicate_confirm_same(actor=request.user, candidate_id=person_id)
    except NotFound as exc:
        raise Http404 from exc
    messages.info(request, _("Recorded as the same person. Add or update their stay here."))
    return redirect("registry:person_detail", person_id=person.pk)


def _post_action(request, form, action, success: str, back: str):
    """Run one service for a small POST form on the person page; errors become messages, scope misses 404."""
    if not form.is_valid():
        _form_errors_to_messages(request, form)
    else:
        try:
            result = action(form.cleaned_data)
        except NotFound as exc:
            raise Http404 from exc
        except Conflict as exc:
            messages.error(request, str(exc.message))
        except InvalidInput as exc:
            for p in exc.problems:
                messages.error(request, str(p.message))
        else:
            messages.success(request, success)
            if isinstance(result, Stay):
                back = str(result.person_id)
    if back.isdigit():
        return redirect("registry:person_detail", person_id=int(back))
    return redirect("registry:person_search")


def _form_errors_to_messages(request, form):
    for errors in form.errors.values():
        for e in errors:
            messages.error(request, e)


@page("person.register")
@require_POST
def stay_add(request, person_id):
    person = _person_or_404(request.user, person_id)
    return _post_action(
        request,
        StayForm(request.POST, user=request.user),
        lambda data: services.stay_register(actor=request.user, person=person, stay=services.StayInput(**data)),
        _("Stay registered."),
        str(person.pk),
    )


@page("person.register")
@require_POST
def contact_update(request, person_id):
    return _post_action(
        request,
        ContactForm(request.POST),
        lambda data: services.person_update_contact(actor=request.user, person_id=person_id, phone=data["phone"]),
        _("Phone updated; the old number is kept in the history."),
        str(person_id),
    )


@page("person.register")
@require_POST
def stay_change(request, stay_id):
    return _post_action(
        request,
        StayChangeForm(request.POST),
        lambda data: services.stay_update(actor=request.user, stay_id=stay_id, address=data["address"]),
        _("Stay updated; the old values are kept in the history."),
        request.POST.get("person_id", ""),
    )


@page("person.register")
def check_document(request):
    """Live validation as the collector types: reads birth date and sex out of a citizen ID."""
    doc_type = request.GET.get("doc_type", "citizen_id")
    raw = request.GET.get("doc_number", "")
    context = {"raw": raw}
    if raw.strip():
        try:
            parsed = parse_document(doc_type, raw)
            context["parsed"] = parsed
            context["warnings"] = [rule_message(w) for w in parsed.warnings]
        except DocumentError as exc:
            context["error"] = exc.message
    return render(request, "registry/partials/document_check.html", context)


@page("stay.depart")
@require_POST
def depart(request, stay_id):
    return _post_action(
        request,
        DepartForm(request.POST),
        lambda data: services.stay_depart(
            actor=request.user, stay_id=stay_id, departed_on=data["departed_on"], destination=data["destination"]
        ),
        _("Departure recorded."),
        request.POST.get("person_id", ""),
    )
