"""Pages of a person's rights, settlement check and marriage-and-childbearing certificates, for officers in scope."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from liuguan.core.errors import Conflict, InvalidInput, NotFound
from liuguan.core.permissions import page
from liuguan.registry.codes import Marital

from .selectors_rights import certificate_list, rights_view, settlement_view
from .services.certificates import certificate_record


class CertificateForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Certificate number"), max_length=40)
    issuer = forms.CharField(label=gettext_lazy("Issued by"), max_length=100)
    issuer_code = forms.CharField(label=gettext_lazy("Issuing area code"), max_length=12)
    issued_on = forms.DateField(label=gettext_lazy("Issued on"), widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(label=gettext_lazy("Valid until"), widget=forms.DateInput(attrs={"type": "date"}))
    marital_status = forms.ChoiceField(
        label=gettext_lazy("Marital status"), choices=[("", "—")] + list(Marital.choices), required=False
    )
    children = forms.IntegerField(label=gettext_lazy("Children"), min_value=0, max_value=20, initial=0)


def _context(request, person_id: int, form=None) -> dict:
    try:
        view = rights_view(user=request.user, person_id=person_id)
    except NotFound:
        raise Http404 from None
    settlement = settlement_view(user=request.user, person_id=person_id, on=view.on, explained=view.explained)
    certificates = (
        certificate_list(user=request.user, person_id=person_id) if request.user.can("certificate.view") else []
    )
    return {
        "person": view.person,
        "view": view,
        "settlement": settlement,
        "certificates": certificates,
        "granted": [r for r in view.rights if r.granted],
        "withheld": [r for r in view.rights if not r.granted],
        "form": form or CertificateForm(),
    }


@page("rights.view")
def rights_page(request, person_id: int):
    return render(request, "permits/rights.html", _context(request, person_id))


@page("rights.view")
def rights_panel(request, person_id: int):
    return render(request, "permits/rights_panel.html", _context(request, person_id))


@require_POST
@page("certificate.record")
def certificate_new(request, person_id: int):
    form = CertificateForm(request.POST)
    if form.is_valid():
        try:
            certificate_record(actor=request.user, person_id=person_id, **form.cleaned_data)
        except NotFound:
            raise Http404 from None
        except InvalidInput as exc:
            for problem in exc.problems:
                form.add_error(problem.field if problem.field in form.fields else None, str(problem.message))
        except Conflict as exc:
            form.add_error(exc.field if exc.field in form.fields else None, str(exc.message))
        else:
            messages.success(request, _("Certificate recorded"))
            return redirect("permits:rights", person_id=person_id)
    return render(request, "permits/rights.html", _context(request, person_id, form), status=422)
