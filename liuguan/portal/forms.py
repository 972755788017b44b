"""Forms of the migrant portal, each small enough for a phone screen."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from liuguan.registry.codes import Reason, Sex


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=11,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "tel", "data-testid": "phone"}),
    )


class CodeForm(forms.Form):
    phone = forms.CharField(max_length=11, widget=forms.HiddenInput)
    code = forms.CharField(
        label=pgettext_lazy("one-time code", "Code"),
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "data-testid": "code"}),
    )


class DeclarationForm(forms.Form):
    community = forms.ChoiceField(label=_("Community"))
    address = forms.CharField(label=_("Address where you live"), max_length=200)
    arrived_on = forms.DateField(label=_("Arrival date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.ChoiceField(label=_("Why you came"), choices=Reason.choices)
    # Only for someone not on the register yet.
    doc_number = forms.CharField(label=_("Citizen ID number"), max_length=18, required=False)
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", "—"), *Sex.choices], required=False)
    hukou_address = forms.CharField(label=_("Hukou address"), max_length=200, required=False)

    def __init__(self, *args, communities=(), identity=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].choices = [(c.code, f"{c.name}") for c in communities]
        if not identity:
            for name in ("doc_number", "name", "sex", "hukou_address"):
                del self.fields[name]


class PermitApplyForm(forms.Form):
    stay = forms.ChoiceField(label=_("Residence"))
    permit_kind = forms.ChoiceField(label=_("Permit"))
    condition = forms.ChoiceField(label=_("On the ground of"))

    def __init__(self, *args, choices=None, **kwargs):
        super().__init__(*args, **kwargs)
        stays = (choices or {}).get("stays", [])
        self.fields["stay"].choices = [(s["stay"].pk, f"{s['stay'].community.name} {s['stay'].address}") for s in stays]
        kinds, conditions = {}, {}
        for s in stays:
            kinds.update(dict(s["kinds"]))
            conditions.update(dict(s["conditions"]))
        self.fields["permit_kind"].choices = list(kinds.items())
        self.fields["condition"].choices = list(conditions.items())


class SchoolApplyForm(forms.Form):
    child = forms.ChoiceField(label=_("Child"))
    level = forms.ChoiceField(label=_("School level"))

    def __init__(self, *args, children=(), levels=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["child"].choices = [(c.pk, c.name) for c in children]
        self.fields["level"].choices = list(levels)


class LegalAidForm(forms.Form):
    kind = forms.ChoiceField(label=_("What kind of problem"))
    description = forms.CharField(label=_("What happened"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(kinds)


class GridReportForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"))
    community = forms.ChoiceField(label=_("Community"))
    description = forms.CharField(
        label=_("What is the problem"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    address = forms.CharField(label=_("Where exactly"), max_length=200, required=False)

    def __init__(self, *args, categories=(), communities=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(c.code, c.name) for c in categories]
        self.fields["community"].choices = [(c.code, c.name) for c in communities]


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason for rejection"), max_length=300)


class AcceptForm(forms.Form):
    house = forms.ChoiceField(label=_("House in the register"), required=False)

    def __init__(self, *args, houses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["house"].choices = [("", "—"), *((h.pk, h.address) for h in houses)]
