"""Helpers of the document and verification tests: a permit through the real workflow, and reading a PDF back."""

import datetime as dt
import io

from liuguan.permits.models import Permit
from liuguan.permits.services import (
    application_decide,
    application_receive,
    permit_handover,
    permit_issue,
    permit_print,
)

from .conftest import ALL_MATERIALS


def permit_in_hand(actor, person, *, permit_kind: str, printed: bool = True, handed_over: bool = True) -> Permit:
    """Received with every material, approved, issued, printed and handed over (or stopped before a step)."""
    application = application_receive(
        actor=actor,
        person_id=person.pk,
        stay_id=person.stay.pk,
        permit_kind=permit_kind,
        condition="employment",
        materials=ALL_MATERIALS,
    )
    application_decide(actor=actor, application_id=application.pk, approve=True, reasons="")
    permit = permit_issue(actor=actor, application_id=application.pk)
    if printed:
        permit_print(actor=actor, permit_id=permit.pk)
    if printed and handed_over:
        permit = permit_handover(actor=actor, permit_id=permit.pk)
    return Permit.objects.select_related("person", "policy", "application", "community").get(pk=permit.pk)


def pdf_text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def pdf_fonts(pdf: bytes) -> list[dict]:
    """Every font the PDF's pages use, each as {name, subtype, embedded (the FontFile key), descendant}."""
    from pypdf import PdfReader

    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for key, ref in fonts.get_object().items():
            font = ref.get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None and "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            embedded = next((k for k in ("/FontFile", "/FontFile2", "/FontFile3") if k in descriptor), None)
            found.append(
                {
                    "key": key,
                    "name": str(font.get("/BaseFont")),
                    "subtype": font["/Subtype"],
                    "embedded": embedded,
                    "stream": descriptor.get(embedded) if embedded else None,
                }
            )
    return found


def pdf_qr_codes(pdf: bytes, dpi: int = 300) -> list[str]:
    """Render the first page as a printer would and read every QR code on it, as a phone's scanner does."""
    import pypdfium2
    import zxingcpp

    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=dpi / 72).to_pil()
    finally:
        document.close()
    return [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


D = dt.date
