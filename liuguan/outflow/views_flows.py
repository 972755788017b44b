"""The flow matrix page (origin by destination, per period) and its Excel export."""

from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import render

from liuguan.core.errors import InvalidInput, NotFound
from liuguan.core.permissions import page
from liuguan.oversight.selectors_scorecard_measures import period_choices

from .export_flows import flow_workbook_response
from .selectors_flows import DIRECTIONS, INFLOW, ORIGIN_LEVELS, flow_matrix, parse_period, parse_top


def _matrix(request):
    params = request.GET
    try:
        return flow_matrix(
            user=request.user,
            direction=params.get("direction") or INFLOW,
            area_code=params.get("area") or None,
            period=parse_period(params.get("period")),
            origin_level=params.get("origin_level") or "prefecture",
            top=parse_top(params.get("top")),
        )
    except NotFound as exc:
        raise Http404 from exc


@page("flow.view")
def flows(request):
    """Arrivals by hukou, or this area's people by destination; drill down into a child division."""
    try:
        matrix = _matrix(request)
    except InvalidInput as exc:
        return render(request, "outflow/flows.html", {"problems": exc.problems}, status=400)
    query = {
        "direction": matrix.direction,
        "period": matrix.period.code,
        "origin_level": matrix.origin_level,
        "top": matrix.top,
    }
    context = {
        "matrix": matrix,
        "query": urlencode(query),
        "export_query": urlencode({**query, "area": matrix.area.code}),
        "periods": period_choices(),
        "directions": list(DIRECTIONS.items()),
        "origin_levels": list(ORIGIN_LEVELS),
    }
    template = "outflow/flows_table.html" if request.headers.get("HX-Request") else "outflow/flows.html"
    return render(request, template, context)


@page("flow.view")
def flows_export(request):
    """The same matrix as the page, as an Excel workbook."""
    try:
        matrix = _matrix(request)
    except InvalidInput as exc:
        return render(request, "outflow/flows.html", {"problems": exc.problems}, status=400)
    return flow_workbook_response(matrix, user=request.user)
