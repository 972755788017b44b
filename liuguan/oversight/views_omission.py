"""Pages: the omission estimate per area with drill-down (beside the demo's truth, when there is one), and the
candidate omissions to follow up, with a CSV export of the same masked list.
"""

import csv

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from liuguan.core.errors import InvalidInput, NotFound
from liuguan.core.permissions import page

from . import selectors_omission as selectors
from . import truth_omission as truth
from .areas import area_in_scope, area_trail, division_names
from .selectors_sweeps import sweep_found_by_area

LEVEL_LABELS = {
    "city": gettext_lazy("City"),
    "county": gettext_lazy("County"),
    "street": gettext_lazy("Street"),
    "community": gettext_lazy("Community"),
}
NOTE_TEXT = {
    "list_empty": gettext_lazy("One list is empty here: nothing can be estimated."),
    "no_overlap": gettext_lazy("Nobody is on both lists: the estimate has no upper limit worth the name."),
    "few_matches": gettext_lazy("Fewer than 7 people are on both lists: the estimate is biased and unstable."),
    "lists_small": gettext_lazy("The lists are too small for the usual approximations."),
    "list_inside_other": gettext_lazy("Everyone on one list is on the other: the upper limit is the exact one."),
    "strata_differ": gettext_lazy(
        "Both lists cover tenants and employees differently: the pooled figure is biased, the stratified one is used."
    ),
    "stratum_thin": gettext_lazy("A part of the domain has too few matches to be estimated on its own."),
    "design_effect_unmeasured": gettext_lazy(
        "Too few people to measure how much households are caught together: the interval may be too narrow."
    ),
}
STRATUM_LABELS = {
    selectors.TENANTS: gettext_lazy("Tenants of rental houses"),
    selectors.EMPLOYEES: gettext_lazy("Employees not in a rental house"),
}
PAGE_SIZE = 100


def _notes(figure) -> list[str]:
    return [str(NOTE_TEXT.get(code, code)) for code in figure.notes]


def _count(value) -> str:
    if value is None:
        return "—"
    return "∞" if value == float("inf") else f"{value:,.0f}"


def _share(value) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _interval(estimate, show) -> dict:
    """An estimate as the page prints it: the value, and the interval from low to high."""
    if estimate is None or estimate.value is None:
        return {"value": "—", "interval": ""}
    return {"value": show(estimate.value), "interval": f"{show(estimate.low)} – {show(estimate.high)}"}


def _shown(figure, known=None) -> dict:
    """A figure's estimates, and the demo's truth beside them when there is one, ready to print."""
    shown = {
        "n_hat": _interval(figure.n_hat, _count),
        "missed": _interval(figure.missed, _count),
        "rate": _interval(figure.rate, _share),
        "missed_both": _interval(figure.missed_both, _count),
        "pooled": _interval(figure.pooled, _count),
        "stratified": _interval(figure.stratified, _count),
        "strata": [
            {
                "name": STRATUM_LABELS[name],
                "counts": figure.strata[name],
                "n_hat": _interval(figure.strata_estimates.get(name), _count),
                "rate": _interval(figure.strata_rates.get(name), _share),
            }
            for name in selectors.STRATA
            if name in figure.strata_estimates
        ],
    }
    if known is not None:
        shown["truth"] = {
            "residents": _count(known.residents),
            "missed": _count(known.missed),
            "rate": _share(known.rate),
            "missed_both": _count(known.missed_both),
            "n_inside": figure.n_hat.contains(known.residents),
            "missed_inside": figure.missed.contains(known.missed),
            "rate_inside": known.rate is not None and figure.rate.contains(known.rate),
        }
    return shown


def _levels_below(code: str) -> list[str]:
    return [level for level in selectors.AREA_LEVELS if selectors.LEVEL_LENGTH[level] > len(code)]


@page("omission.view")
def omissions(request):
    """The estimate for an area and each of its units at a level below, with intervals and notes."""
    user = request.user
    try:
        parent = selectors.area_in_scope(user, request.GET.get("parent"))
    except NotFound as exc:
        raise Http404 from exc
    levels = _levels_below(parent)
    level = request.GET.get("level") or (levels[0] if levels else "")
    if levels and level not in levels:
        raise Http404
    try:
        total, units = selectors.omission_overview(user=user, level=level or "community", parent=parent)
    except (NotFound, InvalidInput) as exc:
        raise Http404 from exc
    if not levels:
        units = {}
    names = division_names(list(units) + [parent])
    known = truth.truth_available()
    truths, whole = {}, None
    if known:
        length = selectors.LEVEL_LENGTH[level] if levels else len(parent)
        truths = truth.truth_by_prefix(area=parent, length=length)
        whole = truth.total(truths.values(), parent)
        if not levels:
            truths = {}
    # People found at the door and stays ended by sweeps: omissions already closed, beside the estimate.
    found = sweep_found_by_area(user=user, level=level, parent=parent) if levels else {}
    rows = [
        {
            "code": code,
            "name": getattr(names.get(code), "name", code),
            "found": found.get(code),
            "figure": figure,
            "shown": _shown(figure, truths.get(code)),
            "notes": _notes(figure),
            "truth": truths.get(code),
            "drill": len(code) < 12,
        }
        for code, figure in units.items()
    ]
    inside = sum(1 for r in rows if r["truth"] and r["figure"].n_hat.contains(r["truth"].residents))
    judged = sum(1 for r in rows if r["truth"] and r["figure"].n_hat.value is not None)
    return render(
        request,
        "oversight/omissions.html",
        {
            "area": names.get(parent),
            "parent": parent,
            "trail": area_trail(user, parent),
            "level": level,
            "level_choices": [(lv, LEVEL_LABELS[lv]) for lv in levels],
            "total": total,
            "total_shown": _shown(total, whole),
            "total_notes": _notes(total),
            "total_truth": whole,
            "rows": rows,
            "truth_known": known,
            "inside": inside,
            "judged": judged,
        },
    )


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page") or 1))
    except ValueError:
        return 1


@page("omission.view")
def omission_candidates(request):
    """People a landlord or employer reported whom no registration channel holds, and people a department
    places here without any stay: the lists to visit. Personal data masked.
    """
    user = request.user
    number = _page_number(request)
    try:
        division = area_in_scope(user, request.GET.get("area"))
        area = division.code
        rows, total = selectors.omission_candidates(
            user=user, area=area, limit=PAGE_SIZE, offset=(number - 1) * PAGE_SIZE
        )
        departments, department_total = selectors.department_candidates(user=user, area=area, limit=PAGE_SIZE)
    except NotFound as exc:
        raise Http404 from exc
    return render(
        request,
        "oversight/omission_candidates.html",
        {
            "area": division,
            "area_code": area,
            "trail": area_trail(user, area),
            "rows": rows,
            "total": total,
            "page": number,
            "has_next": number * PAGE_SIZE < total,
            "departments": departments,
            "department_total": department_total,
        },
    )


@page("omission.view")
def omission_candidates_csv(request):
    """The candidate omissions of an area as CSV, masked as on the page (up to 50,000 rows)."""
    user = request.user
    try:
        area = selectors.area_in_scope(user, request.GET.get("area"))
        rows, _total = selectors.omission_candidates(user=user, area=area, limit=50_000)
    except NotFound as exc:
        raise Http404 from exc
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="omission-candidates-{area}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a byte-order mark
    writer = csv.writer(response)
    writer.writerow(
        [_("Name"), _("Document number"), _("Phone"), _("Community"), _("Address"), _("Employer"), _("Reported by"),
         _("Reporting party"), _("Reported on")]
    )  # fmt: skip
    for c in rows:
        report = c.report
        writer.writerow(
            [
                c.person.name,
                c.person.doc_number_masked,
                c.person.phone_masked,
                c.stay.community.name,
                c.stay.house.address if c.stay.house_id else c.stay.address,
                c.stay.employer.name if c.stay.employer_id else "",
                report.get_channel_display() if report else "",
                c.party,
                timezone.localtime(report.reported_at).date().isoformat() if report else "",
            ]
        )
    return response
