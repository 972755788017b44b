"""Desk pages for work and training, and the person page's health and work panel with its small forms."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from liuguan.core.errors import Conflict, InvalidInput, NotFound
from liuguan.core.permissions import page

from . import forms, selectors, services


def _run(request, form, action, success: str):
    """Run one service from a small POST form; rule breaks become messages, scope misses 404."""
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
        return None
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
        return result
    return None


def person_panel(*, user, person):
    """The person page's health and work panel (one context entry of registry's person view)."""
    panel = selectors.person_welfare(user=user, person=person)
    if panel is None:
        return None
    return {
        "data": panel,
        "cover_form": forms.CoverForm(),
        "filing_form": forms.FilingForm(),
        "decision_form": forms.DecisionForm(),
        "service_form": _service_form(user),
        "seeker_form": forms.SeekerForm(initial={"person_id": person.pk}),
    }


def _service_form(user):
    form = forms.ServiceForm()
    form.fields["office_id"].widget.choices = [("", "—")] + [(o.pk, o.name) for o in selectors.offices_for(user=user)]
    return form


def _back(person_id):
    return redirect("registry:person_detail", person_id=person_id)


@page("welfare.record")
@require_POST
def person_record(request, person_id, record):
    """Medical cover, a remote-treatment filing or a family-planning service recorded on the person."""
    actions = {
        "cover": (forms.CoverForm, services.medical_cover_record, _("Medical cover recorded")),
        "filing": (forms.FilingForm, services.remote_treatment_file, _("Remote treatment filed")),
        "service": (forms.ServiceForm, services.family_planning_record, _("Service recorded")),
    }
    if record not in actions:
        raise Http404
    form_class, service, success = actions[record]
    form = form_class(request.POST)

    def act(data):
        data = {k: v for k, v in data.items() if v not in (None, "") or k in ("insured_place",)}
        return service(actor=request.user, person_id=person_id, **data)

    _run(request, form, act, success)
    return _back(person_id)


@page("welfare.record")
@require_POST
def filing_decide(request, filing_id):
    form = forms.DecisionForm(request.POST)
    filing = _run(
        request,
        form,
        lambda d: services.remote_treatment_decide(actor=request.user, filing_id=filing_id, **d),
        _("Decision recorded"),
    )
    person_id = request.POST.get("person_id", "")
    if filing is not None:
        return _back(filing.person_id)
    return _back(int(person_id)) if person_id.isdigit() else redirect("welfare:work")


@page("employment.record")
@require_POST
def seeker_register(request, person_id):
    form = forms.SeekerForm(request.POST)
    _run(
        request,
        form,
        lambda d: services.job_seeker_register(
            actor=request.user, person_id=person_id, industry=d["industry"], occupation=d["occupation"]
        ),
        _("Registered as a job seeker"),
    )
    return _back(person_id)


@page("employment.view")
def work(request):
    """Job seekers and courses of the area, with the figures per area."""
    return render(
        request,
        "welfare/work.html",
        {
            "seekers": selectors.job_seeker_list(user=request.user, status=request.GET.get("status", "")),
            "trainings": selectors.training_list(user=request.user),
            "figures": selectors.work_figures(user=request.user),
            "placement_form": forms.PlacementForm(),
            "training_form": forms.TrainingForm(),
        },
    )


@page("employment.record")
@require_POST
def seeker_act(request, seeker_id, action):
    if action == "place":
        form = forms.PlacementForm(request.POST)
        _run(
            request,
            form,
            lambda d: services.job_seeker_place(actor=request.user, seeker_id=seeker_id, **d),
            _("Placed with the employer"),
        )
    elif action == "withdraw":
        try:
            services.job_seeker_withdraw(actor=request.user, seeker_id=seeker_id)
        except NotFound as exc:
            raise Http404 from exc
        except Conflict as exc:
            messages.error(request, str(exc.message))
    else:
        raise Http404
    return redirect("welfare:work")


@page("training.manage")
@require_POST
def training_new(request):
    form = forms.TrainingForm(request.POST)
    training = _run(request, form, lambda d: services.training_create(actor=request.user, **d), _("Course created"))
    if training is not None:
        return redirect("welfare:training", training_id=training.pk)
    return redirect("welfare:work")


@page("employment.view")
def training_detail(request, training_id):
    try:
        training = selectors.training_get(user=request.user, training_id=training_id)
    except NotFound as exc:
        raise Http404 from exc
    return render(
        request,
        "welfare/training.html",
        {
            "training": training,
            "enrolments": selectors.enrolment_list(user=request.user, training=training),
            "enrol_form": forms.EnrolForm(),
            "complete_form": forms.CompleteForm(),
        },
    )


@page("employment.record")
@require_POST
def enrol(request, training_id):
    form = forms.EnrolForm(request.POST)
    _run(
        request,
        form,
        lambda d: services.training_enrol(actor=request.user, training_id=training_id, person_id=d["person_id"]),
        _("Enrolled"),
    )
    return redirect("welfare:training", training_id=training_id)


@page("employment.record")
@require_POST
def enrolment_act(request, enrolment_id, action):
    try:
        enrolment = selectors.enrolment_get(user=request.user, enrolment_id=enrolment_id)
    except NotFound as exc:
        raise Http404 from exc
    if action == "complete":
        form = forms.CompleteForm(request.POST)
        _run(
            request,
            form,
            lambda d: services.enrolment_complete(actor=request.user, enrolment_id=enrolment_id, **d),
            _("Completion recorded"),
        )
    elif action == "drop":
        try:
            services.enrolment_drop(actor=request.user, enrolment_id=enrolment_id)
            messages.success(request, _("Dropped"))
        except Conflict as exc:
            messages.error(request, str(exc.message))
    else:
        raise Http404
    return redirect("welfare:training", training_id=enrolment.training_id)
