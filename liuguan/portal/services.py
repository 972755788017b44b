"""Writes of the migrant portal: notifications, stay declarations and their review."""

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today, mask_document_number
from liuguan.core.scoping import scoped
from liuguan.geo.models import Division, Level
from liuguan.registry.codes import DocType, Reason, SourceChannel
from liuguan.registry.lookup import person_by_document
from liuguan.registry.models import Stay
from liuguan.registry.services.people import PersonInput, person_check

from .models import PortalNotification, StayDeclaration


def notify(*, person, title: str, body: str = "", link: str = "") -> PortalNotification:
    """Tell a migrant something in their portal inbox (a request changed state, a declaration was reviewed)."""
    with transaction.atomic():
        notification = PortalNotification.objects.create(
            person=person, title=str(title)[:200], body=str(body), link=str(link)[:300]
        )
        audit_record(
            actor=SYSTEM,
            action="portal.notify",
            obj=notification,
            changes={"person": notification.person_id, "title": notification.title},
            source="system",
        )
    return notification


def notifications_mark_read(*, actor, notification_ids=None) -> int:
    """Mark the migrant's own notifications read (all of them when no ids are given)."""
    if getattr(actor, "person_id", None) is None:
        return 0
    with transaction.atomic():
        unread = PortalNotification.objects.filter(person_id=actor.person_id, read_at__isnull=True)
        if notification_ids is not None:
            unread = unread.filter(pk__in=list(notification_ids))
        ids = list(unread.values_list("pk", flat=True))
        if not ids:
            return 0
        PortalNotification.objects.filter(pk__in=ids).update(read_at=timezone.now())
        audit_record(
            actor=actor,
            action="portal.notifications_read",
            object_type="portal.portalnotification",
            object_id=str(ids[0]),
            changes={"ids": ids},
        )
    return len(ids)


def _migrant(actor):
    if not getattr(actor, "is_authenticated", False) or not actor.can("portal.use"):
        raise PermissionDenied()
    return actor


def declaration_submit(
    *,
    actor,
    community_code: str,
    address: str,
    arrived_on: dt.date,
    reason: str,
    phone: str = "",
    doc_type: str = "",
    doc_number: str = "",
    name: str = "",
    sex: str = "",
    birth_date: dt.date | None = None,
    hukou_address: str = "",
    source: str = "portal",
) -> StayDeclaration:
    """A migrant declares their own stay; the station of that community reviews it. Someone not yet on the
    register gives their identity, which the station checks against the document when it accepts.
    """
    _migrant(actor)
    problems: list[FieldProblem] = []
    community = Division.objects.filter(code=(community_code or "").strip(), level=Level.COMMUNITY).first()
    if community is None:
        problems.append(FieldProblem("community_code", "declaration.community", _("Choose your community")))
    address = " ".join((address or "").split())[:200]
    if not address:
        problems.append(FieldProblem("address", "declaration.address", _("Enter the address where you live")))
    if reason not in Reason.values:
        problems.append(FieldProblem("reason", "declaration.reason", _("Choose why you came")))
    today = china_today()
    if arrived_on is None or arrived_on > today:
        problems.append(
            FieldProblem("arrived_on", "declaration.arrived_on", _("Enter an arrival date not in the future"))
        )
    elif arrived_on < today - dt.timedelta(days=3660):
        problems.append(FieldProblem("arrived_on", "declaration.arrived_on", _("The arrival date is too far back")))
    identity = {}
    if actor.person_id is None:
        try:
            checked = person_check(
                PersonInput(
                    doc_type=doc_type or DocType.CITIZEN_ID,
                    doc_number=doc_number,
                    name=name,
                    sex=sex,
                    birth_date=birth_date,
                    hukou_address=hukou_address,
                    phone=actor.phone,
                )
            )
            values = checked.values
            identity = {
                "doc_type": values["doc_type"],
                "doc_number": values["doc_number"],
                "name": values["name"],
                "sex": values.get("sex", ""),
                "birth_date": values.get("birth_date"),
                "hukou_address": values.get("hukou_address", ""),
            }
        except InvalidInput as exc:
            problems.extend(exc.problems)
    if problems:
        raise InvalidInput(problems)
    if (
        actor.person_id is not None
        and Stay.objects.filter(person_id=actor.person_id, community=community, departed_on__isnull=True).exists()
    ):
        raise Conflict(
            _("You already have a registered stay in this community"),
            field="community_code",
            rule="declaration.already_registered",
        )
    with transaction.atomic():
        pending = StayDeclaration.objects.filter(account=actor, status=StayDeclaration.Status.PENDING).first()
        if pending is not None:
            raise Conflict(
                _("Your declaration of %(day)s is still waiting for review") % {"day": pending.created_at.date()},
                field="community_code",
                rule="declaration.pending",
                existing_id=pending.pk,
            )
        declaration = StayDeclaration.objects.create(
            account=actor,
            person_id=actor.person_id,
            phone=(phone or actor.phone or "")[:11],
            community=community,
            address=address,
            arrived_on=arrived_on,
            reason=reason,
            **identity,
        )
        audit_record(
            actor=actor,
            action="portal.declaration_submit",
            obj=declaration,
            division_code=community.code,
            source=source,
            changes={
                "community": community.code,
                "arrived_on": arrived_on,
                "reason": reason,
                "person": actor.person_id,
                "doc_number": mask_document_number(identity.get("doc_number", "")) if identity else "",
            },
        )
    return declaration


def _declaration_for_review(actor, declaration_id: int) -> StayDeclaration:
    if not actor.can("portal.review"):
        raise PermissionDenied()
    found = (
        scoped(StayDeclaration.objects.select_for_update(of=("self",)), actor)
        .select_related("account", "person")
        .filter(pk=declaration_id)
        .first()
    )
    if found is None:
        raise NotFound()
    if found.status != StayDeclaration.Status.PENDING:
        raise InvalidInput([FieldProblem("status", "declaration.reviewed", _("This declaration was already reviewed"))])
    return found


@transaction.atomic
def declaration_accept(
    *, actor, declaration_id: int, house_id: int | None = None, not_duplicate_of=(), source: str = "web"
) -> StayDeclaration:
    """The station accepts a declaration: the stay (and the person, if new) goes on the register as self-declared,
    the migrant's account is bound to that person, and the migrant is told.
    """
    from liuguan.registry.services.people import person_register
    from liuguan.registry.services.stays import StayInput, stay_register

    declaration = _declaration_for_review(actor, declaration_id)
    stay_input = StayInput(
        community_code=declaration.community_id,
        arrived_on=declaration.arrived_on,
        reason=declaration.reason,
        address=declaration.address,
        source_channel=SourceChannel.SELF,
        house_id=house_id or declaration.house_id,
    )
    person = declaration.person
    if person is None:
        person = person_by_document(declaration.doc_type, declaration.doc_number)
    if person is not None:
        stay = stay_register(actor=actor, person=person, stay=stay_input, source=source)
    else:
        registration = person_register(
            actor=actor,
            person=PersonInput(
                doc_type=declaration.doc_type,
                doc_number=declaration.doc_number,
                name=declaration.name,
                sex=declaration.sex,
                birth_date=declaration.birth_date,
                hukou_address=declaration.hukou_address,
                phone=declaration.phone,
            ),
            stay=stay_input,
            source=source,
            not_duplicate_of=not_duplicate_of,
            channel=SourceChannel.SELF,
        )
        person, stay = registration.person, registration.stay
    declaration.person = person
    declaration.stay = stay
    declaration.house_id = stay.house_id
    declaration.status = StayDeclaration.Status.ACCEPTED
    declaration.reviewed_by = actor
    declaration.reviewed_at = timezone.now()
    declaration.save()
    account = declaration.account
    if account.person_id is None:
        account.person = person
        account.save(update_fields=["person"])
    audit_record(
        actor=actor,
        action="portal.declaration_accept",
        obj=declaration,
        division_code=declaration.community_id,
        source=source,
        changes={"status": ["pending", "accepted"], "person": person.pk, "stay": stay.pk, "account": account.pk},
    )
    notify(
        person=person,
        title=_("Your stay declaration was accepted"),
        body=_("Your stay at %(address)s since %(day)s is registered.")
        % {"address": declaration.address, "day": declaration.arrived_on.isoformat()},
        link="/portal/requests/",
    )
    return declaration


@transaction.atomic
def declaration_reject(*, actor, declaration_id: int, reason: str, source: str = "web") -> StayDeclaration:
    """The station rejects a declaration, with the reason the migrant is told."""
    declaration = _declaration_for_review(actor, declaration_id)
    reason = " ".join((reason or "").split())[:300]
    if not reason:
        raise InvalidInput([FieldProblem("reason", "declaration.reject_reason", _("Give the reason for rejecting"))])
    declaration.status = StayDeclaration.Status.REJECTED
    declaration.reject_reason = reason
    declaration.reviewed_by = actor
    declaration.reviewed_at = timezone.now()
    declaration.save()
    audit_record(
        actor=actor,
        action="portal.declaration_reject",
        obj=declaration,
        division_code=declaration.community_id,
        source=source,
        changes={"status": ["pending", "rejected"], "reason": reason},
    )
    person = declaration.person or declaration.account.person
    if person is not None:
        notify(
            person=person,
            title=_("Your stay declaration was not accepted"),
            body=reason,
            link="/portal/requests/",
        )
    return declaration


@transaction.atomic
def grid_problem_report(
    *, actor, category_code: str, description: str, community_code: str, address: str = "", source: str = "portal"
):
    """A migrant reports a problem in their community as a resident; they hear of every step in the portal."""
    from liuguan.grid.models import Channel, Source
    from liuguan.grid.services.events import event_report

    _migrant(actor)
    event = event_report(
        actor=SYSTEM,
        category_code=category_code,
        description=description,
        community_code=community_code,
        address=address,
        source=Source.RESIDENT,
        reporter_name=actor.person.name if actor.person_id else "",
        reporter_phone=actor.phone,
        channel=Channel.PORTAL,
        audit_source=source,
    )
    # The grid's notices go to the reporter's account once it is named on the event.
    event.reporter = actor
    event.save(update_fields=["reporter"])
    audit_record(
        actor=actor,
        action="portal.grid_report",
        obj=event,
        division_code=event.community_id,
        source=source,
        changes={"number": event.number, "category": category_code},
    )
    return event
