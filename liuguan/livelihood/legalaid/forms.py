from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import Channel, RequestKind, Status, UnitKind


class RequestOpenForm(forms.Form):
    person_id = forms.IntegerField(label=_("Person (ID in the registry)"), min_value=1)
    kind = forms.ChoiceField(label=_("Kind"), choices=RequestKind.choices)
    description = forms.CharField(label=_("What happened"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=30)
    community_code = forms.CharField(label=_("Community code"), required=False, max_length=12)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.STATION)


class ActForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class QueueFilterForm(forms.Form):
    mine = forms.BooleanField(label=_("Only the units of my own office"), required=False)
    unit = forms.IntegerField(label=_("Unit"), required=False, min_value=1)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", "—"), *Status.choices])


class UnitFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", "—"), *UnitKind.choices])
    code = forms.CharField(label=_("Division code"), required=False, max_length=12)


class UnitForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices)
    name = forms.CharField(label=pgettext_lazy("organisation", "Name"), max_length=120)
    division_code = forms.CharField(label=_("Division code"), max_length=12)
    address = forms.CharField(label=_("Address"), required=False, max_length=200)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=30)
    hours = forms.CharField(label=_("Opening hours"), required=False, max_length=100)
