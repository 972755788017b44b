"""Forms of spot checks and feedback tasks: they parse what people type; the services decide what is valid."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from liuguan.registry.codes import ETHNICITIES, Education, Marital

from .selectors_checks import field_label
from .services.feedback import FIELD_OBJECT
from .services.spotchecks import CONFIRMED, CORRECTED, DEFAULT_FIELDS

DATE = {"widget": forms.DateInput(attrs={"type": "date"})}
VALUE_CHOICES = {
    "ethnicity": list(ETHNICITIES),
    "education": list(Education.choices),
    "marital_status": list(Marital.choices),
}


def value_field(name: str, *, label, required: bool = False, initial=None) -> forms.Field:
    """An input for one correctable field: a list for coded fields, a text box otherwise."""
    if name in VALUE_CHOICES:
        return forms.ChoiceField(
            label=label, choices=[("", "—")] + VALUE_CHOICES[name], required=required, initial=initial
        )
    attrs = {"inputmode": "tel", "autocomplete": "off"} if name == "phone" else {}
    return forms.CharField(
        label=label, max_length=200, required=required, initial=initial, widget=forms.TextInput(attrs=attrs)
    )


class RoundForm(forms.Form):
    division_code = forms.ChoiceField(label=_("Area"))
    period_start = forms.DateField(label=_("Registered from"), **DATE)
    period_end = forms.DateField(label=_("Registered until"), **DATE)
    sample_size = forms.IntegerField(label=_("Records per collector"), min_value=1, max_value=100)
    fields = forms.MultipleChoiceField(
        label=_("Fields to check"), widget=forms.CheckboxSelectMultiple, choices=(), required=False
    )
    seed = forms.IntegerField(
        label=_("Seed of the random draw"),
        required=False,
        min_value=0,
        help_text=_("Leave empty for a new random draw; give an earlier round's seed to repeat its draw."),
    )
    due_on = forms.DateField(label=_("Due"), required=False, help_text=_("Empty: the usual working days"), **DATE)

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division_code"].choices = areas
        self.fields["fields"].choices = [(f, field_label(f)) for f in DEFAULT_FIELDS]
        self.fields["fields"].initial = list(DEFAULT_FIELDS)
        self.fields["sample_size"].initial = settings.LIUGUAN_QUALITY["spot_check_sample"]


class CheckForm(forms.Form):
    """One verifier's form: each checked field confirmed or corrected; the phone typed as the person gives it."""

    unreachable = forms.BooleanField(label=_("The person could not be found"), required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, check_fields: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.check_fields = check_fields
        for name in check_fields:
            label = field_label(name)
            if name == "phone":
                self.fields["f_phone"] = value_field(name, label=_("Number the person gives"))
                continue
            self.fields[f"v_{name}"] = forms.ChoiceField(
                label=label,
                choices=[(CONFIRMED, _("Confirm")), (CORRECTED, _("Correct"))],
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields[f"f_{name}"] = value_field(name, label=_("Value found"))

    def verdicts(self) -> dict:
        d = self.cleaned_data
        out = {}
        for name in self.check_fields:
            if name == "phone":
                out[name] = {"verdict": "stated", "found": d.get("f_phone", "")}
            elif d.get(f"v_{name}"):
                out[name] = {
                    "verdict": d[f"v_{name}"],
                    "found": d.get(f"f_{name}") if d[f"v_{name}"] == CORRECTED else None,
                }
        return out

    def rows(self, shown: list[dict]) -> list[dict]:
        """The checked fields in order, each with its recorded value and its inputs."""
        out = []
        for row in shown:
            name = row["field"]
            out.append(
                {
                    **row,
                    "verdict_field": self[f"v_{name}"] if f"v_{name}" in self.fields else None,
                    "found_field": self[f"f_{name}"],
                }
            )
        return out

    def add_problem(self, field: str, message: str) -> None:
        for candidate in (f"v_{field}", f"f_{field}", field):
            if candidate in self.fields:
                self.add_error(candidate, message)
                return
        self.add_error(None, message)


class FeedbackOpenForm(forms.Form):
    """Report a wrong field: the record, the field, what was found (if known) and why."""

    object_type = forms.ChoiceField(choices=[("registry.person", "person"), ("registry.stay", "stay")])
    object_id = forms.IntegerField(min_value=1)
    field = forms.ChoiceField(choices=[(f, f) for f in FIELD_OBJECT])
    person_id = forms.IntegerField(required=False)
    found_value = forms.CharField(label=_("Value found"), max_length=200, required=False)
    note = forms.CharField(label=_("What is wrong"), max_length=300)

    def __init__(self, *args, field_name: str | None = None, **kwargs):
        kwargs.setdefault("auto_id", f"id_wrong_{field_name}_%s" if field_name else "id_wrong_%s")
        super().__init__(*args, **kwargs)
        name = field_name or (self.data.get("field") if self.is_bound else None)
        if name in FIELD_OBJECT:
            self.fields["found_value"] = value_field(name, label=_("Value found"))


def wrong_field_forms() -> dict[str, FeedbackOpenForm]:
    """One small "this field is wrong" form per correctable field, for the person page."""
    return {name: FeedbackOpenForm(field_name=name) for name in FIELD_OBJECT}


class FixForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, field_name: str, initial_value=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value"] = value_field(field_name, label=_("Right value"), required=False, initial=initial_value)
        self.order_fields(["value", "note"])


class DisputeForm(forms.Form):
    note = forms.CharField(label=_("Why the record is right"), max_length=300)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("upheld", _("The record was right")), ("overruled", _("Correct the record"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Reason for the decision"), max_length=300)

    def __init__(self, *args, field_name: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["value"] = value_field(
            field_name, label=_("Right value (when correcting; empty: the value found)"), required=False
        )
        self.order_fields(["decision", "value", "note"])


class TaskFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    collector = forms.TypedChoiceField(label=_("Set by"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, statuses, collectors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All"))] + list(statuses)
        self.fields["collector"].choices = [("", _("Everyone"))] + [(u.pk, str(u)) for u in collectors]
