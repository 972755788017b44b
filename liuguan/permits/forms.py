"""Forms of the application and permit pages; the rules live in the services and the policy, forms only parse."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Application, Permit
from .services.policies import Condition

DATE = forms.DateInput(attrs={"type": "date"})


class ApplicantSearchForm(forms.Form):
    q = forms.CharField(label=_("Name, pinyin or document number"), max_length=40)


class ApplicationForm(forms.Form):
    """Receive an application for one of the person's open stays; the checklist comes from the stay's policy."""

    stay_id = forms.TypedChoiceField(label=_("Residence"), coerce=int)
    condition = forms.ChoiceField(label=_("Condition relied on"), choices=Condition.choices)
    permit_kind = forms.ChoiceField(label=_("Permit applied for"))
    materials = forms.MultipleChoiceField(
        label=_("Materials brought"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, stays, policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stay_id"].choices = [
            (s.pk, f"{s.community.name} {s.address} ({s.arrived_on:%Y-%m-%d})") for s in stays
        ]
        self.fields["permit_kind"].choices = [(k.code, k.label) for k in policy.kinds]
        self.fields["condition"].choices = [(c, label) for c, label in Condition.choices if c in policy.conditions]
        self.fields["materials"].choices = list(policy.materials)

    def brought(self) -> dict:
        return {code: True for code in self.cleaned_data["materials"]}


class CompleteForm(forms.Form):
    materials = forms.MultipleChoiceField(label=_("Materials brought now"), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["materials"].choices = list(policy.materials)


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
    )
    reasons = forms.CharField(
        label=_("Reasons"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for a refusal"),
    )
    extended = forms.BooleanField(
        label=_("Decided under the extended deadline"),
        required=False,
        help_text=_("Where local rules extend the limit to 30 working days"),
    )


class ExtendForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the extension"), max_length=200)


class EndorseForm(forms.Form):
    on = forms.DateField(label=_("Endorsed on"), required=False, widget=DATE, help_text=_("Today if empty"))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Grounds, as recorded on the trail"), max_length=200)


class ApplicationFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All"))] + Application.Status.choices, required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    q = forms.CharField(label=_("Number or name"), max_length=40, required=False)


class PermitFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("All"))] + Permit.Status.choices, required=False)
    stage = forms.ChoiceField(
        label=_("Stage"),
        choices=[("", _("All")), ("unprinted", _("Not printed")), ("not_handed_over", _("Printed, not handed over"))],
        required=False,
    )
    q = forms.CharField(label=_("Number or name"), max_length=40, required=False)
