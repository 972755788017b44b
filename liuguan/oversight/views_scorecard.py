"""Pages: the municipal-management landing page and the scorecard (考评) with its Excel export."""

from urllib.parse import urlencode

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from liuguan.core.errors import FieldProblem, InvalidInput, NotFound
from liuguan.core.permissions import page

from .export import scorecard_workbook_response
from .selectors_scorecard import LEVEL_LABELS, RANKS, Period, period_choices, scorecard
from .selectors_scorecard_table import scorecard_table

# The parts of municipal management: (url name, title, what it is, permissions any of which opens it).
PARTS = [
    (
        "oversight:scorecard",
        _("Scorecards"),
        _("Timeliness, staleness, errors and feedback per area, collection point and collector, as a league table."),
        ("quality.view",),
    ),
    (
        "oversight:spotchecks",
        _("Spot checks"),
        _("A random sample of each collector's records, verified in the field by someone else."),
        ("spotcheck.manage", "spotcheck.verify"),
    ),
    (
        "oversight:feedback",
        _("Feedback tasks"),
        _("Wrong fields sent back to whoever set them, with a deadline and escalation."),
        ("feedback.open", "feedback.work"),
    ),
    (
        "oversight:omissions",
        _("Omissions"),
        _("People others reported whom no collector registered, and the estimated unregistered population."),
        ("omission.view",),
    ),
    (
        "oversight:sweeps",
        _("Verification sweeps"),
        _("Every house with open stays and every let house in an area, visited in a window."),
        ("sweep.manage", "sweep.work"),
    ),
]


@page("division.view")
def index(request):
    """The parts of municipal management the user's role opens."""
    user = request.user
    parts = [
        {"url": reverse(name), "title": title, "summary": summary, "key": name.split(":")[1]}
        for name, title, summary, perms in PARTS
        if any(user.can(p) for p in perms)
    ]
    return render(request, "oversight/index.html", {"parts": parts})


def _card(request):
    """The scorecard the query string asks for; outside the jurisdiction is missing (404)."""
    params = request.GET
    stale = params.get("stale") or None
    if stale is not None:
        try:
            stale = int(stale)
        except ValueError:
            raise InvalidInput([FieldProblem("stale", "scorecard.stale", _("Give a whole number of months"))]) from None
    try:
        return scorecard(
            user=request.user,
            level=params.get("level") or None,
            parent=params.get("parent") or None,
            period=Period.parse(params.get("period")),
            rank=params.get("rank") or None,
            stale_months=stale,
        )
    except NotFound as exc:
        raise Http404 from exc


@page("quality.view")
def scorecard_page(request):
    """The league table: drill down by area, rank by any measure, compare with the period before."""
    try:
        card = _card(request)
    except InvalidInput as exc:
        return render(request, "oversight/scorecard.html", {"problems": exc.problems}, status=400)
    query = {
        "level": card.level,
        "parent": card.area.code,
        "period": card.period.code,
        "rank": card.rank,
        "stale": card.stale_months,
    }
    context = {
        "card": card,
        "table": scorecard_table(card),
        "periods": period_choices(),
        "ranks": [(key, label) for key, (label, _better) in RANKS.items()],
        "level_choices": [(lv, LEVEL_LABELS[lv]) for lv in card.levels],
        "query": urlencode(query),
        # From a collector's row to their feedback tasks, for those who may open that list.
        "feedback_url": reverse("oversight:feedback_list") if request.user.can("feedback.open") else "",
    }
    template = "oversight/scorecard_table.html" if request.headers.get("HX-Request") else "oversight/scorecard.html"
    return render(request, template, context)


@page("quality.view")
def scorecard_export(request):
    """The same table as the page, as an Excel workbook headed by area, level, period and time of export."""
    try:
        card = _card(request)
    except InvalidInput as exc:
        return render(request, "oversight/scorecard.html", {"problems": exc.problems}, status=400)
    return scorecard_workbook_response(card, scorecard_table(card), user=request.user)
