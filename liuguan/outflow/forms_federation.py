"""The form for a peer instance; the service decides what is valid."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .services.peers import GRANTS

GRANT_LABELS = {"person.basic": _("Basic data of a person on request (name, sex, birth date, hukou)")}


class PeerForm(forms.Form):
    code = forms.CharField(label=_("Instance identity"), max_length=40, help_text=_("Such as CN-50"))
    name = forms.CharField(label=pgettext_lazy("peer", "Name"), max_length=100)
    url = forms.CharField(
        label=_("Address"), max_length=300, help_text=_("Where its Liuguan is reached, such as https://lg.cq.example")
    )
    public_key = forms.CharField(
        label=_("Public key"), max_length=128, help_text=_("Printed by manage.py federation_identity on the peer")
    )
    areas = forms.CharField(
        label=_("Areas served"),
        max_length=300,
        help_text=_("Division-code prefixes separated by commas: messages about people of these areas go there"),
    )
    grants = forms.MultipleChoiceField(
        label=_("Grants"),
        required=False,
        choices=[(g, GRANT_LABELS.get(g, g)) for g in GRANTS],
        widget=forms.CheckboxSelectMultiple,
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True
