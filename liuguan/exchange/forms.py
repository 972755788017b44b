"""Forms for the hub's administrators: subsystems, keys and grants. The services decide what is valid."""

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from liuguan.core.identity import china_today

from .models import Way

DATE = {"widget": forms.DateInput(attrs={"type": "date"})}


class SubsystemForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40, help_text=_("Lower-case letters, digits, - and _"))
    name = forms.CharField(label=_("Name"), max_length=100)
    rate_per_minute = forms.IntegerField(label=_("Calls per minute"), min_value=1, initial=600)


class KeyForm(forms.Form):
    days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, initial=365)


class GrantForm(forms.Form):
    dataset = forms.ChoiceField(label=_("Dataset"))
    fields = forms.CharField(
        label=_("Fields"), max_length=1000, help_text=_("Field names of the dataset, separated by commas")
    )
    ways = forms.MultipleChoiceField(label=_("Ways"), choices=Way.choices, widget=forms.CheckboxSelectMultiple)
    purpose = forms.CharField(label=_("Purpose"), max_length=200)
    area_code = forms.CharField(label=_("Area (division code)"), max_length=12)
    valid_from = forms.DateField(label=_("Valid from"), **DATE)
    expires_on = forms.DateField(label=_("Expires on"), **DATE)

    def __init__(self, *args, datasets=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dataset"].choices = [(d.code, f"{d.code} — {d.name}") for d in datasets]
        today = china_today()
        self.initial.setdefault("valid_from", today)
        self.initial.setdefault("expires_on", today + dt.timedelta(days=365))

    def field_list(self) -> list[str]:
        return [name.strip() for name in self.cleaned_data["fields"].replace("，", ",").split(",") if name.strip()]


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
