"""Small forms of the desk: the person panel's records and the job-seeker and training pages."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from liuguan.registry.codes import Industry

from .models import FamilyPlanningService, RemoteTreatmentFiling, Scheme, Training

DATE = forms.DateInput(attrs={"type": "date"})


class CoverForm(forms.Form):
    scheme = forms.ChoiceField(label=_("scheme"), choices=Scheme.choices)
    insured_place = forms.CharField(label=_("insured place (division code)"), max_length=12, required=False)
    valid_from = forms.DateField(label=pgettext_lazy("period", "from"), widget=DATE)
    valid_to = forms.DateField(label=pgettext_lazy("period", "to"), widget=DATE, required=False)


class FilingForm(forms.Form):
    insured_place = forms.CharField(label=_("insured place (division code)"), max_length=12)
    treatment_place = forms.CharField(label=_("treatment place (division code)"), max_length=12)
    reason = forms.ChoiceField(
        label=pgettext_lazy("remote treatment", "reason"), choices=RemoteTreatmentFiling.Reason.choices
    )
    valid_until = forms.DateField(label=_("valid until"), widget=DATE)


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("decision"), choices=[("1", _("Approve")), ("0", _("Refuse"))], coerce=lambda v: v == "1"
    )
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class ServiceForm(forms.Form):
    kind = forms.ChoiceField(label=_("service"), choices=FamilyPlanningService.Kind.choices)
    on = forms.DateField(label=_("date"), widget=DATE)
    office_id = forms.IntegerField(label=_("office"), required=False, widget=forms.Select)
    department_code = forms.CharField(label=_("or department code"), max_length=32, required=False)
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class SeekerForm(forms.Form):
    person_id = forms.IntegerField(label=_("person number"), widget=forms.HiddenInput)
    industry = forms.ChoiceField(
        label=_("wanted industry"), choices=[("", "—")] + list(Industry.choices), required=False
    )
    occupation = forms.CharField(label=_("wanted occupation"), max_length=60, required=False)


class PlacementForm(forms.Form):
    employer_id = forms.IntegerField(label=_("employer number"))
    placed_on = forms.DateField(label=_("placed on"), widget=DATE, required=False)


class TrainingForm(forms.Form):
    name = forms.CharField(label=_("course"), max_length=120)
    provider = forms.CharField(label=_("provider"), max_length=120)
    kind = forms.ChoiceField(label=_("kind"), choices=Training.Kind.choices)
    subsidised = forms.BooleanField(label=_("subsidised (a permit right)"), required=False)
    community_code = forms.CharField(label=_("community code"), max_length=12)
    starts_on = forms.DateField(label=_("starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("ends on"), widget=DATE)
    places = forms.IntegerField(label=_("places"), min_value=1, initial=30)


class EnrolForm(forms.Form):
    person_id = forms.IntegerField(label=_("person number"))


class CompleteForm(forms.Form):
    certificate_number = forms.CharField(label=pgettext_lazy("training", "certificate number"), max_length=40)
    completed_on = forms.DateField(label=_("completed on"), widget=DATE, required=False)
