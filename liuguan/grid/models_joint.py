"""Joint cases (长效联动): an event that needs several departments, split into parts, and recurring joint work.

- JointPart: one department's (or office's) part of a case, with its own deadline in working days, its own small
  state (open → accepted → done, or not responsible) and steps; the case closes only once every part has;
- JointPartStep: every change of a part's state, who, when and why;
- JointPlan: joint work that recurs (a quarterly inspection of a block of rental houses): a category, an area,
  the departments and their tasks, and a recurrence; the daily job opens a case when one is due.
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from liuguan.core.models import CommunityScoped
from liuguan.core.scoping import NOTHING, jurisdiction, within

from .models import EventCategory, GridEvent

USER = settings.AUTH_USER_MODEL


class PartState(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", pgettext_lazy("grid state", "Accepted")
    DONE = "done", _("Done")
    NOT_RESPONSIBLE = "not_responsible", _("Not responsible")


OPEN_PART_STATES = (PartState.OPEN, PartState.ACCEPTED)


class JointPart(CommunityScoped):
    """One unit's part of a joint case: its task, its own deadline and state; the case waits for every part."""

    case = models.ForeignKey(GridEvent, verbose_name=_("case"), on_delete=models.CASCADE, related_name="parts")
    community = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+")
    division = models.ForeignKey(
        "geo.Division", verbose_name=_("office"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "exchange.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    task = models.CharField(_("task"), max_length=300)
    days = models.PositiveSmallIntegerField(_("working days"))
    state = models.CharField(_("state"), max_length=20, choices=PartState.choices, default=PartState.OPEN)
    due_on = models.DateField(_("due"))
    overdue = models.BooleanField(_("late"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("joint case part")
        verbose_name_plural = _("joint case parts")
        ordering = ["case", "id"]
        indexes = [models.Index(fields=["state", "due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(division__isnull=True, department__isnull=False)
                | Q(division__isnull=False, department__isnull=True),
                name="grid_part_one_unit",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.division_id or self.department_id}"

    @classmethod
    def scope_filter(cls, user):
        """Like events: inside the jurisdiction; a department's users see its own parts and their cases' others."""
        code = jurisdiction(user)
        if code is None:
            return NOTHING
        q = within("community_id", code)
        department = getattr(user, "department_id", None)
        if department:
            mine = JointPart.objects.filter(case=OuterRef("case"), department_id=department)
            q &= Q(Exists(mine))
        return q

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_PART_STATES

    @property
    def unit_label(self) -> str:
        if self.department_id:
            return self.department.name
        return self.division.name if self.division_id else ""


class JointPartStep(models.Model):
    """One change of a part's state: who, when, from which state to which, and why."""

    part = models.ForeignKey(JointPart, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("action"), max_length=24)
    from_state = models.CharField(_("from"), max_length=20, choices=PartState.choices, blank=True)
    to_state = models.CharField(_("to"), max_length=20, choices=PartState.choices)
    actor = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(_("by"), max_length=150, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.part_id} {self.from_state}->{self.to_state}"


class JointPlan(CommunityScoped):
    """Recurring joint work: on each run a case opens in the area, split into the plan's parts.

    `parts` is a list of {"office_level" or "department_code", "task", "days"}; the recurrence is a cron
    expression (Asia/Shanghai; only its date matters) or every N months from the first run.
    """

    name = models.CharField(_("name"), max_length=100)
    category = models.ForeignKey(EventCategory, verbose_name=_("category"), on_delete=models.PROTECT)
    community = models.ForeignKey(
        "geo.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey("geo.Grid", verbose_name=_("grid"), null=True, blank=True, on_delete=models.PROTECT)
    description = models.CharField(_("what to do"), max_length=500)
    parts = models.JSONField(_("departments and tasks"), default=list)
    cron = models.CharField(_("cron expression"), max_length=60, blank=True)
    every_months = models.PositiveSmallIntegerField(_("every N months"), null=True, blank=True)
    next_run = models.DateField(_("next run"))
    active = models.BooleanField(_("active"), default=True)
    last_case = models.ForeignKey(GridEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("joint plan")
        verbose_name_plural = _("joint plans")
        ordering = ["next_run", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(~Q(cron="") & Q(every_months__isnull=True)) | (Q(cron="") & Q(every_months__gte=1)),
                name="grid_plan_one_recurrence",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def recurrence_label(self) -> str:
        if self.cron:
            return self.cron
        return _("every %(n)s months") % {"n": self.every_months}
