"""The monthly report as a PDF: Chinese text and charts, printable without any font installed (reportlab).

Text is set in WenQuanYi Micro Hei, the font the printed permit embeds (liuguan/permits/fonts/), as a subset;
the charts are drawn by matplotlib (Agg, no display) with the same font file, so chart labels are Chinese too.
Every panel gets a chart by its kind (bars, stacked where its series share a stack, lines on a second axis, a
two-sided pyramid, a pie; a "table" panel or an unknown kind gets only its table) and its numbers as a table,
so the figures can be read and copied from the text as well as seen.
"""

import io
from functools import lru_cache

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from liuguan.permits.document import FONT, FONT_FILE

from .forecast import method_label, note_text
from .reports_tables import Table as PlainTable
from .reports_tables import label, monthly, panel_tables, text

WIDTH = A4[0] - 30 * mm
CHART_W, CHART_H = 180, 78  # millimetres
PALETTE = ["#2f6fab", "#e07b39", "#5aa469", "#c8553d", "#8e6bb8", "#d4a72c", "#3fa7b5", "#7f7f7f", "#b5487a"]
MAX_ROWS = 25  # rows of a category table printed; the workbook has them all
MONTH_ROWS = 13  # rows of a monthly table printed: the last year and the month before it
MAX_BARS = 20


@lru_cache(maxsize=1)
def _register() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))
    return FONT


@lru_cache(maxsize=1)
def _chart_font() -> str:
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(FONT_FILE))
    return font_manager.FontProperties(fname=str(FONT_FILE)).get_name()


def _styles() -> dict:
    font = _register()
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=18, leading=24, spaceAfter=4),
        "h1": ParagraphStyle("h1", fontName=font, fontSize=14, leading=19, spaceBefore=8, spaceAfter=4),
        "h2": ParagraphStyle("h2", fontName=font, fontSize=11, leading=15, spaceBefore=4, spaceAfter=2),
        "body": ParagraphStyle("body", fontName=font, fontSize=9, leading=13, wordWrap="CJK", alignment=TA_LEFT),
        "muted": ParagraphStyle(
            "muted", fontName=font, fontSize=8, leading=11, wordWrap="CJK", textColor=colors.HexColor("#5c6b7a")
        ),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=7.5, leading=9.5, wordWrap="CJK"),
    }


def _escape(value) -> str:
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- Charts --------------------------------------------------------------------------------------------------
def _figure(height: float = CHART_H):
    from matplotlib.figure import Figure

    family = _chart_font()
    fig = Figure(figsize=(CHART_W / 25.4, height / 25.4), dpi=150)
    fig.set_layout_engine("constrained")
    return fig, {"family": family, "size": 7}


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150)
    return buffer.getvalue()


def _style_axes(ax, font: dict) -> None:
    for tick in [*ax.get_xticklabels(), *ax.get_yticklabels()]:
        tick.set_fontfamily(font["family"])
        tick.set_fontsize(font["size"])
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="both", color="#e5e9ee", linewidth=0.5)
    ax.set_axisbelow(True)


def _numbers(data) -> list[float]:
    return [float(v) if isinstance(v, (int, float)) and v is not None else 0.0 for v in data]


def _legend(ax, font, handles=None, labels=None) -> None:
    if handles is None:
        handles, labels = ax.get_legend_handles_labels()
    if len(handles) > 1:
        ax.legend(handles, labels, prop={"family": font["family"], "size": font["size"]}, frameon=False)


def _bars(panel, font):
    """Bars (and any line series on a second axis), stacked by `stack`; months run along x, others along y."""
    along_x = monthly(panel) or panel.kind == "line"
    count = len(panel.categories) if along_x else min(len(panel.categories), MAX_BARS)
    fig, font = _figure(CHART_H if along_x else bar_height(count))
    ax = fig.add_subplot()
    categories = list(panel.categories[:count])
    bars = [s for s in panel.series if (s.kind or ("line" if panel.kind == "line" else "bar")) == "bar"]
    lines = [s for s in panel.series if s not in bars]
    groups: dict[str, list] = {}
    for i, s in enumerate(bars):
        groups.setdefault(s.stack or f"_{i}", []).append(s)
    width = 0.8 / max(len(groups), 1)
    positions = range(count)
    colour = 0
    for g, members in enumerate(groups.values()):
        base = [0.0] * count
        offset = (g - (len(groups) - 1) / 2) * width
        for s in members:
            values = _numbers(s.data[:count])
            where = [p + offset for p in positions]
            if along_x:
                ax.bar(where, values, width, bottom=base, label=s.name, color=PALETTE[colour % len(PALETTE)])
            else:
                ax.barh(where, values, width, left=base, label=s.name, color=PALETTE[colour % len(PALETTE)])
            base = [b + v for b, v in zip(base, values, strict=True)]
            colour += 1
    handles, labels = ax.get_legend_handles_labels()
    if lines:
        other = ax.twinx() if bars else ax
        for s in lines:
            values = [float(v) if v is not None else float("nan") for v in s.data[:count]]
            (line,) = other.plot(list(positions), values, color=PALETTE[colour % len(PALETTE)], linewidth=1.4)
            handles.append(line)
            labels.append(s.name)
            colour += 1
        if other is not ax:
            _style_axes(other, font)
            other.grid(False)
            other.spines[["right"]].set_visible(True)
            if all(v is None or (isinstance(v, float) and 0 <= v <= 1) for s in lines for v in s.data):
                from matplotlib.ticker import PercentFormatter

                other.yaxis.set_major_formatter(PercentFormatter(1.0))
    from matplotlib.ticker import MaxNLocator

    (ax.yaxis if along_x else ax.xaxis).set_major_locator(MaxNLocator(integer=True))  # counts: no 0.5 person
    if along_x:
        step = max(1, count // 12)
        ax.set_xticks(list(positions)[::step], categories[::step], rotation=45, ha="right")
    else:
        ax.set_yticks(list(positions), categories)
        ax.invert_yaxis()
    _style_axes(ax, font)
    _legend(ax, font, handles, labels)
    return fig


def bar_height(count: int) -> float:
    """Millimetres for a horizontal bar chart: a few bars get a short chart, not fat bars."""
    return min(CHART_H, 16 + 6 * count)


def _pyramid(panel, font):
    fig, font = _figure(height=95)
    ax = fig.add_subplot()
    positions = range(len(panel.categories))
    left, right = panel.series[0], panel.series[1] if len(panel.series) > 1 else None
    ax.barh(list(positions), [-v for v in _numbers(left.data)], 0.85, label=left.name, color=PALETTE[0])
    if right is not None:
        ax.barh(list(positions), _numbers(right.data), 0.85, label=right.name, color=PALETTE[1])
    ax.set_yticks(list(positions), panel.categories)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True, symmetric=True))
    ticks = ax.get_xticks()
    ax.set_xticks(ticks, [f"{abs(int(t)):,}" for t in ticks])
    ax.axvline(0, color="#333333", linewidth=0.6)
    _style_axes(ax, font)
    _legend(ax, font)
    return fig


def _pie(panel, font):
    fig, font = _figure()
    ax = fig.add_subplot()
    values = _numbers(panel.series[0].data) if panel.series else []
    if sum(values) > 0:
        ax.pie(
            values,
            labels=panel.categories,
            colors=PALETTE,
            autopct="%1.0f%%",
            textprops={"family": font["family"], "size": font["size"]},
        )
    ax.axis("equal")
    return fig


def _forecast(panel, font):
    fig, font = _figure()
    ax = fig.add_subplot()
    by_name = {s.stack + ":" + ("low" if i % 2 == 0 else "high"): s for i, s in enumerate(panel.series[2:])}
    x = list(range(len(panel.categories)))

    def values(series):
        return [float(v) if v is not None else float("nan") for v in series.data]

    for band, alpha in (("band95", 0.18), ("band80", 0.32)):
        low, high = by_name.get(f"{band}:low"), by_name.get(f"{band}:high")
        if low is not None and high is not None:
            name = (
                pgettext("insight report", "80% band") if band == "band80" else pgettext("insight report", "95% band")
            )
            ax.fill_between(x, values(low), values(high), color=PALETTE[0], alpha=alpha, linewidth=0, label=name)
    ax.plot(x, values(panel.series[0]), color="#1d2b3a", linewidth=1.4, label=panel.series[0].name)
    if len(panel.series) > 1:
        ax.plot(x, values(panel.series[1]), color=PALETTE[1], linewidth=1.4, linestyle="--", label=panel.series[1].name)
    step = max(1, len(x) // 12)
    ax.set_xticks(x[::step], panel.categories[::step], rotation=45, ha="right")
    _style_axes(ax, font)
    _legend(ax, font)
    return fig


CHARTS = {"bar": _bars, "drill": _bars, "line": _bars, "pyramid": _pyramid, "pie": _pie, "forecast": _forecast}


def chart_png(panel) -> bytes | None:
    """The panel's chart as a PNG, or None for a kind without a chart (or nothing to draw)."""
    draw = CHARTS.get(panel.kind)
    if draw is None or not panel.categories or not panel.series:
        return None
    if not any(isinstance(v, (int, float)) and v for s in panel.series for v in s.data):
        return None  # nothing counted: an empty frame says less than the sentence under the heading
    from matplotlib import rc_context

    # Text objects take their font when created: every label, legend and tick is set in the CJK font.
    with rc_context({"font.family": [_chart_font()], "font.size": 7, "axes.unicode_minus": False}):
        return _png(draw(panel, {}))


# --- Tables --------------------------------------------------------------------------------------------------
def _cell(value, styles, *, share: bool = False):
    if isinstance(value, str):
        return Paragraph(_escape(value), styles["cell"])
    return Paragraph(_escape(text(value, share=share)), styles["cell"])


def _table(plain: PlainTable, styles, *, widths=None, limit: int | None = None, tail: bool = False):
    rows = plain.rows
    cut = ""
    if limit is not None and len(rows) > limit:
        cut = _("%(shown)s of %(total)s rows shown; the workbook has them all.") % {
            "shown": limit,
            "total": len(rows),
        }
        rows = rows[-limit:] if tail else rows[:limit]
    data = [[Paragraph(_escape(h), styles["cell"]) for h in plain.header]]
    data += [[_cell(v, styles, share=i in plain.shares) for i, v in enumerate(row)] for row in rows]
    columns = len(plain.header)
    if widths is None and columns > 4:
        widths = [WIDTH / columns] * columns
    if widths is None:
        first = min(60 * mm, WIDTH * 0.4) if columns > 1 else WIDTH
        rest = (WIDTH - first) / max(columns - 1, 1)
        widths = [first] + [rest] * (columns - 1)
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), FONT),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#dde6f0")),
                ("GRID", (0, 0), (-1, -1), 0.3, colors.HexColor("#b8c4d0")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    out = [table]
    if cut:
        out.append(Paragraph(_escape(cut), styles["muted"]))
    return out


def _figures(figures: list[tuple[str, object, bool]], styles):
    if not figures:
        return []
    plain = PlainTable(
        "",
        [pgettext("insight report", "Figure"), pgettext("insight report", "Value")],
        [[name, text(value, share=share)] for name, value, share in figures],
    )
    return _table(plain, styles, widths=[WIDTH * 0.6, WIDTH * 0.4])


def _height(panel) -> float:
    if panel.kind == "pyramid":
        return 95
    if panel.kind in ("bar", "drill") and not monthly(panel):
        return bar_height(min(len(panel.categories), MAX_BARS))
    return CHART_H


def _chart(panel, height=CHART_H):
    png = chart_png(panel)
    if png is None:
        return []
    return [Image(io.BytesIO(png), width=WIDTH, height=WIDTH * height / CHART_W)]


def _panel_section(panel, styles) -> list:
    tables = panel_tables(panel)
    head = [Paragraph(_escape(panel.title), styles["h1"])]
    if panel.total is not None:
        head.append(Paragraph(_escape(_("Total: %(total)s") % {"total": text(panel.total)}), styles["body"]))
    chart = _chart(panel, _height(panel))
    if not chart and not panel.total:
        head.append(Paragraph(_escape(_("Nothing counted here.")), styles["muted"]))
    story = [CondPageBreak(60 * mm), KeepTogether([*head, *chart])]
    by_month = monthly(panel)
    story += _table(tables.main, styles, limit=MONTH_ROWS if by_month else MAX_ROWS, tail=by_month)
    story.append(Spacer(1, 2 * mm))
    story += _figures(tables.figures, styles)
    if panel.note:
        story.append(Paragraph(_escape(panel.note), styles["muted"]))
    for extra in tables.extra:
        story.append(KeepTogether([Paragraph(_escape(extra.title), styles["h2"]), *_table(extra, styles, limit=15)]))
    return story


def _forecast_section(series, result, panel, styles) -> list:
    story = [PageBreak(), Paragraph(_escape(panel.title), styles["h1"])]
    story.append(Paragraph(_escape(label("method") + ": " + method_label(result)), styles["body"]))
    if note_text(result):
        story.append(Paragraph(_escape(note_text(result)), styles["body"]))
    story += _chart(panel)
    fc = result.get("forecast")
    if fc:
        rows = [
            [
                m[:4] + "-" + m[4:],
                f"{round(fc['mean'][i]):,}",
                f"{round(fc['lo80'][i]):,}–{round(fc['hi80'][i]):,}",
                f"{round(fc['lo95'][i]):,}–{round(fc['hi95'][i]):,}",
            ]
            for i, m in enumerate(fc["months"])
        ]
        plain = PlainTable(
            "",
            [
                pgettext("insight report", "Month"),
                pgettext("insight report", "Forecast"),
                pgettext("insight report", "80% band"),
                pgettext("insight report", "95% band"),
            ],
            rows,
        )
        story += _table(plain, styles, widths=[WIDTH * 0.2, WIDTH * 0.2, WIDTH * 0.3, WIDTH * 0.3])
    tables = panel_tables(panel)
    figures = [f for f in tables.figures if f[0] not in (label("method"), label("note"))]
    story.append(Spacer(1, 2 * mm))
    story += _figures(figures, styles)
    for extra in tables.extra:
        story.append(KeepTogether([Paragraph(_escape(extra.title), styles["h2"]), *_table(extra, styles)]))
    return story


def _about(content, styles) -> list:
    paragraphs = [
        _(
            "The figures are counted from the platform's registrations through its rollup cells. Monthly series "
            "run to the end of the reported month; counts of who lives here now (by area, age and sex, origin, "
            "housing, permits, schooling) are the cells' state at the time shown as 'figures as of'."
        ),
        _(
            "Forecasts: seasonal ARIMA, the airline model (0,1,1)(0,1,1)12, on log(1 + count), with a Spring "
            "Festival regressor: the share of the travel window from 15 days before to 15 days after the lunar "
            "New Year's day that falls in each month. The point forecast is the median; the bands hold 80% and "
            "95% of outcomes if the model is right. The back-test refits the model at each of the last 12 months "
            "and compares its forecasts up to 12 months ahead with what happened: MAPE, MASE (below 1 beats the "
            "seasonal naive forecast's usual error) and how often the bands held the outcome. Short series use "
            "simpler methods, named beside the forecast."
        ),
    ]
    story = [CondPageBreak(60 * mm), Paragraph(_escape(_("About these figures")), styles["h1"])]
    story += [Paragraph(_escape(p), styles["body"]) for p in paragraphs]
    return story


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else "-"


def report_pdf(content) -> bytes:
    """The PDF's bytes, in the current language (the caller chooses it; reports use the site's)."""
    styles = _styles()
    buffer = io.BytesIO()
    title = content.title

    def decorate(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.HexColor("#5c6b7a"))
        canvas.drawString(15 * mm, 10 * mm, title)
        canvas.drawRightString(A4[0] - 15 * mm, 10 * mm, _("Page %(page)s") % {"page": doc.page})
        canvas.restoreState()

    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=title,
        author="Liuguan",
        creator="Liuguan",
        initialFontName=FONT,
        invariant=1,
    )
    story = [
        Paragraph(_escape(title), styles["title"]),
        Paragraph(
            _escape(
                _("%(trail)s · figures as of %(as_of)s · %(pending)s changes not yet counted · made %(made)s")
                % {
                    "trail": content.trail,
                    "as_of": _when(content.as_of),
                    "pending": content.pending,
                    "made": _when(content.made_at),
                }
            ),
            styles["muted"],
        ),
        Spacer(1, 3 * mm),
        Paragraph(_escape(pgettext("insight report", "Key figures")), styles["h1"]),
    ]
    key = PlainTable(
        "",
        [
            pgettext("insight report", "Figure"),
            pgettext("insight report", "Number"),
            pgettext("insight report", "Change"),
        ],
        [[h.label, h.value, h.note] for h in content.headlines],
    )
    story += [KeepTogether(_table(key, styles, widths=[WIDTH * 0.3, WIDTH * 0.15, WIDTH * 0.55]))]
    for panel in content.panels:
        story += _panel_section(panel, styles)
    for series, result, panel in content.forecasts:
        story += _forecast_section(series, result, panel, styles)
    story += _about(content, styles)
    doc.build(story, onFirstPage=decorate, onLaterPages=decorate)
    return buffer.getvalue()
