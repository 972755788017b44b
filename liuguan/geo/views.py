"""The divisions browser: the user's own tree with counts, and the province overview."""

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render

from liuguan.core.permissions import page

from .selectors import chengdu_comparison, division_children, division_get, division_path, level_counts


@page("division.view")
def division_root(request):
    code = request.user.division_id or settings.LIUGUAN_PROVINCE_CODE
    return redirect("geo:division", code=code)


@page("division.view")
def division(request, code):
    found = division_get(user=request.user, code=code)
    if found is None:
        raise Http404
    context = {
        "division": found,
        "path": division_path(found)[:-1],
        "children": division_children(user=request.user, division=found),
        "levels": level_counts(code=found.code),
    }
    if len(found.code) == 2:
        context["chengdu"] = chengdu_comparison()
    return render(request, "geo/division.html", context)
