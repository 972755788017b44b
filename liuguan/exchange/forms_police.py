"""Forms for bulletins, hits and offence notices; the services decide what is valid."""

from django import forms
from django.utils.translation import gettext_lazy as _

from liuguan.registry.codes import DocType

from .models import BulletinHit

DATE = {"widget": forms.DateInput(attrs={"type": "date"})}
MOMENT = {"widget": forms.DateTimeInput(attrs={"type": "datetime-local"})}


class BulletinForm(forms.Form):
    """A bulletin: the reason, at least one identifier, and its validity."""

    reason = forms.CharField(label=_("Grounds"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    doc_type = forms.ChoiceField(label=_("Document type"), choices=DocType.choices, initial=DocType.CITIZEN_ID)
    doc_number = forms.CharField(label=_("Document number"), max_length=40, required=False)
    name = forms.CharField(label=_("Name"), max_length=60, required=False)
    birth_date = forms.DateField(label=_("Birth date"), required=False, help_text=_("Matched with the name"), **DATE)
    phone = forms.CharField(label=_("Phone"), max_length=20, required=False)
    valid_from = forms.DateTimeField(label=_("Valid from"), **MOMENT)
    valid_until = forms.DateTimeField(label=_("Valid until"), **MOMENT)


class HitWorkForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Conclusion"),
        choices=[(s.value, s.label) for s in BulletinHit.Status if s != BulletinHit.Status.NEW],
    )
    conclusion = forms.CharField(label=_("What was found"), max_length=300)


class OffenceForm(forms.Form):
    person_id = forms.IntegerField(label=_("Person"), widget=forms.HiddenInput)
    offence = forms.CharField(label=_("Offence"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    occurred_on = forms.DateField(label=_("Date of the offence"), **DATE)
