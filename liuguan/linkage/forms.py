from django import forms
from django.utils.translation import gettext_lazy as _


class RunForm(forms.Form):
    review_threshold = forms.FloatField(
        label=_("Review threshold"),
        required=False,
        min_value=0.01,
        max_value=0.99,
        help_text=_("Pairs at or above this match probability go to the review queue (default 0.8)."),
    )


class MergeForm(forms.Form):
    survivor = forms.TypedChoiceField(label=_("Record that survives"), coerce=int, widget=forms.RadioSelect)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["survivor"].choices = [(p.pk, f"{p.name} · {p.doc_number_masked}") for p in people]


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
