"""Forms of verification sweeps: making one, giving houses to workers, and the visit at the house.

They parse what is typed; the services decide what is valid.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from liuguan.registry.codes import ETHNICITIES, Education, Marital
from liuguan.registry.models import Person, Stay
from liuguan.registry.services.corrections import PERSON_CORRECTABLE, STAY_CORRECTABLE

DATE = {"widget": forms.DateInput(attrs={"type": "date"})}
CORRECTION_ROWS = 3
PRESENT, LEFT = "present", "left"
# Coded fields accept the code or its name as people say it ("汉族", "已婚").
CODED = {"ethnicity": ETHNICITIES, "education": Education.choices, "marital_status": Marital.choices}


class SweepForm(forms.Form):
    """A sweep: its name, the area (inside the officer's jurisdiction) and the window."""

    name = forms.CharField(label=pgettext_lazy("sweep", "Name"), max_length=100)
    division_code = forms.ChoiceField(label=_("Area"))
    starts_on = forms.DateField(label=_("First day"), **DATE)
    ends_on = forms.DateField(label=_("Last day"), **DATE)

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        depth = {2: 0, 4: 1, 6: 2, 9: 3, 12: 4}
        top = depth[len(areas[0].code)] if areas else 0
        self.fields["division_code"].choices = [
            (d.code, f"{'　' * (depth[len(d.code)] - top)}{d.name} ({d.code})") for d in areas
        ]


class AssignForm(forms.Form):
    """Give the ticked houses to one field worker."""

    worker_id = forms.TypedChoiceField(label=_("Field worker"), coerce=int)
    task_ids = forms.TypedMultipleChoiceField(label=_("Houses"), coerce=int)

    def __init__(self, *args, workers=(), tasks=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["worker_id"].choices = [(w.pk, f"{w} · {w.get_role_display()} · {w.division_id}") for w in workers]
        self.fields["task_ids"].choices = [(t.pk, t.house.address) for t in tasks]


def _code_of(field: str, raw: str) -> str:
    value = (raw or "").strip()
    for code, label in CODED.get(field, ()):
        if value in (code, str(label)):
            return code
    return value


class TaskForm(forms.Form):
    """The visit: each person expected here present or left (with the day), people found, corrections, a note."""

    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, stays, **kwargs):
        super().__init__(*args, **kwargs)
        self.stays = stays
        self.accountable = stays.expected + stays.others
        for stay in self.accountable:
            self.fields[f"stay_{stay.pk}"] = forms.ChoiceField(
                label=stay.person.name,
                choices=[(PRESENT, _("Present")), (LEFT, _("Has left"))],
                widget=forms.RadioSelect(attrs={"style": "width:auto"}),
                required=False,
            )
            self.fields[f"departed_{stay.pk}"] = forms.DateField(label=_("Left on"), required=False, **DATE)
        self.fields["new"] = forms.TypedMultipleChoiceField(
            label=_("New people registered here"),
            coerce=int,
            required=False,
            choices=[(s.pk, s.person.name) for s in stays.new],
            widget=forms.CheckboxSelectMultiple,
            initial=[s.pk for s in stays.new],
        )
        targets = [("", "—")]
        people = {}
        for stay in stays.expected + stays.new + stays.others:
            people.setdefault(stay.person_id, stay.person)
        targets += [(f"registry.person:{pk}", f"{p.name} {p.doc_number_masked}") for pk, p in people.items()]
        targets += [
            (f"registry.stay:{s.pk}", _("Residence of %(name)s") % {"name": s.person.name})
            for s in stays.expected + stays.new + stays.others
        ]
        fields = [("", "—")]
        fields += [(f, Person._meta.get_field(f).verbose_name) for f in PERSON_CORRECTABLE]
        fields += [(f, Stay._meta.get_field(f).verbose_name) for f in STAY_CORRECTABLE]
        for i in range(CORRECTION_ROWS):
            self.fields[f"c{i}_target"] = forms.ChoiceField(label=_("Whose record"), choices=targets, required=False)
            self.fields[f"c{i}_field"] = forms.ChoiceField(label=_("Field"), choices=fields, required=False)
            self.fields[f"c{i}_value"] = forms.CharField(label=_("What it really is"), max_length=200, required=False)

    def rows(self):
        """The stays to account for, each with its two fields, for the template."""
        return [
            {"stay": s, "choice": self[f"stay_{s.pk}"], "departed": self[f"departed_{s.pk}"], "expected": i < n}
            for n in [len(self.stays.expected)]
            for i, s in enumerate(self.accountable)
        ]

    def correction_rows(self):
        return [(self[f"c{i}_target"], self[f"c{i}_field"], self[f"c{i}_value"]) for i in range(CORRECTION_ROWS)]

    def clean(self):
        data = super().clean()
        for i in range(CORRECTION_ROWS):
            target, field = data.get(f"c{i}_target"), data.get(f"c{i}_field")
            if not target and not field:
                continue
            if not target or not field:
                self.add_error(f"c{i}_field", _("Choose both whose record and which field"))
                continue
            object_type = target.split(":")[0]
            allowed = PERSON_CORRECTABLE if object_type == "registry.person" else STAY_CORRECTABLE
            if field not in allowed:
                self.add_error(f"c{i}_field", _("This field belongs to another record"))
        return data

    def visit(self) -> dict:
        """The arguments of sweep_task_complete."""
        d = self.cleaned_data
        present, left = [], {}
        for stay in self.accountable:
            choice = d.get(f"stay_{stay.pk}")
            if choice == PRESENT:
                present.append(stay.pk)
            elif choice == LEFT:
                left[stay.pk] = d.get(f"departed_{stay.pk}")
        corrections = []
        for i in range(CORRECTION_ROWS):
            target, field = d.get(f"c{i}_target"), d.get(f"c{i}_field")
            if target and field:
                object_type, object_id = target.split(":")
                value = _code_of(field, d.get(f"c{i}_value") or "")
                corrections.append(
                    {"object_type": object_type, "object_id": int(object_id), "field": field, "value": value}
                )
        return {
            "present": present,
            "left": left,
            "new_stays": list(d.get("new") or []),
            "corrections": corrections,
            "note": d.get("note") or "",
        }
