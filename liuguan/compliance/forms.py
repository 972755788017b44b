"""Forms parse what duty holders and officers type; the services decide what is valid."""

from django import forms
from django.utils.translation import gettext_lazy as _

from liuguan.accounts.roles import Role
from liuguan.registry.codes import DocType, Reason, Sex

from .codes import ForeignDocKind, ReportKind

DATE = {"widget": forms.DateInput(attrs={"type": "date"})}
ARRIVAL_LABELS = {
    Role.LANDLORD: (_("Tenant moves in"), _("Tenant moves out")),
    Role.EMPLOYER: (_("Hired"), _("Left the job")),
    Role.HOTEL: (_("Check-in"), _("Check-out")),
}


class ReportForm(forms.Form):
    """A duty holder's report: the person by document, the day, and (for landlords) which house."""

    kind = forms.ChoiceField(label=_("What happened"), choices=ReportKind.choices, initial=ReportKind.ARRIVAL)
    house_id = forms.TypedChoiceField(label=_("House"), coerce=int, required=False)
    doc_type = forms.ChoiceField(label=_("Document type"), choices=DocType.choices, initial=DocType.CITIZEN_ID)
    doc_number = forms.CharField(label=_("Document number"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=60)
    sex = forms.ChoiceField(
        label=_("Sex"), choices=[("", _("(from the ID number)"))] + list(Sex.choices), required=False
    )
    birth_date = forms.DateField(label=_("Birth date"), required=False, help_text=_("For passports"), **DATE)
    nationality = forms.CharField(label=_("Nationality (ISO code)"), max_length=3, initial="CHN")
    occurred_on = forms.DateField(label=_("Date"), **DATE)
    room = forms.CharField(label=_("Room"), max_length=40, required=False)
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "—")] + list(Reason.choices), required=False)
    destination = forms.CharField(label=_("Where to (moving out)"), max_length=200, required=False)
    foreign_kind = forms.ChoiceField(
        label=_("Foreigner's visa or residence document"),
        choices=[("", "—")] + list(ForeignDocKind.choices),
        required=False,
    )
    foreign_number = forms.CharField(label=_("Its number"), max_length=40, required=False)
    foreign_expires_on = forms.DateField(label=_("Valid until"), required=False, **DATE)

    def __init__(self, *args, user, houses=(), **kwargs):
        super().__init__(*args, **kwargs)
        arrival, departure = ARRIVAL_LABELS.get(user.role, (ReportKind.ARRIVAL.label, ReportKind.DEPARTURE.label))
        self.fields["kind"].choices = [(ReportKind.ARRIVAL, arrival), (ReportKind.DEPARTURE, departure)]
        if user.role == Role.LANDLORD:
            self.fields["house_id"].choices = [(h.pk, f"{h.address} ({h.community.name})") for h in houses]
            self.fields["house_id"].required = True
        else:
            del self.fields["house_id"]
        if user.role != Role.LANDLORD:
            del self.fields["reason"]
        if user.role == Role.EMPLOYER:
            del self.fields["room"]


class DepartureForm(forms.Form):
    """Moving out, for someone already on the account's list."""

    person_id = forms.IntegerField(widget=forms.HiddenInput)
    house_id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    occurred_on = forms.DateField(label=_("Date"), **DATE)


class FilingForm(forms.Form):
    house_id = forms.TypedChoiceField(label=_("House"), coerce=int)
    starts_on = forms.DateField(label=_("Start of the lease"), **DATE)
    ends_on = forms.DateField(label=_("End of the lease"), **DATE)
    rooms = forms.CharField(label=_("Rooms let"), max_length=100, required=False)
    monthly_rent = forms.DecimalField(label=_("Monthly rent (yuan)"), required=False, min_value=0, decimal_places=2)
    person_ids = forms.CharField(
        label=_("Tenants on the register"),
        required=False,
        help_text=_("Their numbers on the register (person pages), separated by commas"),
    )
    doc_type = forms.ChoiceField(label=_("New tenant: document type"), choices=DocType.choices, required=False)
    doc_number = forms.CharField(label=_("New tenant: document number"), max_length=40, required=False)
    name = forms.CharField(label=_("New tenant: name"), max_length=60, required=False)

    def __init__(self, *args, houses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["house_id"].choices = [(h.pk, f"{h.address} ({h.community.name})") for h in houses]

    def clean_person_ids(self):
        raw = self.cleaned_data.get("person_ids") or ""
        parts = [p.strip() for p in raw.replace("，", ",").split(",") if p.strip()]
        if any(not p.isdecimal() for p in parts):
            raise forms.ValidationError(_("Give numbers separated by commas"))
        return [int(p) for p in parts]


class FilingEndForm(forms.Form):
    ended_on = forms.DateField(label=_("Ended on"), **DATE)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class ResolveForm(forms.Form):
    accept = forms.TypedChoiceField(
        coerce=lambda v: v == "1", choices=[("1", _("Accept the report")), ("0", _("Keep the register"))]
    )
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class HolderForm(forms.Form):
    role = forms.ChoiceField(
        label=_("Kind of account"),
        choices=[
            (Role.LANDLORD.value, Role.LANDLORD.label),
            (Role.EMPLOYER.value, Role.EMPLOYER.label),
            (Role.HOTEL.value, Role.HOTEL.label),
        ],
    )
    username = forms.CharField(label=_("User name"), max_length=150)
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    full_name = forms.CharField(label=_("Full name"), max_length=60, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=11, required=False)
    person_id = forms.IntegerField(
        label=_("Landlord (person number on the register)"), required=False, help_text=_("For an individual landlord")
    )
    organisation_id = forms.IntegerField(
        label=_("Organisation (employer number)"), required=False, help_text=_("For an employer or a letting company")
    )
    lodging_id = forms.IntegerField(label=_("Hotel (lodging number)"), required=False)
