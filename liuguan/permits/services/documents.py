"""The permit as a document: the printable card for officers, and the public answer to its QR code.

The card shows the holder's full data, so rendering it is a read of personal data: only officers who may
print permits get it, inside their area, after the print was recorded (permit_print), and every rendering
is an audit event. The public check shows almost nothing and needs no account; every check is a
Verification row (when, the answer, a keyed digest of the address), which is also what the per-address
limit counts.

Public checks are not written to the audit chain: the chain head is locked by every audited write in the
province, and anonymous traffic must not queue behind it or in front of it. The Verification table is the
log of checks.
"""

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import DomainError, FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import mask_name
from liuguan.core.scoping import scoped

from ..document import card_facts, missing_glyphs, render_pdf
from ..models import Permit, Verification
from ..policy import Status, policy_from
from ..tokens import token_read, verification_url
from .applications import LIVE_PERMITS
from .common import current_day
from .permits import state_of

CLIENT_SALT = "liuguan.permits.verification.client"
# Checks per address in a sliding window: enough for an employer checking its staff, a wall for scripts.
# Mobile networks put many phones behind one address (carrier-grade NAT), so the limit is generous.
VERIFY_LIMIT = 120
VERIFY_WINDOW = dt.timedelta(minutes=10)


class Answer:
    """The answers the public page gives; `Verification.answer` stores the code."""

    VALID = "valid"
    SUSPENDED = "suspended"
    EXPIRED = "expired"
    REVOKED = "revoked"
    REPLACED = "replaced"
    PENDING = "pending"
    INVALID = "invalid"


@dataclass(frozen=True)
class Verdict:
    """What the public page may show: the answer, and for a permit we know, its kind, one date, a masked name."""

    answer: str
    kind: str = ""
    masked_name: str = ""
    # valid: valid until; suspended: suspended since; expired: expired on; revoked: revoked on.
    day: dt.date | None = None


@dataclass(frozen=True)
class Document:
    pdf: bytes
    permit: Permit
    missing_glyphs: list[str] = field(default_factory=list)


class TooManyChecks(DomainError):
    """An address checked more permits than the limit allows in the window (HTTP 429)."""

    def __init__(self, retry_after: int):
        super().__init__("too many verifications from this address")
        self.retry_after = retry_after


def client_digest(address: str | None) -> str:
    """A keyed digest of the client's address: repeated checks can be counted, the address is not kept."""
    if not address:
        return ""
    return salted_hmac(CLIENT_SALT, address, algorithm="sha256").hexdigest()[:16]


def _limit() -> tuple[int, dt.timedelta]:
    configured = getattr(settings, "LIUGUAN_PERMIT_VERIFY_LIMIT", None)
    if configured:
        count, seconds = configured
        return count, dt.timedelta(seconds=seconds)
    return VERIFY_LIMIT, VERIFY_WINDOW


def _verdict(permit: Permit | None, nonce: str, on: dt.date) -> Verdict:
    """The live answer: the permit's status now, and for one in force its state today by its policy's rules
    (the nightly refresh may not have run yet: an overdue endorsement suspends at midnight, not at 2 am).
    """
    if permit is None:
        return Verdict(Answer.INVALID)
    rules = policy_from(permit.policy)
    try:
        kind = rules.kind(permit.kind).label
    except KeyError:
        kind = permit.kind
    shown = {"kind": kind, "masked_name": mask_name(permit.person.name)}
    if nonce != permit.token_nonce or permit.status in (Permit.Status.REPLACED, Permit.Status.UPGRADED):
        return Verdict(Answer.REPLACED, **shown)
    if permit.status == Permit.Status.REVOKED:
        revoked = timezone.localdate(permit.revoked_at) if permit.revoked_at else None
        return Verdict(Answer.REVOKED, day=revoked, **shown)
    if permit.status == Permit.Status.ISSUED:
        return Verdict(Answer.PENDING, **shown)
    if permit.status == Permit.Status.EXPIRED:
        return Verdict(Answer.EXPIRED, day=permit.valid_until, **shown)
    state = state_of(permit, on, policy=rules)
    if state.status == Status.EXPIRED:
        return Verdict(Answer.EXPIRED, day=state.expires_on, **shown)
    if state.status == Status.SUSPENDED:
        return Verdict(Answer.SUSPENDED, day=state.suspended_from, **shown)
    ends = [d for d in (state.window_closes, state.expires_on, permit.valid_until) if d]
    return Verdict(Answer.VALID, day=min(ends) if ends else None, **shown)


def permit_verify(*, token: str, client_address: str | None, on: dt.date | None = None) -> Verdict:
    """Answer a public check of a permit's QR code from the live record, and log it.

    A token we did not sign answers "not valid", exactly as a token naming no permit does; a token of a card
    since replaced answers "replaced"; a revoked permit answers "revoked" from the moment it is revoked.
    """
    digest = client_digest(client_address)
    limit, window = _limit()
    if digest and Verification.objects.filter(client=digest, at__gte=timezone.now() - window).count() >= limit:
        raise TooManyChecks(int(window.total_seconds()))
    claim = token_read(token)
    permit = None
    if claim is not None:
        permit = Permit.objects.select_related("person", "policy", "application").filter(pk=claim.permit_id).first()
    verdict = _verdict(permit, claim.nonce if claim else "", on or current_day())
    Verification.objects.create(permit=permit, answer=verdict.answer, client=digest)
    return verdict


def permit_document(*, actor, permit_id: int, base_url: str, source: str = "web") -> Document:
    """The printable card of a permit in force whose print was recorded; each rendering is audited, as a
    read of the holder's full data.
    """
    if not actor.can("permit.issue"):
        raise PermissionDenied()
    permit = (
        scoped(Permit.objects.select_related("person", "policy", "application", "community"), actor)
        .filter(pk=permit_id)
        .first()
    )
    if permit is None:
        raise NotFound()
    if permit.status not in LIVE_PERMITS:
        raise InvalidInput([FieldProblem("permit", "permit.not_printable", _("Only a permit in force is printed"))])
    if permit.printed_at is None:
        raise InvalidInput(
            [FieldProblem("permit", "permit.not_printed", _("Record the print first: use Print on the permit's page"))]
        )
    facts = card_facts(permit, verify_url=verification_url(permit, base_url=base_url))
    pdf = render_pdf(facts, title=f"{facts.kind} {permit.number}")
    missing = missing_glyphs(facts.text())
    # The PDF is drawn before the transaction: the audit chain is locked only for the moment of the append.
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="permit.document",
            obj=permit,
            division_code=permit.community_id,
            source=source,
            purpose="print the permit card",
            changes={"number": permit.number, "fields": ["doc_number", "birth_date", "hukou_address"]},
        )
    return Document(pdf=pdf, permit=permit, missing_glyphs=missing)
