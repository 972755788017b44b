"""Joint cases (长效联动): an event split into parts, one per department or office, each tracked to its end.

A desk officer splits an event into parts: each names a unit (an office level of the event's area, or a
department), its task and its working days; the event becomes a joint case coordinated by the community's
station, in progress. Each part goes open → accepted → done, or "not responsible" (with a note; naming the
unit that is opens a part for it instead). When the last part closes the case is disposed by the system and
goes on like any event (the check on the spot, the closing, the reporter's survey); until then it cannot be
disposed of or closed. A part past its deadline is supervised like an event: a yellow card to its unit, then a
red card to the level above (services/supervision.py).

Joint plans open such cases on a recurrence, once per plan and period (`joint_plans_run`, daily).
"""

import datetime as dt
from dataclasses import dataclass

from apscheduler.triggers.cron import CronTrigger
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from liuguan.core.audit import SYSTEM, audit_record
from liuguan.core.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied
from liuguan.core.identity import china_today
from liuguan.core.scoping import jurisdiction, scoped
from liuguan.core.workdays import add_working_days
from liuguan.geo.models import Division, Grid

from ..models import EventCategory, GridEvent, Source, Stage, State, Supervision
from ..models_joint import OPEN_PART_STATES, JointPart, JointPartStep, JointPlan, PartState
from .events import _actor_user, _is_system, _note, _send, event_report, route_target

JOINABLE = (State.DISCOVERED, State.TRANSMITTED, State.ACCEPTED, State.IN_PROGRESS)
PLAN_RULE = "joint_plan"


@dataclass(frozen=True)
class PartSpec:
    """One unit's part: an office level of the event's area or a department, what it must do, in working days."""

    task: str
    days: int
    office_level: str = ""
    department_code: str = ""

    @classmethod
    def from_json(cls, row: dict) -> "PartSpec":
        return cls(
            task=str(row.get("task", "")),
            days=int(row.get("days") or 0),
            office_level=str(row.get("office_level", "")),
            department_code=str(row.get("department_code", "")),
        )

    def as_json(self) -> dict:
        return {
            "office_level": self.office_level,
            "department_code": self.department_code,
            "task": self.task,
            "days": self.days,
        }


def _check_specs(event: GridEvent, specs: list[PartSpec]) -> list[tuple[PartSpec, str | None, str | None]]:
    problems, units = [], []
    if len(specs) < 2:
        problems.append(FieldProblem("parts", "grid.joint_parts", _("A joint case needs at least two units")))
    for n, spec in enumerate(specs, 1):
        if not spec.task.strip():
            problems.append(FieldProblem(f"task_{n}", "grid.joint_task", _("Say what this unit must do")))
        if not 1 <= spec.days <= 60:
            problems.append(FieldProblem(f"days_{n}", "grid.joint_days", _("Between 1 and 60 working days")))
        try:
            division, department = route_target(
                event, office_level=spec.office_level or "", department_code=spec.department_code or ""
            )
        except InvalidInput as exc:
            problems.extend(FieldProblem(f"unit_{n}", p.rule, p.message) for p in exc.problems)
            continue
        if (division, department) in [(d, p) for _s, d, p in units]:
            problems.append(FieldProblem(f"unit_{n}", "grid.joint_unit_twice", _("Each unit takes one part")))
        units.append((spec, division, department))
    if problems:
        raise InvalidInput(problems)
    return units


def _part_step(part: JointPart, action: str, to_state: str, actor, note: str = "") -> JointPartStep:
    step = JointPartStep.objects.create(
        part=part,
        action=action,
        from_state=part.state if action != "open" else "",
        to_state=to_state,
        actor=_actor_user(actor),
        actor_label=str(getattr(actor, "full_name", "") or getattr(actor, "username", "")),
        note=_note(note),
    )
    part.state = to_state
    return step


def _open_part(event: GridEvent, spec: PartSpec, division, department, actor, today: dt.date) -> JointPart:
    part = JointPart.objects.create(
        case=event,
        community_id=event.community_id,
        division_id=division,
        department_id=department,
        task=_note(spec.task, 300),
        days=spec.days,
        due_on=add_working_days(today, spec.days),
    )
    _part_step(part, "open", PartState.OPEN, actor, spec.task)
    return part


def _audit(event: GridEvent, action: str, actor, source: str, **changes) -> None:
    audit_record(
        actor=actor,
        action=f"grid_joint.{action}",
        obj=event,
        division_code=event.community_id,
        source=source,
        changes={"number": event.number, **changes},
    )


@transaction.atomic
def joint_case_open(*, actor, event_id: int, parts: list[PartSpec], note: str = "", source: str = "web") -> GridEvent:
    """A desk splits an event into parts, one per unit, each with its deadline; the station coordinates it."""
    qs = GridEvent.objects.select_for_update().select_related("category")
    if not _is_system(actor):
        if not actor.can("grid.route"):
            raise PermissionDenied()
        qs = scoped(qs, actor)
    event = qs.filter(pk=event_id).first()
    if event is None:
        raise NotFound()
    if event.joint or event.state not in JOINABLE:
        raise InvalidInput(
            [
                FieldProblem(
                    "state", "grid.joint_state", _("Only an open event that is not yet a joint case can be split")
                )
            ]
        )
    units = _check_specs(event, parts)
    today = china_today()
    created = [_open_part(event, spec, division, department, actor, today) for spec, division, department in units]
    event.joint = True
    event.assigned_division_id, event.assigned_department_id = event.community_id, None
    # The parts carry the deadlines now; the case as a whole is not supervised twice.
    event.dispose_due = None
    labels = "、".join(p.unit_label for p in JointPart.objects.filter(pk__in=[p.pk for p in created]))
    _send(
        event,
        "joint",
        State.IN_PROGRESS,
        actor,
        _note(f"{_('Joint case')}: {labels}. {note}"),
        routed_division_id=event.community_id,
    )
    event.save()
    _audit(event, "open", actor, source, parts=[[p.division_id, p.department_id, p.due_on] for p in created])
    return event


def in_part_unit(user, part: JointPart) -> bool:
    if part.department_id:
        return getattr(user, "department_id", None) == part.department_id
    return bool(user.division_id) and user.division_id == part.division_id and user.can("grid.dispose")


PART_ACTIONS = {
    "accept": ((PartState.OPEN,), PartState.ACCEPTED),
    "done": ((PartState.ACCEPTED,), PartState.DONE),
    "not_responsible": ((PartState.OPEN, PartState.ACCEPTED), PartState.NOT_RESPONSIBLE),
}


def part_actions(user, part: JointPart) -> list[str]:
    """What this user may do with the part now (its unit's people only)."""
    if not user.can("grid.dispose") or not in_part_unit(user, part):
        return []
    return [a for a, (sources, _t) in PART_ACTIONS.items() if part.state in sources]


@transaction.atomic
def joint_part_act(
    *,
    actor,
    part_id: int,
    action: str,
    note: str = "",
    office_level: str = "",
    department_code: str = "",
    source: str = "web",
) -> JointPart:
    """The part's unit accepts it, says it is done, or says it is not responsible (naming who is, optionally).

    The last part to close disposes of the case.
    """
    if action not in PART_ACTIONS:
        raise InvalidInput([FieldProblem("action", "grid.action", _("No such action"))])
    part = (
        scoped(JointPart.objects.select_for_update(of=("self",)), actor)
        .select_related("case__category", "department", "division")
        .filter(pk=part_id)
        .first()
    )
    if part is None:
        raise NotFound()
    if not actor.can("grid.dispose") or not in_part_unit(actor, part):
        raise PermissionDenied()
    sources, target = PART_ACTIONS[action]
    if part.state not in sources:
        raise InvalidInput(
            [
                FieldProblem(
                    "state",
                    "grid.part_transition",
                    _("A part that is %(state)s cannot be given the step “%(action)s”.")
                    % {"state": PartState(part.state).label, "action": action},
                )
            ]
        )
    note = _note(note)
    if action in ("done", "not_responsible") and not note:
        raise InvalidInput([FieldProblem("note", "grid.note_required", _("Say what was done"))])
    event = GridEvent.objects.select_for_update().select_related("category").get(pk=part.case_id)
    replacement = None
    if action == "not_responsible" and (office_level or department_code):
        division, department = route_target(event, office_level=office_level, department_code=department_code)
        if (
            event.parts.filter(division_id=division, department_id=department)
            .filter(state__in=OPEN_PART_STATES)
            .exists()
        ):
            raise InvalidInput(
                [FieldProblem("responsible", "grid.joint_unit_twice", _("That unit already has an open part"))]
            )
        replacement = (PartSpec(task=part.task, days=part.days), division, department)
    today = china_today()
    _part_step(part, action, target, actor, note)
    if target in (PartState.DONE, PartState.NOT_RESPONSIBLE):
        part.closed_at = timezone.now()
        part.overdue = part.overdue or today > part.due_on
        Supervision.objects.filter(part=part, resolved_at__isnull=True).update(resolved_at=timezone.now())
    part.save()
    if replacement is not None:
        spec, division, department = replacement
        _open_part(event, spec, division, department, SYSTEM, today)
    _audit(event, f"part_{action}", actor, source, part=part.pk, unit=part.division_id or part.department_id)
    if not event.parts.filter(state__in=OPEN_PART_STATES).exists() and event.state == State.IN_PROGRESS:
        _send(event, "parts_done", State.DISPOSED, SYSTEM, _("Every part of the joint case is closed."))
        event.save()
        _audit(event, "parts_done", SYSTEM, source)
    return part


# -- supervision of parts ----------------------------------------------------------------------------------------


def _level_above(part: JointPart) -> str | None:
    from .supervision import PARENT_LENGTH

    if part.division_id:
        length = PARENT_LENGTH.get(len(part.division_id))
        return part.division_id[:length] if length else None
    return part.community_id[:6]


def supervise_parts(today: dt.date, red_after: int) -> dict[str, int]:
    """Overdue parts: marked late, a yellow card to the part's unit, then a red card to the level above."""
    from liuguan.core.workdays import working_days_between

    counts = {"overdue": 0, "yellow": 0, "red": 0}
    late = JointPart.objects.filter(state__in=OPEN_PART_STATES, due_on__lt=today).select_related("case")
    for part in late.order_by("pk"):
        counts["overdue"] += 1
        if not part.overdue:
            JointPart.objects.filter(pk=part.pk).update(overdue=True)
        cards = {c.card: c for c in Supervision.objects.filter(part=part, due_on=part.due_on)}
        yellow = cards.get(Supervision.Card.YELLOW)
        if yellow is None:
            _part_card(part, Supervision.Card.YELLOW, today)
            counts["yellow"] += 1
        elif Supervision.Card.RED not in cards and working_days_between(yellow.issued_on, today) >= red_after:
            _part_card(part, Supervision.Card.RED, today)
            counts["red"] += 1
    return counts


def _part_card(part: JointPart, card: str, today: dt.date) -> None:
    try:
        with transaction.atomic():
            Supervision.objects.create(
                event=part.case,
                part=part,
                community_id=part.community_id,
                stage=Stage.PART,
                card=card,
                due_on=part.due_on,
                held_division_id=part.division_id,
                held_department_id=part.department_id,
                to_division_id=part.division_id
                if card == Supervision.Card.YELLOW and part.division_id
                else (_level_above(part) if card == Supervision.Card.RED else None),
                issued_on=today,
            )
            audit_record(
                actor=SYSTEM,
                action=f"grid_joint.{card}_card",
                obj=part.case,
                division_code=part.community_id,
                source="job",
                changes={"number": part.case.number, "part": part.pk, "due_on": part.due_on},
            )
    except IntegrityError:
        pass  # another run issued it first


# -- plans -------------------------------------------------------------------------------------------------------


def next_run_after(plan: JointPlan, day: dt.date) -> dt.date:
    """The first day after `day` the plan recurs on: by its cron expression, or every N months from its last run."""
    if plan.cron:
        trigger = CronTrigger.from_crontab(plan.cron, timezone=settings.TIME_ZONE)
        tz = timezone.get_default_timezone()
        start = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min), tz)
        fire = trigger.get_next_fire_time(None, start)
        return timezone.localtime(fire, tz).date()
    from liuguan.permits.policy import add_months

    following = plan.next_run
    while following <= day:
        following = add_months(following, plan.every_months)
    return following


@transaction.atomic
def joint_plan_create(
    *,
    actor,
    name: str,
    category_code: str,
    community_code: str,
    description: str,
    parts: list[PartSpec],
    first_run: dt.date,
    cron: str = "",
    every_months: int | None = None,
    grid_code: str = "",
    source: str = "web",
) -> JointPlan:
    """Recurring joint work in a community: its departments and tasks, and when it comes round."""
    if not actor.can("grid.route"):
        raise PermissionDenied()
    problems = []
    category = EventCategory.objects.filter(pk=category_code, active=True).first()
    if category is None:
        problems.append(FieldProblem("category", "grid.category", _("Choose a category")))
    code = jurisdiction(actor) or "-"
    community = Division.objects.filter(pk=community_code, level="community").first()
    if community is None or not community.code.startswith(code):
        problems.append(FieldProblem("community", "grid.community_in_scope", _("No such community in your area")))
    grid = None
    if grid_code:
        grid = scoped(Grid.objects.all(), actor).filter(code=grid_code, community_id=community_code).first()
        if grid is None:
            problems.append(FieldProblem("grid", "grid.grid", _("No such grid in that community")))
    cron = " ".join((cron or "").split())
    if bool(cron) == bool(every_months):
        problems.append(
            FieldProblem("cron", "grid.plan_recurrence", _("Give either a cron expression or every N months"))
        )
    elif cron:
        try:
            CronTrigger.from_crontab(cron, timezone=settings.TIME_ZONE)
        except ValueError:
            problems.append(
                FieldProblem("cron", "grid.plan_cron", _("Not a cron expression (minute hour day month weekday)"))
            )
    elif not 1 <= every_months <= 60:
        problems.append(FieldProblem("every_months", "grid.plan_months", _("Between 1 and 60 months")))
    if first_run < china_today():
        problems.append(FieldProblem("first_run", "grid.plan_first_run", _("The first run cannot be in the past")))
    if not (description or "").strip():
        problems.append(FieldProblem("description", "grid.description", _("Say what the joint work is")))
    if problems:
        raise InvalidInput(problems)
    probe = GridEvent(community_id=community_code, category=category)
    _check_specs(probe, parts)
    plan = JointPlan.objects.create(
        name=_note(name, 100) or category.name,
        category=category,
        community=community,
        grid=grid,
        description=_note(description),
        parts=[p.as_json() for p in parts],
        cron=cron,
        every_months=None if cron else every_months,
        next_run=first_run,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        action="grid_joint.plan_create",
        obj=plan,
        division_code=community_code,
        source=source,
        changes={"name": plan.name, "parts": plan.parts, "cron": cron, "every_months": every_months},
    )
    return plan


def joint_plans_run(today: dt.date | None = None) -> dict[str, int]:
    """Open a case for each active plan that is due, once per plan and period (the period is its run date)."""
    today = today or china_today()
    counts = {"opened": 0, "skipped": 0}
    due = list(JointPlan.objects.filter(active=True, next_run__lte=today).order_by("pk").values_list("pk", flat=True))
    for pk in due:
        with transaction.atomic():
            plan = JointPlan.objects.select_for_update(of=("self",)).select_related("grid").filter(pk=pk).first()
            if plan is None or not plan.active or plan.next_run > today:
                continue
            key = f"plan:{plan.pk}:{plan.next_run.isoformat()}"
            if GridEvent.objects.filter(rule=PLAN_RULE, rule_key=key).exists():
                counts["skipped"] += 1
            else:
                event = event_report(
                    actor=SYSTEM,
                    category_code=plan.category_id,
                    description=f"{plan.name}：{plan.description}",
                    community_code=plan.community_id,
                    grid_code=plan.grid.code if plan.grid_id else "",
                    source=Source.SYSTEM,
                    rule=PLAN_RULE,
                    rule_key=key,
                    audit_source="job",
                )
                joint_case_open(
                    actor=SYSTEM,
                    event_id=event.pk,
                    parts=[PartSpec.from_json(row) for row in plan.parts],
                    note=plan.name,
                    source="job",
                )
                plan.last_case = event
                counts["opened"] += 1
            plan.next_run = next_run_after(plan, today)
            plan.save(update_fields=["next_run", "last_case"])
    return counts
