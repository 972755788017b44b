"""Forms of grid management: reporting an event on a phone, taking a step on it, the reporter's survey."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import OfficeLevel, State


class ReportForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"))
    grid = forms.ChoiceField(label=_("Grid"))
    description = forms.CharField(
        label=_("What is the problem"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    house_id = forms.IntegerField(label=_("House number in the register"), required=False, min_value=1)

    def __init__(self, *args, categories=(), grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(c.code, c.name) for c in categories]
        self.fields["grid"].choices = [(g.code, f"{g.name} ({g.code})") for g in grids]


class ActionForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))
    office_level = forms.ChoiceField(label=_("Office"), required=False, choices=[("", "—"), *OfficeLevel.choices])
    department_code = forms.ChoiceField(label=_("Department"), required=False)

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department_code"].choices = [("", "—"), *((d.code, d.name) for d in departments)]


class FilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("State"), required=False, choices=[("", _("All")), ("open", _("Open")), *State.choices]
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    mine = forms.BooleanField(label=_("Mine only"), required=False)


class SurveyForm(forms.Form):
    solved = forms.TypedChoiceField(
        label=_("Is the problem solved?"),
        choices=[("yes", _("Yes, solved")), ("no", _("No, not solved"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Anything to add"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


PART_ROWS = 4


def unit_choices(departments) -> list[tuple[str, str]]:
    """An office level of the event's area (`office:<level>`) or a department (`dept:<code>`)."""
    offices = [(f"office:{value}", label) for value, label in OfficeLevel.choices]
    return [("", "—"), *offices, *((f"dept:{d.code}", d.name) for d in departments)]


class PartsMixin:
    """Up to four rows of unit, task and working days; empty rows are skipped."""

    def _add_part_fields(self, departments):
        choices = unit_choices(departments)
        for n in range(1, PART_ROWS + 1):
            self.fields[f"unit_{n}"] = forms.ChoiceField(
                label=_("Unit %(n)s") % {"n": n}, required=False, choices=choices
            )
            self.fields[f"task_{n}"] = forms.CharField(label=_("Task"), max_length=300, required=False)
            self.fields[f"days_{n}"] = forms.IntegerField(
                label=_("Working days"), required=False, min_value=1, max_value=60
            )

    def part_rows(self):
        return [(self[f"unit_{n}"], self[f"task_{n}"], self[f"days_{n}"]) for n in range(1, PART_ROWS + 1)]

    def part_specs(self):
        from .services.joint import PartSpec

        specs = []
        for n in range(1, PART_ROWS + 1):
            unit = self.cleaned_data.get(f"unit_{n}") or ""
            if not unit:
                continue
            kind, _sep, code = unit.partition(":")
            specs.append(
                PartSpec(
                    task=self.cleaned_data.get(f"task_{n}") or "",
                    days=self.cleaned_data.get(f"days_{n}") or 0,
                    office_level=code if kind == "office" else "",
                    department_code=code if kind == "dept" else "",
                )
            )
        return specs


class JointCaseForm(PartsMixin, forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._add_part_fields(departments)


class JointPlanForm(PartsMixin, forms.Form):
    name = forms.CharField(label=pgettext_lazy("joint plan", "Name"), max_length=100)
    category = forms.ChoiceField(label=_("Category"))
    grid = forms.ChoiceField(label=_("Grid"))
    description = forms.CharField(label=_("What to do"), max_length=500)
    cron = forms.CharField(
        label=_("Cron expression"), max_length=60, required=False, help_text=_("minute hour day month weekday")
    )
    every_months = forms.IntegerField(label=_("Or every N months"), required=False, min_value=1, max_value=60)
    first_run = forms.DateField(label=_("First run"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, departments=(), categories=(), grids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [(c.code, c.name) for c in categories]
        self.fields["grid"].choices = [(g.code, f"{g.name} ({g.code})") for g in grids]
        self._add_part_fields(departments)
