"""Recording marriage-and-childbearing certificates (婚育证明) that a holder brings from their hukou area."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from liuguan.core.audit import audit_record
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.scoping import scoped
from liuguan.registry.codes import Marital
from liuguan.registry.models import Person

from ..models import MarriageCertificate
from .common import clean_text, who


def certificate_record(
    *,
    actor,
    person_id: int,
    number: str,
    issuer: str,
    issuer_code: str,
    issued_on: dt.date,
    valid_until: dt.date,
    marital_status: str = "",
    children: int = 0,
    source: str = "web",
) -> MarriageCertificate:
    """A certificate is valid from its issue day to its last valid day; a number is recorded once."""
    if not actor.can("certificate.record"):
        raise PermissionDenied()
    number = clean_text(number, 40).upper()
    issuer = clean_text(issuer, 100)
    issuer_code = clean_text(issuer_code, 12)
    problems = []
    if not number:
        problems.append(FieldProblem("number", "certificate.number_required", _("Give the certificate number")))
    if not issuer:
        problems.append(FieldProblem("issuer", "certificate.issuer_required", _("Give the issuing office")))
    if not (issuer_code.isdigit() and len(issuer_code) in (2, 4, 6, 9, 12)):
        problems.append(FieldProblem("issuer_code", "certificate.issuer_code", _("Give the issuing area's code")))
    if issued_on is None:
        problems.append(FieldProblem("issued_on", "certificate.issued_on", _("Give the issue date")))
    if valid_until is None or (issued_on is not None and valid_until <= issued_on):
        message = _("The last valid day must be after the issue date")
        problems.append(FieldProblem("valid_until", "certificate.valid_after_issue", message))
    if marital_status and marital_status not in Marital.values:
        problems.append(FieldProblem("marital_status", "certificate.marital_status", _("Not a marital status")))
    if children is None or children < 0 or children > 20:
        problems.append(FieldProblem("children", "certificate.children", _("Give the number of children (0-20)")))
    if problems:
        raise InvalidInput(problems)
    with transaction.atomic():
        person = scoped(Person.objects.all(), actor).filter(pk=person_id).first()
        if person is None:
            raise NotFound()
        if MarriageCertificate.objects.filter(number=number).exists():
            raise Conflict(
                _("A certificate with this number is already recorded"),
                field="number",
                rule="certificate.number_unique",
            )
        certificate = MarriageCertificate(
            person=person,
            number=number,
            issuer=issuer,
            issuer_code=issuer_code,
            issued_on=issued_on,
            valid_until=valid_until,
            marital_status=marital_status,
            children=children,
            recorded_by=who(actor),
        )
        try:
            with transaction.atomic():
                certificate.save(force_insert=True)
        except IntegrityError:
            raise Conflict(
                _("A certificate with this number is already recorded"),
                field="number",
                rule="certificate.number_unique",
            ) from None
        audit_record(
            actor=actor,
            action="certificate.record",
            obj=certificate,
            source=source,
            changes={
                "person_id": person.pk,
                "issuer_code": issuer_code,
                "issued_on": issued_on,
                "valid_until": valid_until,
            },
        )
    return certificate
