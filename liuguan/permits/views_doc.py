"""The permit as a document: the printable card (officers) and the public verification page (anyone)."""

from axes.helpers import get_client_ip_address
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from liuguan.core.errors import InvalidInput, NotFound
from liuguan.core.permissions import page, public

from .services.documents import Answer, TooManyChecks, permit_document, permit_verify
from .tokens import public_base_url


def _client_address(request) -> str | None:
    # The same address resolution as the login throttle (django-axes, proxy settings included).
    return get_client_ip_address(request)


@page("permit.issue")
@require_GET
def permit_pdf(request, permit_id):
    """The card to print. The Print button of the permit page records the print (permit_print) and opens this."""
    try:
        document = permit_document(actor=request.user, permit_id=permit_id, base_url=public_base_url(request))
    except NotFound as exc:
        raise Http404 from exc
    except InvalidInput as exc:
        for problem in exc.problems:
            messages.error(request, str(problem.message))
        return redirect("permits:permit_detail", permit_id=permit_id)
    if document.missing_glyphs:
        messages.warning(
            request,
            _("The font has no glyph for %(chars)s: those characters print as empty boxes; write them in by hand.")
            % {"chars": " ".join(document.missing_glyphs)},
        )
    response = HttpResponse(document.pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="permit-{document.permit.number}.pdf"'
    response["Cache-Control"] = "no-store"
    return response


# What each answer says on the public page; the template picks the date's wording by the answer.
HEADLINES = {
    Answer.VALID: gettext_lazy("Valid"),
    Answer.SUSPENDED: gettext_lazy("Suspended"),
    Answer.EXPIRED: gettext_lazy("Expired"),
    Answer.REVOKED: gettext_lazy("Revoked"),
    Answer.REPLACED: gettext_lazy("Replaced"),
    Answer.PENDING: gettext_lazy("Not yet in force"),
    Answer.INVALID: gettext_lazy("Not valid"),
}


@public
@never_cache
@require_GET
def permit_verify_page(request, token):
    """Anyone holding the card's QR code learns whether the permit is in force, and almost nothing else."""
    try:
        verdict = permit_verify(token=token, client_address=_client_address(request))
    except TooManyChecks as exc:
        response = render(request, "permits/verify_limited.html", status=429)
        response["Retry-After"] = str(exc.retry_after)
        return response
    response = render(
        request,
        "permits/verify.html",
        {"verdict": verdict, "headline": HEADLINES[verdict.answer]},
    )
    # The token is the key to the answer: it must not leak to other sites through the Referer header.
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
