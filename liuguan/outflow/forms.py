"""Forms of the outflow pages: they parse and show errors; the rules live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from liuguan.registry.codes import DocType, Reason, Sex

from .models import OutflowRecord, OutflowTask, Reporter
from .services.records import CloseReason

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class RecordFilterForm(forms.Form):
    area = forms.CharField(label=_("Area"), required=False, max_length=12)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("open", pgettext_lazy("outflow record", "Open")), ("all", _("All")), *OutflowRecord.Status.choices],
    )
    unknown_months = forms.IntegerField(
        label=_("Whereabouts unknown for at least (months)"), required=False, min_value=1, max_value=120
    )
    destination = forms.CharField(label=_("Destination province (two digits, or abroad)"), required=False, max_length=6)
    q = forms.CharField(label=_("Name or document number"), required=False, max_length=40)


class RecordNewForm(forms.Form):
    """Who left (by document number; the person fields only when they are not on the register), from where, to
    where, since when and why, who said so.
    """

    doc_type = forms.ChoiceField(label=_("Document type"), choices=DocType.choices, initial=DocType.CITIZEN_ID)
    doc_number = forms.CharField(label=_("Document number"), max_length=32)
    name = forms.CharField(label=_("Name (if not on the register)"), required=False, max_length=60)
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=[("", "—"), *Sex.choices])
    birth_date = forms.DateField(label=_("Birth date"), required=False, widget=DATE)
    hukou_code = forms.CharField(label=_("Hukou area code"), required=False, max_length=6)
    origin_code = forms.ChoiceField(label=_("Origin (village, township or county of the hukou)"))
    destination_code = forms.CharField(
        label=_("Destination division code"),
        required=False,
        max_length=12,
        help_text=_("A province (44), prefecture (4403) or county (440305) code, or a community of this province"),
    )
    destination_place = forms.CharField(label=_("Destination place"), required=False, max_length=200)
    destination_country = forms.CharField(label=_("Country (ISO 3166, CHN for China)"), initial="CHN", max_length=3)
    left_on = forms.DateField(label=_("Left on"), widget=DATE)
    reason = forms.ChoiceField(label=pgettext_lazy("outflow", "Reason"), choices=Reason.choices)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=20)
    contact_name = forms.CharField(label=_("Contact at home"), required=False, max_length=60)
    contact_phone = forms.CharField(label=_("Contact's phone"), required=False, max_length=20)
    reported_by = forms.ChoiceField(
        label=_("Reported by"),
        choices=[
            (k, v) for k, v in Reporter.choices if k not in (Reporter.DESTINATION_COUNTY, Reporter.DESTINATION_INSTANCE)
        ],
    )
    reporter_note = forms.CharField(label=_("Reporter's note"), required=False, max_length=200)

    def __init__(self, *args, origins=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["origin_code"].choices = list(origins)


class RecordUpdateForm(forms.Form):
    destination_code = forms.CharField(label=_("Destination division code"), required=False, max_length=12)
    destination_place = forms.CharField(label=_("Destination place"), required=False, max_length=200)
    destination_country = forms.CharField(label=_("Country"), max_length=3)
    reason = forms.ChoiceField(label=pgettext_lazy("outflow", "Reason"), choices=Reason.choices)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=20)
    contact_name = forms.CharField(label=_("Contact at home"), required=False, max_length=60)
    contact_phone = forms.CharField(label=_("Contact's phone"), required=False, max_length=20)
    heard_on = forms.DateField(label=_("Whereabouts heard of on"), required=False, widget=DATE)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class ReturnForm(forms.Form):
    returned_on = forms.DateField(label=_("Came back on"), widget=DATE)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why"), choices=CloseReason.CHOICES)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class TransferForm(forms.Form):
    new_origin_code = forms.CharField(label=_("New origin division code"), max_length=12)
    note = forms.CharField(label=_("Why the record moves"), max_length=300)


class TaskDoneForm(forms.Form):
    note = forms.CharField(label=_("What was done"), max_length=300)


class QueryForm(forms.Form):
    peer_code = forms.CharField(widget=forms.HiddenInput, max_length=40)
    purpose = forms.CharField(label=_("Purpose of the query"), max_length=200)


class TaskFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *OutflowTask.Status.choices])
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All")), *OutflowTask.Kind.choices])
