"""Forms parse what people type; the services decide what is valid, so forms and API agree."""

from django import forms
from django.utils.translation import gettext_lazy as _

from liuguan.core.scoping import scoped
from liuguan.geo.models import Division, Level

from .codes import ETHNICITIES, DocType, Education, HouseKind, Industry, Marital, Reason, Sex


class RegisterForm(forms.Form):
    doc_type = forms.ChoiceField(label=_("Document type"), choices=DocType.choices, initial=DocType.CITIZEN_ID)
    doc_number = forms.CharField(label=_("Document number"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=60)
    sex = forms.ChoiceField(
        label=_("Sex"), choices=[("", _("(from the ID number)"))] + list(Sex.choices), required=False
    )
    birth_date = forms.DateField(
        label=_("Birth date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Filled from a citizen ID number"),
    )
    ethnicity = forms.ChoiceField(label=_("Ethnicity"), choices=ETHNICITIES, initial="01")
    nationality = forms.CharField(label=_("Nationality (ISO code)"), max_length=3, initial="CHN")
    hukou_address = forms.CharField(label=_("Hukou address"), max_length=200, required=False)
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)
    education = forms.ChoiceField(
        label=_("Education level"), choices=[("", "—")] + list(Education.choices), required=False
    )
    marital_status = forms.ChoiceField(
        label=_("Marital status"), choices=[("", "—")] + list(Marital.choices), required=False
    )
    party_member = forms.BooleanField(label=_("Party member"), required=False)
    community_code = forms.ChoiceField(label=_("Community of residence"))
    address = forms.CharField(label=_("Residence address"), max_length=200, required=False)
    arrived_on = forms.DateField(label=_("Arrival date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.ChoiceField(label=_("Reason"), choices=Reason.choices)
    house_id = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community_code"].choices = community_choices(user)


def community_choices(user) -> list[tuple[str, str]]:
    communities = scoped(Division.objects.filter(level=Level.COMMUNITY), user).order_by("code")[:3000]
    return [(c.code, f"{c.name} ({c.code})") for c in communities]


class StayForm(forms.Form):
    community_code = forms.ChoiceField(label=_("Community of residence"))
    address = forms.CharField(label=_("Residence address"), max_length=200, required=False)
    arrived_on = forms.DateField(label=_("Arrival date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.ChoiceField(label=_("Reason"), choices=Reason.choices)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community_code"].choices = community_choices(user)


class ContactForm(forms.Form):
    phone = forms.CharField(label=_("Mobile phone"), max_length=20, required=False)


class StayChangeForm(forms.Form):
    address = forms.CharField(label=_("Residence address"), max_length=200, required=False)


class HouseForm(forms.Form):
    community_code = forms.ChoiceField(label=_("Community"))
    address = forms.CharField(label=_("Address"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind of house"), choices=HouseKind.choices)
    owner_name = forms.CharField(label=_("Landlord or owner"), max_length=100, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community_code"].choices = community_choices(user)


class EmployerForm(forms.Form):
    community_code = forms.ChoiceField(label=_("Community"))
    name = forms.CharField(label=_("Employer name"), max_length=150)
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=30)
    industry = forms.ChoiceField(label=_("Industry"), choices=Industry.choices)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community_code"].choices = community_choices(user)


class LodgingForm(forms.Form):
    community_code = forms.ChoiceField(label=_("Community"))
    name = forms.CharField(label=_("Lodging name"), max_length=150)
    credit_code = forms.CharField(label=_("Unified social credit code"), max_length=30, required=False)
    address = forms.CharField(label=_("Address"), max_length=200)
    rooms = forms.IntegerField(label=_("Rooms"), min_value=0, max_value=100000, initial=0)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community_code"].choices = community_choices(user)


class DepartForm(forms.Form):
    departed_on = forms.DateField(label=_("Departure date"), widget=forms.DateInput(attrs={"type": "date"}))
    destination = forms.CharField(label=_("Destination (if known)"), max_length=200, required=False)


class RevealForm(forms.Form):
    purpose = forms.CharField(
        label=_("Purpose"), max_length=200, help_text=_("Why you need the full number; recorded in the audit log")
    )
