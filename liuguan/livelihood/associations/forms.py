from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import AssociationKind, TaskKind


class FilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", "—"), *AssociationKind.choices])
    code = forms.CharField(label=_("Division code"), required=False, max_length=12)


class RegisterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AssociationKind.choices)
    name = forms.CharField(label=pgettext_lazy("organisation", "Name"), max_length=120)
    division_code = forms.CharField(label=_("Division code"), max_length=12)
    origin_code = forms.CharField(label=_("Origin area code"), required=False, max_length=12)
    registered_on = forms.DateField(label=_("Registered on"), required=False)
    address = forms.CharField(label=_("Address"), required=False, max_length=200)


class LeaderForm(forms.Form):
    person_id = forms.IntegerField(label=_("Person (ID in the registry)"), required=False, min_value=1)
    name = forms.CharField(label=_("Name"), required=False, max_length=50)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=30)
    title = forms.CharField(label=pgettext_lazy("position", "Title"), required=False, max_length=50)


class MemberForm(forms.Form):
    person_id = forms.IntegerField(label=_("Person (ID in the registry)"), min_value=1)


class ActivityForm(forms.Form):
    date = forms.DateField(label=_("Date"))
    title = forms.CharField(label=_("Title"), max_length=200)
    participants = forms.IntegerField(label=_("Participants"), min_value=0, initial=0)


class TaskForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=TaskKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=pgettext_lazy("task", "Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    due_on = forms.DateField(label=_("Due"), required=False)


class TaskDoneForm(forms.Form):
    report = forms.CharField(label=pgettext_lazy("task", "Report"), widget=forms.Textarea(attrs={"rows": 2}))


class VolunteerForm(forms.Form):
    person_id = forms.IntegerField(label=_("Person (ID in the registry)"), required=False, min_value=1)
    name = forms.CharField(label=_("Name"), required=False, max_length=50)
    date = forms.DateField(label=_("Date"))
    hours = forms.DecimalField(label=_("Hours"), max_digits=5, decimal_places=1)
    what = forms.CharField(label=_("What"), required=False, max_length=200)
