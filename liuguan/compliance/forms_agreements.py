"""Forms of the agreement, breach and coverage pages; rules live in the services, forms only parse."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .codes import AgreementKind, AgreementState, BreachKind

DATE = forms.DateInput(attrs={"type": "date"})


class AgreementSignForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AgreementKind.choices)
    party_id = forms.IntegerField(
        label=_("House, hotel or employer number"),
        min_value=1,
        help_text=_("The number shown on the house, hotel or employer page"),
    )
    signatory = forms.CharField(label=_("Signatory"), max_length=60)
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE)
    starts_on = forms.DateField(
        label=_("In force from"), required=False, widget=DATE, help_text=_("The signing day if empty")
    )

    def party(self) -> dict:
        """The service's party argument named after the kind: house_id, lodging_id or employer_id."""
        field = {"landlord": "house_id", "hotel": "lodging_id", "employer": "employer_id"}[self.cleaned_data["kind"]]
        return {field: self.cleaned_data["party_id"]}


class AgreementRenewForm(forms.Form):
    signatory = forms.CharField(label=_("Signatory"), max_length=60)
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE)


class AgreementTerminateForm(forms.Form):
    terminated_on = forms.DateField(label=_("Terminated on"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class AgreementFilterForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=[("", _("All"))] + AgreementState.choices, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All"))] + AgreementKind.choices, required=False)


class BreachRecordForm(forms.Form):
    place = forms.ChoiceField(
        label=_("Where"),
        choices=[("house_id", _("Rental house")), ("lodging_id", _("Hotel")), ("employer_id", _("Employer"))],
    )
    place_id = forms.IntegerField(label=_("House, hotel or employer number"), min_value=1)
    person_id = forms.IntegerField(label=_("Person number (optional)"), min_value=1, required=False)
    occurred_on = forms.DateField(label=_("Date"), widget=DATE)
    note = forms.CharField(label=_("What happened"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))

    def arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "kind": BreachKind.INCIDENT,
            data["place"]: data["place_id"],
            "person_id": data["person_id"],
            "occurred_on": data["occurred_on"],
            "note": data["note"],
        }


class BreachFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All"))] + BreachKind.choices, required=False)
    community_code = forms.CharField(label=_("Division code"), max_length=12, required=False)


class CoverageForm(forms.Form):
    min_staff = forms.IntegerField(label=_("Employers with at least this many staff"), min_value=1, initial=10)
