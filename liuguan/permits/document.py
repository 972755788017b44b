"""The printable residence permit: one A4 page with the card's two faces at true size (ID-1, 85.6 x 54 mm).

The front carries what Art. 4 of the Interim Regulations lists (name, sex, ethnicity, birth date, citizen ID
number, photo, registered and residence addresses); the back the issuing authority, issue date, kind,
number, term and the QR code of the public verification page; below the cards, the endorsements so far
and the next window, and the verification address in plain text for those who cannot scan.

The document is the holder's own card, printed by an officer entitled to print it, so it shows the full data;
the page that reads the QR code shows almost none. Chinese is set in WenQuanYi Micro Hei (Apache-2.0), shipped
in fonts/ and embedded as a subset, so any viewer or printer shows the card without Chinese fonts of its own.
"""

import datetime as dt
import io
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno
from django.conf import settings
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from liuguan.geo.models import Division

from .policy import policy_from
from .services.common import NOT_A_CITY, current_day
from .services.permits import state_of
from .tokens import verification_url

FONT_FILE = Path(__file__).parent / "fonts" / "WenQuanYiMicroHei-permit.ttf"
FONT = "LiuguanCJK"
CARD_W, CARD_H = 85.6 * mm, 54 * mm
INK = (0.11, 0.15, 0.2)
MUTED = (0.36, 0.42, 0.48)
RULE = (0.70, 0.15, 0.12)


@lru_cache(maxsize=1)
def _font() -> TTFont:
    """Registered once per process; reportlab then embeds only the glyphs a document uses."""
    font = TTFont(FONT, str(FONT_FILE))
    pdfmetrics.registerFont(font)
    return font


def missing_glyphs(text: str) -> list[str]:
    """The characters of `text` the font has no glyph for (they would print as empty boxes)."""
    cmap = _font().face.charToGlyph
    return sorted({ch for ch in text if not ch.isspace() and ord(ch) not in cmap})


@dataclass(frozen=True)
class CardFacts:
    """Everything the document prints, as text: built once, drawn, and checked for glyphs the font lacks."""

    kind: str
    name: str
    sex: str
    ethnicity: str
    birth_date: str
    document_label: str
    document_number: str
    hukou_address: str
    address: str
    issuer: str
    issued_on: str
    term: str
    number: str
    endorsements: tuple[tuple[str, str], ...]
    next_endorsement: str
    verify_url: str
    printed: str

    def text(self) -> str:
        return "".join(str(v) for v in self.__dict__.values())


def _day(day: dt.date | None) -> str:
    return formats.date_format(day, "DATE_FORMAT") if day else ""


def _places(code: str) -> list[str]:
    """Province, city and county names of a division code, without placeholders such as 市辖区."""
    codes = [code[:n] for n in (2, 4, 6) if len(code) >= n]
    names = dict(Division.objects.filter(code__in=codes).values_list("code", "name"))
    return [names[c] for c in codes if names.get(c) and names[c] not in NOT_A_CITY]


def _hukou_address(person) -> str:
    if person.hukou_address:
        return person.hukou_address
    place = "".join(_places(person.hukou_code)) if person.hukou_code else ""
    return place or person.hukou_code


def _residence_address(permit) -> str:
    """The stay's address with the province, city and district in front, unless it already names them."""
    places = _places(permit.community_id)
    for first in range(len(places)):
        if permit.address.startswith("".join(places[first:])):
            return "".join(places[:first]) + permit.address
    return "".join(places) + permit.address


def card_facts(permit, *, verify_url: str, on: dt.date | None = None) -> CardFacts:
    """What the card says, in the site's official language (the card is a Chinese document whatever the
    officer's own language is).
    """
    person = permit.person
    rules = policy_from(permit.policy)
    try:
        kind = rules.kind(permit.kind)
    except KeyError:
        kind = None
    with translation.override(settings.LANGUAGE_CODE):
        if permit.valid_until:
            term = _("%(start)s to %(end)s") % {"start": _day(permit.issued_on), "end": _day(permit.valid_until)}
        elif kind is not None and kind.endorsed_yearly:
            term = _("From %(start)s, endorsed every year") % {"start": _day(permit.issued_on)}
        else:
            term = _("From %(start)s") % {"start": _day(permit.issued_on)}
        endorsements = tuple(
            (_day(e.on), _("late: years count on from this day") if e.late else "")
            for e in permit.endorsements.all().order_by("on", "id")
        )
        state = state_of(permit, on or current_day(), policy=rules)
        next_endorsement = (
            _("Next endorsement: %(opens)s to %(closes)s")
            % {"opens": _day(state.window_opens), "closes": _day(state.window_closes)}
            if state.window_opens
            else ""
        )
        document_label = (
            _("Citizen ID number")
            if person.doc_type == "citizen_id"
            else _("%(document)s number") % {"document": person.get_doc_type_display()}
        )
        printed_at = timezone.localtime(permit.printed_at or timezone.now())
        return CardFacts(
            kind=kind.label if kind else permit.kind,
            name=person.name,
            sex=str(person.get_sex_display()),
            ethnicity=str(person.get_ethnicity_display()),
            birth_date=_day(person.birth_date),
            document_label=document_label,
            document_number=person.doc_number,
            hukou_address=_hukou_address(person),
            address=_residence_address(permit),
            issuer=permit.issuer,
            issued_on=_day(permit.issued_on),
            term=term,
            number=permit.number,
            endorsements=endorsements,
            next_endorsement=next_endorsement,
            verify_url=verify_url,
            printed=formats.date_format(printed_at, "DATETIME_FORMAT"),
        )


def _pieces(text: str) -> list[str]:
    """Latin words stay whole (with the spaces after them); each Chinese character is a piece of its own."""
    return re.findall(r"[A-Za-z0-9'’,.;:!?()/@%&+=_-]+\s*|\s+|.", text)


def _wrap(text: str, size: float, width: float, max_lines: int) -> list[str]:
    """Break between Chinese characters or between words; the last line ends in … when the text does not fit."""
    lines, line = [], ""
    for piece in _pieces(text):
        if pdfmetrics.stringWidth((line + piece).rstrip(), FONT, size) <= width:
            line += piece
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = piece.lstrip()
        while pdfmetrics.stringWidth(line.rstrip(), FONT, size) > width:
            # A single word longer than the line (a URL, a long number) is cut where it reaches the edge.
            cut = len(line)
            while cut > 1 and pdfmetrics.stringWidth(line[:cut], FONT, size) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last = lines[-1]
        while last and pdfmetrics.stringWidth(last + "…", FONT, size) > width:
            last = last[:-1]
        lines[-1] = last + "…"
    return lines


class _Page:
    """A few drawing verbs over a reportlab canvas, in millimetres from the top-left corner."""

    def __init__(self, canvas: Canvas):
        self.c = canvas
        self.height = A4[1]

    def text(self, x, y, value, size, *, color=INK, bold=False, right=False, spacing=0.0):
        c = self.c
        c.setFillColorRGB(*color)
        text = c.beginText()
        text.setFont(FONT, size)
        text.setCharSpace(spacing)
        if bold:
            # The font has one weight: stroke the outline too, as Chinese cards set their headings heavier.
            c.setStrokeColorRGB(*color)
            c.setLineWidth(size * 0.03)
            text.setTextRenderMode(2)
        width = pdfmetrics.stringWidth(value, FONT, size) + spacing * max(len(value) - 1, 0)
        text.setTextOrigin(x - width if right else x, self.height - y)
        text.textOut(value)
        c.drawText(text)

    def field(self, x, y, label, value, *, width, size=7.0, max_lines=1, gap=12 * mm, spacing=0.0) -> float:
        """A label and its value to the right; returns the y below the last line."""
        label_size = size - 1.6
        while label_size > 3.5 and pdfmetrics.stringWidth(label, FONT, label_size) > gap - 1.5 * mm:
            label_size -= 0.2
        self.text(x, y, label, label_size, color=MUTED)
        lines = _wrap(value, size, width - gap, max_lines) or [""]
        for i, line in enumerate(lines):
            self.text(x + gap, y + i * size * 1.3, line, size, spacing=spacing)
        return y + len(lines) * size * 1.3 + 1.2 * mm

    def card(self, x, y):
        c = self.c
        c.setStrokeColorRGB(*MUTED)
        c.setLineWidth(0.4)
        c.setDash(2, 2)
        c.roundRect(x, self.height - y - CARD_H, CARD_W, CARD_H, 3 * mm, stroke=1, fill=0)
        c.setDash()
        c.setStrokeColorRGB(*RULE)
        c.setLineWidth(1.2)
        c.line(x + 4 * mm, self.height - y - 10 * mm, x + CARD_W - 4 * mm, self.height - y - 10 * mm)

    def qr(self, x, y, url: str, side: float):
        """The QR code as vector squares (sharp at any printer resolution), quiet zone included in `side`."""
        code = segno.make(url, error="m", micro=False)
        modules = code.symbol_size(scale=1, border=4)[0]
        unit = side / modules
        c = self.c
        c.setFillColorRGB(1, 1, 1)
        c.rect(x, self.height - y - side, side, side, stroke=0, fill=1)
        c.setFillColorRGB(0, 0, 0)
        for row, bits in enumerate(code.matrix):
            col = 0
            while col < len(bits):
                if not bits[col]:
                    col += 1
                    continue
                run = col
                while run < len(bits) and bits[run]:
                    run += 1
                c.rect(
                    x + (4 + col) * unit,
                    self.height - y - (4 + row + 1) * unit,
                    (run - col) * unit,
                    unit,
                    stroke=0,
                    fill=1,
                )
                col = run
        c.linkURL(url, (x, self.height - y - side, x + side, self.height - y), relative=0)


def _front(page: _Page, facts: CardFacts, x: float, y: float) -> None:
    page.card(x, y)
    page.text(x + 5 * mm, y + 7.2 * mm, facts.kind, 10, bold=True, spacing=1.5)
    page.text(x + CARD_W - 5 * mm, y + 7.2 * mm, _("Front"), 5.5, color=MUTED, right=True)
    # Art. 4 lists a photo: the card has its frame, the photo is pasted or printed by the card printer.
    c = page.c
    photo_x, photo_y, photo_w, photo_h = x + CARD_W - 25 * mm, y + 12.5 * mm, 20 * mm, 25 * mm
    c.setStrokeColorRGB(*MUTED)
    c.setLineWidth(0.3)
    c.rect(photo_x, page.height - photo_y - photo_h, photo_w, photo_h, stroke=1, fill=0)
    page.text(photo_x + photo_w / 2 - 4.5, photo_y + photo_h / 2 + 1.5, _("Photo"), 5.5, color=MUTED)
    left, width = x + 5 * mm, CARD_W - 32 * mm
    row = y + 15 * mm
    row = page.field(left, row, _("Name"), facts.name, width=width, size=8.5)
    page.field(left, row, _("Sex"), facts.sex, width=width / 2)
    row = page.field(left + width / 2, row, _("Ethnicity"), facts.ethnicity, width=width / 2, gap=9 * mm)
    row = page.field(left, row, _("Birth date"), facts.birth_date, width=width)
    row = page.field(left, row, _("Registered address"), facts.hukou_address, width=width, max_lines=2)
    page.field(
        left, max(row, y + 41.5 * mm), _("Residence address"), facts.address, width=CARD_W - 10 * mm, max_lines=2
    )
    page.field(
        left,
        y + CARD_H - 4 * mm,
        facts.document_label,
        facts.document_number,
        width=CARD_W - 10 * mm,
        size=9,
        gap=20 * mm,
        spacing=1.2,
    )


def _back(page: _Page, facts: CardFacts, x: float, y: float) -> None:
    page.card(x, y)
    page.text(x + 5 * mm, y + 7.2 * mm, facts.kind, 10, bold=True, spacing=1.5)
    page.text(x + CARD_W - 5 * mm, y + 7.2 * mm, _("Back"), 5.5, color=MUTED, right=True)
    width = CARD_W - 34 * mm
    row = y + 15 * mm
    row = page.field(x + 5 * mm, row, _("Permit number"), facts.number, width=width + 2 * mm, size=7.5)
    row = page.field(x + 5 * mm, row, _("Issuing authority"), facts.issuer, width=width, max_lines=3)
    row = page.field(x + 5 * mm, row, _("Issued on"), facts.issued_on, width=width)
    page.field(x + 5 * mm, row, _("Term of validity"), facts.term, width=width, max_lines=3)
    side = 25 * mm
    page.qr(x + CARD_W - side - 3 * mm, y + 13 * mm, facts.verify_url, side)
    page.text(
        x + CARD_W - 3 * mm - side / 2 + 7,
        y + 13 * mm + side + 2.4 * mm,
        _("Scan to verify"),
        5.5,
        color=MUTED,
        right=True,
    )


def _record(page: _Page, facts: CardFacts, top: float) -> None:
    left, width = 15 * mm, A4[0] - 30 * mm
    page.text(left, top, _("Endorsements"), 10, bold=True)
    row = top + 6 * mm
    if facts.endorsements:
        for i, (day, note) in enumerate(facts.endorsements, start=1):
            page.text(left, row, f"{i}.", 8.5, color=MUTED)
            page.text(left + 7 * mm, row, day, 8.5)
            if note:
                page.text(left + 45 * mm, row, note, 8.5, color=MUTED)
            row += 5 * mm
    else:
        page.text(left, row, _("None yet."), 8.5, color=MUTED)
        row += 5 * mm
    if facts.next_endorsement:
        page.text(left, row, facts.next_endorsement, 8.5)
        row += 5 * mm
    row += 5 * mm
    page.text(left, row, _("Verification"), 10, bold=True)
    row += 6 * mm
    explain = _(
        "Anyone may check this permit by scanning the QR code on its back or by opening the address below. "
        "The page shows only whether the permit is valid, its kind, a date and the holder's name with "
        "characters hidden."
    )
    for line in _wrap(explain, 8.5, width, 4):
        page.text(left, row, line, 8.5)
        row += 4.6 * mm
    page.text(left, row + 1 * mm, facts.verify_url, 8, color=(0.04, 0.34, 0.64))
    url_width = pdfmetrics.stringWidth(facts.verify_url, FONT, 8)
    page.c.linkURL(facts.verify_url, (left, page.height - row - 2 * mm, left + url_width, page.height - row + 3 * mm))
    page.text(
        left,
        A4[1] - 12 * mm,
        _("Printed %(when)s · cut along the dashed lines") % {"when": facts.printed},
        7,
        color=MUTED,
    )


def render_pdf(facts: CardFacts, *, title: str) -> bytes:
    """Draw the facts; the same facts give the same bytes (reportlab's invariant mode), which tests rely on."""
    _font()
    buffer = io.BytesIO()
    # Starting in our font keeps reportlab from naming Helvetica, a font the PDF would not embed.
    canvas = Canvas(buffer, pagesize=A4, invariant=1, pageCompression=1, initialFontName=FONT, initialFontSize=10)
    canvas.setTitle(title)
    canvas.setAuthor(facts.issuer)
    canvas.setCreator("Liuguan")
    page = _Page(canvas)
    with translation.override(settings.LANGUAGE_CODE):
        page.text(15 * mm, 18 * mm, facts.kind, 16, bold=True, spacing=3)
        page.text(A4[0] - 15 * mm, 18 * mm, facts.issuer, 9, color=MUTED, right=True)
        gap = A4[0] - 30 * mm - 2 * CARD_W
        _front(page, facts, 15 * mm, 28 * mm)
        _back(page, facts, 15 * mm + CARD_W + gap, 28 * mm)
        _record(page, facts, 28 * mm + CARD_H + 14 * mm)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def permit_pdf(permit, *, verify_url: str | None = None, on: dt.date | None = None) -> bytes:
    """The printable permit, with the QR code of its public verification page."""
    facts = card_facts(permit, verify_url=verify_url or verification_url(permit), on=on)
    return render_pdf(facts, title=f"{facts.kind} {permit.number}")
