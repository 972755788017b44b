"""Writes of children's schooling: guardianship links, the school registry, applications from submission to
placement, hardship support, and school records (学籍) with their transfers. Each write is one transaction with
its audit event. A migrant acts only for their own children (`selectors.is_guardian`); an officer only inside
their jurisdiction; both refusals leave nothing written. Status changes of an application made through the
portal are told to the guardian who applied (portal notification).
"""

import datetime as dt
import uuid

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuguan.accounts.roles import Role
from liuguan.core.audit import audit_record
from liuguan.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.scoping import jurisdiction, scoped, within
from liuguan.geo.models import Division
from liuguan.registry.models import Person, Stay

from . import eligibility
from .models import (
    OPEN_STATUSES,
    Channel,
    EligibilityRules,
    EndReason,
    Guardianship,
    Level,
    Relation,
    School,
    SchoolApplication,
    SchoolKind,
    SchoolPlaces,
    SchoolRecord,
    Status,
)
from .selectors import is_guardian, places_left


def _bad(field: str, rule: str, message: str) -> InvalidInput:
    return InvalidInput([FieldProblem(field, rule, message)])


def _require(actor, permission: str) -> None:
    if not actor.can(permission):
        raise PermissionDenied()


def _is_migrant(actor) -> bool:
    return getattr(actor, "role", None) == Role.MIGRANT


def _person_for(actor, person_id: int) -> Person:
    """A person an officer may act on (inside their jurisdiction), or NotFound."""
    found = scoped(Person.objects.all(), actor).filter(pk=person_id).first()
    if found is None:
        raise NotFound()
    return found


def _school_for(actor, school_id: int, *, lock: bool = False) -> School:
    qs = School.objects.select_for_update() if lock else School.objects.all()
    found = scoped(qs, actor).filter(pk=school_id).first()
    if found is None:
        raise NotFound()
    return found


def _application_for(actor, application_id: int) -> SchoolApplication:
    qs = SchoolApplication.objects.select_for_update(of=("self",)).select_related("child", "guardian")
    if _is_migrant(actor):
        found = qs.filter(pk=application_id).first()
        if found is None or actor.person_id is None or not is_guardian(guardian=actor.person, child=found.child):
            raise NotFound()
        return found
    found = scoped(qs, actor).filter(pk=application_id).first()
    if found is None:
        raise NotFound()
    return found


def _audit(actor, action: str, obj, source: str, division_code: str = "", **changes) -> None:
    audit_record(
        actor=actor, action=f"schooling.{action}", obj=obj, division_code=division_code, changes=changes, source=source
    )


def _tell(application: SchoolApplication, title: str) -> None:
    """Tell the guardian who applied through the portal that their application changed."""
    if application.channel != Channel.PORTAL:
        return
    from liuguan.portal.services import notify

    notify(
        person=application.guardian,
        title=title,
        body=_("School application %(number)s: %(status)s")
        % {"number": application.number, "status": application.get_status_display()},
        link="/portal/",
    )


# Guardianship ----------------------------------------------------------------------------------------------


def guardianship_link(*, actor, child_id: int, guardian_id: int, relation: str, source: str = "web") -> Guardianship:
    """Link a child to a parent or guardian; the child must be younger than the guardian."""
    _require(actor, "guardianship.link")
    if relation not in Relation.values:
        raise _bad("relation", "schooling.relation", _("Choose father, mother or another guardian"))
    if child_id == guardian_id:
        raise _bad("guardian", "schooling.self_guardian", _("A child cannot be their own guardian"))
    with transaction.atomic():
        child = _person_for(actor, child_id)
        guardian = _person_for(actor, guardian_id)
        if guardian.birth_date >= child.birth_date:
            raise _bad("guardian", "schooling.guardian_younger", _("The guardian must be older than the child"))
        if Guardianship.objects.filter(child=child, guardian=guardian).exists():
            raise Conflict(_("This guardian is already linked to the child"), field="guardian", rule="schooling.linked")
        link = Guardianship.objects.create(child=child, guardian=guardian, relation=relation)
        _audit(actor, "guardianship_link", link, source, child=child.pk, guardian=guardian.pk, relation=relation)
    return link


# Schools ---------------------------------------------------------------------------------------------------


def _levels(levels) -> list[str]:
    chosen = [level for level in Level.values if level in set(levels or ())]
    if not chosen or len(chosen) != len(set(levels)):
        raise _bad("levels", "schooling.levels", _("Choose one or more of the levels taught"))
    return chosen


def _catchment(codes) -> list[str]:
    codes = sorted({str(c).strip() for c in codes or () if str(c).strip()})
    bad = [c for c in codes if len(c) not in (9, 12)]
    known = set(Division.objects.filter(code__in=codes).values_list("code", flat=True))
    if bad or len(known) != len(codes):
        raise _bad("catchment", "schooling.catchment", _("The catchment lists communities or townships by code"))
    return codes


def school_register(
    *,
    actor,
    name: str,
    kind: str,
    levels,
    community_code: str,
    address: str = "",
    catchment=(),
    places: dict | None = None,
    source: str = "web",
) -> School:
    """Register a school in a community of the officer's jurisdiction; places as {level: {year: n}}."""
    _require(actor, "school.manage")
    name = (name or "").strip()
    if not name:
        raise _bad("name", "schooling.name", _("Give the school's name"))
    if kind not in SchoolKind.values:
        raise _bad("kind", "schooling.kind", _("A school is public or private"))
    chosen = _levels(levels)
    with transaction.atomic():
        community = scoped(Division.objects.all(), actor).filter(code=community_code, level="community").first()
        own = jurisdiction(actor) or "-"
        if community is None or not community.code.startswith(own):
            raise _bad("community_code", "schooling.community", _("Choose a community inside your jurisdiction"))
        school = School.objects.create(
            name=name,
            kind=kind,
            levels=chosen,
            community=community,
            address=address.strip(),
            catchment=_catchment(catchment or [community.code]),
        )
        for level, years in (places or {}).items():
            for year, n in years.items():
                _set_places(school, level, int(year), int(n))
        _audit(actor, "school_register", school, source, community.code, name=name, kind=kind, levels=chosen)
    return school


def _set_places(school: School, level: str, year: int, places: int) -> SchoolPlaces:
    if level not in school.levels:
        raise _bad("level", "schooling.level_not_taught", _("The school does not teach this level"))
    if places < 0 or not 2000 <= year <= 2100:
        raise _bad("places", "schooling.places", _("Places are a number, 0 or more, for a school year"))
    row, _created = SchoolPlaces.objects.update_or_create(
        school=school, level=level, year=year, defaults={"places": places}
    )
    return row


def school_update(
    *,
    actor,
    school_id: int,
    name: str | None = None,
    kind: str | None = None,
    levels=None,
    address: str | None = None,
    catchment=None,
    active: bool | None = None,
    source: str = "web",
) -> School:
    """Change what the registry says about a school; the changes are audited field by field."""
    _require(actor, "school.manage")
    with transaction.atomic():
        school = _school_for(actor, school_id, lock=True)
        before = {f: getattr(school, f) for f in ("name", "kind", "levels", "address", "catchment", "active")}
        if name is not None:
            if not name.strip():
                raise _bad("name", "schooling.name", _("Give the school's name"))
            school.name = name.strip()
        if kind is not None:
            if kind not in SchoolKind.values:
                raise _bad("kind", "schooling.kind", _("A school is public or private"))
            school.kind = kind
        if levels is not None:
            school.levels = _levels(levels)
        if address is not None:
            school.address = address.strip()
        if catchment is not None:
            school.catchment = _catchment(catchment)
        if active is not None:
            school.active = bool(active)
        after = {f: getattr(school, f) for f in before}
        changed = {f: [before[f], after[f]] for f in before if before[f] != after[f]}
        if changed:
            school.save()
            _audit(actor, "school_update", school, source, school.community_id, **changed)
    return school


def school_places_set(*, actor, school_id: int, level: str, year: int, places: int, source: str = "web"):
    """Set the places a school offers at a level for a school year."""
    _require(actor, "school.manage")
    with transaction.atomic():
        school = _school_for(actor, school_id, lock=True)
        row = _set_places(school, level, year, places)
        _audit(actor, "school_places", school, source, school.community_id, level=level, year=year, places=places)
    return row


# Applications ----------------------------------------------------------------------------------------------


def next_school_year(today: dt.date) -> int:
    """The school year a place is asked for: this autumn's until 1 September, then next year's."""
    return today.year if today < dt.date(today.year, 9, 1) else today.year + 1


def _home_community(child: Person, guardian: Person) -> str | None:
    for person in (child, guardian):
        stay = Stay.objects.filter(person=person, departed_on__isnull=True).order_by("-arrived_on", "-id").first()
        if stay is not None:
            return stay.community_id
    return None


def _guardians(child: Person) -> list[Person]:
    ids = Guardianship.objects.filter(child=child).values_list("guardian_id", flat=True)
    return list(Person.objects.filter(pk__in=list(ids)).order_by("pk"))


def _evaluate(application: SchoolApplication, on: dt.date) -> None:
    rules = eligibility.rules_for(application.community_id, on)
    if rules is None:
        raise _bad("community", "schooling.no_rules", _("No eligibility rules are in force for this area"))
    result = eligibility.evaluate(
        rules=rules,
        child=application.child,
        guardians=_guardians(application.child),
        level=application.level,
        school_year=application.school_year,
        documents=application.documents,
        on=on,
    )
    application.rules = rules
    application.eligibility = result
    application.eligible = result["eligible"]


def school_application_submit(
    *,
    actor,
    child_id: int,
    level: str,
    school_id: int | None = None,
    documents=(),
    channel: str = "station",
    source: str = "web",
    guardian_id: int | None = None,
    school_year: int | None = None,
    fee_waiver: bool = False,
    boarding: bool = False,
    hardship_reason: str = "",
) -> SchoolApplication:
    """A guardian asks for a child's place; eligibility is found at once so the family sees each condition."""
    _require(actor, "school.apply")
    if level not in Level.values:
        raise _bad("level", "schooling.level", _("Choose a level"))
    if channel not in Channel.values:
        raise _bad("channel", "schooling.channel", _("Unknown channel"))
    hardship_reason = (hardship_reason or "").strip()[:300]
    if (fee_waiver or boarding) and not hardship_reason:
        raise _bad("hardship_reason", "schooling.hardship", _("Say what the hardship is"))
    documents = sorted({str(d) for d in documents or ()})
    with transaction.atomic():
        if _is_migrant(actor):
            guardian = actor.person
            child = Person.objects.filter(pk=child_id).first()
            if guardian is None or child is None or not is_guardian(guardian=guardian, child=child):
                raise NotFound()
            channel = Channel.PORTAL
        else:
            child = _person_for(actor, child_id)
            links = Guardianship.objects.filter(child=child)
            if guardian_id is not None:
                links = links.filter(guardian_id=guardian_id)
            link = links.select_related("guardian").order_by("pk").first()
            if link is None:
                raise _bad("guardian", "schooling.no_guardian", _("Link the child to the guardian who applies first"))
            guardian = link.guardian
        Person.objects.select_for_update().filter(pk=child.pk).first()
        today = china_today()
        year = school_year or next_school_year(today)
        school = None
        if school_id is not None:
            school = School.objects.filter(pk=school_id, active=True).first()
            if school is None or level not in school.levels:
                raise _bad("school_id", "schooling.school", _("Choose an active school that teaches this level"))
        if SchoolApplication.objects.filter(
            child=child, level=level, school_year=year, status__in=OPEN_STATUSES
        ).exists():
            raise Conflict(
                _("The child already has an open application for this level and year"),
                field="child_id",
                rule="schooling.open_application",
            )
        community = _home_community(child, guardian)
        if community is None:
            raise _bad(
                "child_id", "schooling.no_residence", _("Neither the child nor the guardian has a residence here")
            )
        application = SchoolApplication(
            number=f"T{uuid.uuid4().hex[:20]}",
            child=child,
            guardian=guardian,
            level=level,
            school_year=year,
            preferred_school=school,
            community_id=community,
            documents=documents,
            channel=channel,
            submitted_by=actor,
            fee_waiver_requested=bool(fee_waiver),
            boarding_requested=bool(boarding),
            hardship_reason=hardship_reason,
        )
        _evaluate(application, today)
        application.save()
        application.number = f"SA{year}{application.pk:07d}"
        application.save(update_fields=["number"])
        _audit(
            actor,
            "application_submit",
            application,
            source,
            community,
            child=child.pk,
            level=level,
            year=year,
            channel=channel,
            eligible=application.eligible,
        )
        _tell(application, _("School application received"))
    return application


def _refuse_state(application: SchoolApplication, allowed) -> None:
    if application.status not in allowed:
        raise _bad(
            "status",
            "schooling.state",
            _("Not possible while the application is %(status)s") % {"status": application.get_status_display()},
        )


def school_application_check(*, actor, application_id: int, source: str = "web") -> SchoolApplication:
    """The officer checks eligibility again on today's facts; the result is what the decision rests on."""
    _require(actor, "school.decide")
    with transaction.atomic():
        application = _application_for(actor, application_id)
        _refuse_state(application, OPEN_STATUSES)
        _evaluate(application, china_today())
        application.status = Status.CHECKED
        application.checked_at = timezone.now()
        application.save()
        _audit(actor, "application_check", application, source, application.community_id, eligible=application.eligible)
        _tell(application, _("School application checked"))
    return application


def _candidates(application: SchoolApplication):
    """Schools teaching the level with places left: catchment schools first, then the rest of the county."""
    county = application.community_id[:6]
    schools = [
        s
        for s in School.objects.filter(within("community_id", county), active=True).order_by("pk")
        if application.level in s.levels
    ]
    left = {s.pk: places_left(school=s, level=application.level, year=application.school_year) for s in schools}
    open_ = [s for s in schools if left[s.pk] > 0]
    served = [s for s in open_ if s.serves(application.community_id)]
    return served, open_


def school_application_place(
    *, actor, application_id: int, school_id: int | None = None, starts_on: dt.date | None = None, source: str = "web"
) -> SchoolApplication:
    """Place an eligible child within the places left, a catchment school first; the school record starts."""
    _require(actor, "school.decide")
    with transaction.atomic():
        application = _application_for(actor, application_id)
        _refuse_state(application, (Status.CHECKED,))
        if not application.eligible:
            raise _bad("eligible", "schooling.not_eligible", _("The child does not meet the conditions; refuse it"))
        served, open_ = _candidates(application)
        if school_id is None:
            preferred = application.preferred_school_id
            pick = next((s for s in served if s.pk == preferred), None) or (served or open_ or [None])[0]
            if pick is None:
                raise _bad("school_id", "schooling.no_places", _("No school nearby has places left at this level"))
            school = pick
        else:
            school = School.objects.select_for_update().filter(pk=school_id, active=True).first()
            if school is None or application.level not in school.levels:
                raise _bad("school_id", "schooling.school", _("Choose an active school that teaches this level"))
            if places_left(school=school, level=application.level, year=application.school_year) <= 0:
                raise _bad("school_id", "schooling.no_places", _("The school has no places left at this level"))
            if served and not school.serves(application.community_id):
                raise _bad(
                    "school_id",
                    "schooling.catchment_first",
                    _("%(school)s serves the family's area and has places left: place there first")
                    % {"school": served[0].name},
                )
        application.status = Status.PLACED
        application.placed_school = school
        application.decided_by = actor
        application.decided_at = timezone.now()
        application.save()
        begin = starts_on or max(dt.date(application.school_year, 9, 1), china_today())
        _record_begin(application.child, school, application.level, begin, application=application)
        _audit(actor, "application_place", application, source, application.community_id, school=school.pk)
        _tell(application, _("School place given"))
    return application


def school_application_refuse(*, actor, application_id: int, reason: str, source: str = "web") -> SchoolApplication:
    """Refuse an open application; the reason is told to the family."""
    _require(actor, "school.decide")
    reason = (reason or "").strip()
    if not reason:
        raise _bad("reason", "schooling.reason", _("Give the reason for refusing"))
    with transaction.atomic():
        application = _application_for(actor, application_id)
        _refuse_state(application, OPEN_STATUSES)
        application.status = Status.REFUSED
        application.reason = reason[:300]
        application.decided_by = actor
        application.decided_at = timezone.now()
        application.save()
        _audit(actor, "application_refuse", application, source, application.community_id, reason=reason)
        _tell(application, _("School application refused"))
    return application


def school_application_withdraw(*, actor, application_id: int, source: str = "web") -> SchoolApplication:
    """The family (or the desk on their behalf) withdraws an application not yet decided."""
    _require(actor, "school.withdraw")
    with transaction.atomic():
        application = _application_for(actor, application_id)
        _refuse_state(application, OPEN_STATUSES)
        application.status = Status.WITHDRAWN
        application.save()
        _audit(actor, "application_withdraw", application, source, application.community_id)
        _tell(application, _("School application withdrawn"))
    return application


def school_application_support_decide(
    *,
    actor,
    application_id: int,
    fee_waiver: bool | None = None,
    boarding: bool | None = None,
    source: str = "web",
) -> SchoolApplication:
    """Grant or refuse the fee waiver and boarding subsidy the family asked for on grounds of hardship."""
    _require(actor, "school.decide")
    with transaction.atomic():
        application = _application_for(actor, application_id)
        _refuse_state(application, (Status.CHECKED, Status.PLACED))
        if fee_waiver is None and boarding is None:
            raise _bad("fee_waiver", "schooling.support_nothing", _("Decide the fee waiver or the boarding subsidy"))
        if fee_waiver is not None and not application.fee_waiver_requested:
            raise _bad("fee_waiver", "schooling.not_requested", _("No fee waiver was asked for"))
        if boarding is not None and not application.boarding_requested:
            raise _bad("boarding", "schooling.not_requested", _("No boarding subsidy was asked for"))
        if fee_waiver is not None:
            application.fee_waiver_granted = bool(fee_waiver)
        if boarding is not None:
            application.boarding_granted = bool(boarding)
        application.save()
        _audit(
            actor,
            "application_support",
            application,
            source,
            application.community_id,
            fee_waiver=application.fee_waiver_granted,
            boarding=application.boarding_granted,
        )
        _tell(application, _("Hardship support decided"))
    return application


# School records (学籍) -------------------------------------------------------------------------------------


def _record_begin(child: Person, school: School, level: str, on: dt.date, application=None) -> SchoolRecord:
    """Start a record; an open record elsewhere ends the day before as a transfer (学籍变动)."""
    current = SchoolRecord.objects.select_for_update().filter(child=child, ended_on__isnull=True).first()
    if current is not None:
        if current.school_id == school.pk and current.level == level:
            raise Conflict(_("The child is already enrolled at this school"), field="school_id", rule="schooling.same")
        if on <= current.started_on:
            raise _bad("on", "schooling.before_start", _("The new record must start after the current one began"))
        current.ended_on = on - dt.timedelta(days=1)
        current.end_reason = EndReason.TRANSFER
        current.save(update_fields=["ended_on", "end_reason"])
    try:
        with transaction.atomic():
            return SchoolRecord.objects.create(
                child=child, school=school, level=level, started_on=on, application=application
            )
    except IntegrityError as exc:
        raise Conflict(_("The child already has an open school record"), field="child_id") from exc


def school_record_start(
    *, actor, child_id: int, school_id: int, level: str, started_on: dt.date, source: str = "web"
) -> SchoolRecord:
    """Open a child's school record at a school of the officer's area; the child must have none open."""
    _require(actor, "school.record")
    if level not in Level.values:
        raise _bad("level", "schooling.level", _("Choose a level"))
    with transaction.atomic():
        school = _school_for(actor, school_id)
        child = Person.objects.select_for_update().filter(pk=child_id).first()
        if child is None:
            raise NotFound()
        if level not in school.levels:
            raise _bad("level", "schooling.level_not_taught", _("The school does not teach this level"))
        if SchoolRecord.objects.filter(child=child, ended_on__isnull=True).exists():
            raise Conflict(_("The child already has an open record: transfer it"), field="child_id")
        record = _record_begin(child, school, level, started_on)
        _audit(actor, "record_start", record, source, school.community_id, child=child.pk, school=school.pk)
    return record


def school_record_transfer(
    *, actor, child_id: int, school_id: int, on: dt.date, level: str | None = None, source: str = "web"
) -> SchoolRecord:
    """Move a child's record to another school (the receiving school's area acts): one ends, the next begins."""
    _require(actor, "school.record")
    with transaction.atomic():
        school = _school_for(actor, school_id)
        child = Person.objects.select_for_update().filter(pk=child_id).first()
        current = SchoolRecord.objects.filter(child_id=child_id, ended_on__isnull=True).first()
        if child is None or current is None:
            raise NotFound()
        level = level or current.level
        if school.pk == current.school_id:
            raise _bad("school_id", "schooling.same_school", _("Choose another school"))
        if level not in school.levels:
            raise _bad("level", "schooling.level_not_taught", _("The school does not teach this level"))
        record = _record_begin(child, school, level, on)
        _audit(actor, "record_transfer", record, source, school.community_id, child=child.pk, left=current.school_id)
    return record


def school_record_end(*, actor, child_id: int, on: dt.date, reason: str, source: str = "web") -> SchoolRecord:
    """Close a child's open record: the level completed or the child left (a transfer has its own service)."""
    _require(actor, "school.record")
    if reason not in (EndReason.COMPLETED, EndReason.LEFT):
        raise _bad("reason", "schooling.end_reason", _("A record ends completed or left"))
    with transaction.atomic():
        record = (
            scoped(SchoolRecord.objects.select_for_update(of=("self",)), actor)
            .filter(child_id=child_id, ended_on__isnull=True)
            .first()
        )
        if record is None:
            raise NotFound()
        if on < record.started_on:
            raise _bad("on", "schooling.before_start", _("A record cannot end before it began"))
        record.ended_on = on
        record.end_reason = reason
        record.save(update_fields=["ended_on", "end_reason"])
        _audit(actor, "record_end", record, source, record.school.community_id, reason=reason, on=on)
    return record


# Rules -----------------------------------------------------------------------------------------------------


def schooling_rules_load(*, actor=None, source: str = "command") -> list[EligibilityRules]:
    """Load the shipped rule sets; a version already loaded is left as it is (decisions point at it)."""
    from liuguan.core.audit import SYSTEM

    loaded = []
    with transaction.atomic():
        for code in eligibility.shipped_rules():
            content = eligibility.rules_content(code)
            row, created = EligibilityRules.objects.get_or_create(
                code=code,
                version=content["version"],
                defaults={
                    "title": content["title"],
                    "prefix": content.get("prefix", ""),
                    "effective_from": dt.date.fromisoformat(content["effective_from"]),
                    "source": content.get("source", ""),
                    "content": content,
                },
            )
            if created:
                loaded.append(row)
                _audit(actor or SYSTEM, "rules_load", row, source, code=code, version=row.version)
    return loaded


__all__ = [
    "guardianship_link",
    "school_application_check",
    "school_application_place",
    "school_application_refuse",
    "school_application_submit",
    "school_application_support_decide",
    "school_application_withdraw",
    "school_places_set",
    "school_record_end",
    "school_record_start",
    "school_record_transfer",
    "school_register",
    "school_update",
    "schooling_rules_load",
]
