"""Pages of open data: the province administrator sets the smallest count shown (k) per division."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from liuguan.core.errors import InvalidInput, NotFound
from liuguan.core.permissions import page

from . import opendata

PERMISSION = "insight.opendata"


class ThresholdForm(forms.Form):
    prefix = forms.CharField(label=gettext_lazy("Division code"), max_length=12)
    k = forms.IntegerField(
        label=gettext_lazy("Smallest count shown"), min_value=opendata.K_RANGE[0], max_value=opendata.K_RANGE[1]
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


@page(PERMISSION)
def thresholds_page(request):
    form = ThresholdForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            threshold = opendata.threshold_set(actor=request.user, **form.cleaned_data)
        except InvalidInput as exc:
            for problem in exc.problems:
                form.add_error(problem.field if problem.field in form.fields else None, str(problem.message))
        else:
            messages.success(
                request,
                _("Counts below %(k)d are withheld in %(prefix)s.") % {"k": threshold.k, "prefix": threshold.prefix},
            )
            return redirect("insight_opendata:thresholds")
    context = {
        "form": form,
        "thresholds": opendata.threshold_list(),
        "default_k": opendata.default_k(),
        "tables": [(code, title) for code, (_panel, title) in opendata.TABLES.items()],
        "dataset": opendata.DATASET,
    }
    return render(request, "insight/opendata_thresholds.html", context)


@page(PERMISSION)
@require_POST
def threshold_remove(request, prefix: str):
    try:
        opendata.threshold_remove(actor=request.user, prefix=prefix)
    except NotFound:
        messages.error(request, _("There is no threshold for %(prefix)s.") % {"prefix": prefix})
    else:
        messages.success(request, _("The threshold for %(prefix)s is removed.") % {"prefix": prefix})
    return redirect("insight_opendata:thresholds")
