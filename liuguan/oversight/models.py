"""Municipal management (市级管理): the measured quality of the register and the work that keeps it true.

- Summary cells of registrations and open stays, refreshed incrementally, so timeliness and staleness at
  province scale answer from a few hundred thousand rows instead of every stay;
- spot checks (抽查): a random sample of each collector's records, verified in the field by someone else,
  field by field; the error rate and its interval come from these;
- feedback tasks (倒查、反馈): a wrong field traced back to whoever set it, with a deadline and escalation;
- verification sweeps (集中清理): every house with open stays, and every let house, in an area and a window,
  split across the grid workers.

Area-wide objects (a spot-check round, a sweep) belong to a division: visible to officers at or above it
and to field workers inside it. Per-record work (a check, a task, a sweep task) carries its community and
is scoped like any located record; the person it is assigned to always sees their own.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.core.models import CommunityScoped
from liuguan.core.scoping import NOTHING, jurisdiction, within

USER = settings.AUTH_USER_MODEL


def _area_filter(user, field: str = "division__code") -> Q:
    """Inside the user's jurisdiction, or an area that contains it (a sweep of my township reaches me)."""
    code = jurisdiction(user)
    if code is None:
        return NOTHING
    ancestors = [code[:n] for n in (2, 4, 6, 9, 12) if n <= len(code)]
    return Q(**{f"{field}__startswith": code}) | Q(**{f"{field}__in": ancestors})


def _assigned_or_within(user, assignee: str) -> Q:
    code = jurisdiction(user)
    if code is None:
        return NOTHING
    return within("community_id", code) | Q(**{assignee: user.pk})


# -- summary cells ----------------------------------------------------------------------------------------------


class RegistrationCell(models.Model):
    """How many stays were registered in a month, in a community, by a collector at a point, with a given lag.

    One row per distinct (month, community, collector, point, channel, lag, late); lags above LAG_CAP days
    are counted at LAG_CAP, which changes no percentile a scorecard shows (deadlines are days, not months).
    """

    LAG_CAP = 366

    month = models.DateField()
    community = models.CharField(max_length=12)
    collector_id = models.BigIntegerField(null=True)
    point_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=12)
    lag = models.IntegerField(null=True)
    late = models.BooleanField(default=False)
    n = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["community", "month"], name="regcell_community_month"),
            models.Index(fields=["month"], name="regcell_month"),
            models.Index(fields=["collector_id", "month"], name="regcell_collector_month"),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.community} lag={self.lag}: {self.n}"


class OpenStayCell(models.Model):
    """Open stays per community, collector and point by the month they were last confirmed (or registered)."""

    community = models.CharField(max_length=12)
    collector_id = models.BigIntegerField(null=True)
    point_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=12)
    checked_month = models.DateField()
    n = models.IntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["community"], name="opencell_community"),
            models.Index(fields=["collector_id"], name="opencell_collector"),
        ]

    def __str__(self) -> str:
        return f"{self.community} {self.checked_month:%Y-%m}: {self.n}"


class CellsState(models.Model):
    """How far the cells are refreshed: the last audit event whose area they include."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    audit_event_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True)
    rebuilt_at = models.DateTimeField(null=True)

    def __str__(self) -> str:
        return f"cells at event {self.audit_event_id}"


# -- spot checks ------------------------------------------------------------------------------------------------


class SpotCheckRound(models.Model):
    """A period's random sample of each collector's registrations in an area, to be verified in the field."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    number = models.CharField(_("number"), max_length=32, unique=True)
    division = models.ForeignKey("geo.Division", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(_("registered from"))
    period_end = models.DateField(_("registered until"))
    sample_size = models.PositiveSmallIntegerField(_("records per collector"))
    # The fields a verifier confirms or corrects, in order; the random draw's seed, so it can be repeated.
    fields = models.JSONField(_("fields checked"), default=list)
    seed = models.BigIntegerField()
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("spot-check round")
        verbose_name_plural = _("spot-check rounds")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def scope_filter(cls, user):
        return _area_filter(user)


class SpotCheckStratum(models.Model):
    """How many records a collector registered in a community in the round's period, and how many were drawn.

    The strata of the stratified error-rate estimate: a collector's sample is a simple random sample of
    their records, so the part that falls in one community is one of that community's records too.
    """

    round = models.ForeignKey(SpotCheckRound, on_delete=models.CASCADE, related_name="strata")
    collector = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    community = models.CharField(max_length=12)
    records = models.PositiveIntegerField()
    drawn = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "collector", "community"], name="spotcheck_one_stratum")
        ]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.collector_id}@{self.community}"


class SpotCheck(CommunityScoped):
    """One sampled record, verified in the field by someone other than its collector, field by field."""

    class Status(models.TextChoices):
        ASSIGNED = "assigned", _("To verify")
        DONE = "done", _("Verified")
        UNREACHABLE = "unreachable", _("Could not be verified")

    round = models.ForeignKey(SpotCheckRound, on_delete=models.CASCADE, related_name="checks")
    stay = models.ForeignKey("registry.Stay", on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+")
    collector = models.ForeignKey(
        USER, verbose_name=_("collector"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    verifier = models.ForeignKey(
        USER, verbose_name=_("verifier"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ASSIGNED)
    # {field: {"verdict": "confirmed" | "corrected", "recorded": value, "found": value}}
    results = models.JSONField(_("results"), default=dict, blank=True)
    fields_checked = models.PositiveSmallIntegerField(default=0)
    fields_corrected = models.PositiveSmallIntegerField(default=0)
    note = models.CharField(_("note"), max_length=200, blank=True)
    done_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    done_at = models.DateTimeField(_("verified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")
        constraints = [models.UniqueConstraint(fields=["round", "stay"], name="spotcheck_once_per_round")]
        indexes = [models.Index(fields=["verifier", "status"]), models.Index(fields=["collector", "status"])]

    def __str__(self) -> str:
        return f"{self.round_id}:{self.stay_id}"

    @classmethod
    def scope_filter(cls, user):
        return _assigned_or_within(user, "verifier_id")

    @property
    def is_wrong(self) -> bool:
        return self.fields_corrected > 0


# -- feedback tasks ---------------------------------------------------------------------------------------------


class FeedbackTask(CommunityScoped):
    """A wrong field sent back to whoever set it: fix it or dispute it by the deadline, or it escalates."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        FIXED = "fixed", _("Fixed")
        DISPUTED = "disputed", _("Disputed")
        UPHELD = "upheld", _("Dispute upheld: the record was right")
        OVERRULED = "overruled", _("Dispute overruled: corrected by the officer")

    class Origin(models.TextChoices):
        SPOT_CHECK = "spot_check", _("Spot check")
        SWEEP = "sweep", _("Verification sweep")
        OFFICER = "officer", _("Officer")

    class Level(models.IntegerChoices):
        COLLECTOR = 0, _("Collector")
        STATION = 1, _("Station officer")
        STREET = 2, _("Street officer")

    number = models.CharField(_("number"), max_length=32, unique=True)
    community = models.ForeignKey(
        "geo.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    # The record and the field: "registry.person" or "registry.stay", its id, and the field's name.
    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    field = models.CharField(_("field"), max_length=40)
    person = models.ForeignKey("registry.Person", verbose_name=_("person"), on_delete=models.CASCADE, related_name="+")
    stay = models.ForeignKey("registry.Stay", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_value = models.JSONField(_("recorded"), null=True, blank=True)
    found_value = models.JSONField(_("found"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    origin = models.CharField(_("origin"), max_length=12, choices=Origin.choices)
    spot_check = models.ForeignKey(SpotCheck, null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks")
    # Who set the field and when (from its history): the task goes back to them.
    collector = models.ForeignKey(
        USER, verbose_name=_("set by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    set_at = models.DateTimeField(_("set at"), null=True, blank=True)
    set_channel = models.CharField(max_length=12, blank=True)
    # Who must act now: the collector, then (overdue) the station officer, then the street officer.
    assignee = models.ForeignKey(
        USER, verbose_name=_("assigned to"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    level = models.PositiveSmallIntegerField(_("level"), choices=Level.choices, default=Level.COLLECTOR)
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    resolved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    class Meta:
        verbose_name = _("feedback task")
        verbose_name_plural = _("feedback tasks")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(fields=["assignee", "status"]),
            models.Index(fields=["collector", "status"]),
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["status", "due_on"]),
        ]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def scope_filter(cls, user):
        return _assigned_or_within(user, "assignee_id") | (
            NOTHING if jurisdiction(user) is None else Q(collector_id=user.pk)
        )


class FeedbackEvent(models.Model):
    """One step of a feedback task's life: opened, escalated, fixed, disputed, upheld, overruled."""

    task = models.ForeignKey(FeedbackTask, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=16)
    actor = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=300, blank=True)
    # The assignee after this step (escalation changes it).
    assignee = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.task_id} {self.action}"


# -- verification sweeps ----------------------------------------------------------------------------------------


class Sweep(models.Model):
    """A verification sweep (集中清理) of an area in a window: every house with open stays and every let house."""

    class Status(models.TextChoices):
        OPEN = "open", _("Under way")
        CLOSED = "closed", _("Closed")

    number = models.CharField(_("number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=100)
    division = models.ForeignKey("geo.Division", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("starts"))
    ends_on = models.DateField(_("ends"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    closed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # What the sweep changed, written when it closes: counts per outcome, stays ended, people found, fields fixed.
    report = models.JSONField(_("closing report"), default=dict, blank=True)

    class Meta:
        verbose_name = _("verification sweep")
        verbose_name_plural = _("verification sweeps")
        ordering = ["-starts_on", "-id"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_filter(cls, user):
        return _area_filter(user)


class SweepTask(CommunityScoped):
    """One house to visit in a sweep, given to its grid's worker; it ends with what was found there."""

    class Outcome(models.TextChoices):
        PRESENT = "present", _("Everyone present")
        LEFT = "left", _("Someone has left")
        NEW_PERSON = "new_person", _("New person found")
        CORRECTED = "corrected", _("Record corrected")

    sweep = models.ForeignKey(Sweep, on_delete=models.CASCADE, related_name="tasks")
    house = models.ForeignKey("registry.House", verbose_name=_("house"), on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+")
    grid = models.ForeignKey("geo.Grid", verbose_name=_("grid"), null=True, blank=True, on_delete=models.SET_NULL)
    worker = models.ForeignKey(
        USER, verbose_name=_("grid worker"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Open stays at the house when the sweep began: what the worker confirms or ends.
    stays_expected = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(_("outcome"), max_length=12, choices=Outcome.choices, blank=True)
    # {"present": [stay ids], "left": [stay ids], "new": [stay ids], "corrected": [{"object", "field"}]}
    details = models.JSONField(default=dict, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    done_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("sweep task")
        verbose_name_plural = _("sweep tasks")
        constraints = [models.UniqueConstraint(fields=["sweep", "house"], name="sweep_house_once")]
        indexes = [models.Index(fields=["worker", "outcome"])]

    def __str__(self) -> str:
        return f"{self.sweep_id}:{self.house_id}"

    @classmethod
    def scope_filter(cls, user):
        return _assigned_or_within(user, "worker_id")


class OmissionCell(models.Model):
    """The two lists of the omission estimate counted per community, part of the domain and group of houses.

    `part` is "tenants" or "employees" (the post-strata) with n1, n2 and m, or "outside" with n1 = registered
    residents outside both lists' reach; `grp` is the house (or employer) id modulo the number of jackknife
    groups the design effect is measured over. Sums over communities give any area's counts, since every
    person-at-a-place belongs to one community.
    """

    community = models.CharField(max_length=12)
    part = models.CharField(max_length=10)
    grp = models.SmallIntegerField()
    n1 = models.IntegerField()
    n2 = models.IntegerField()
    m = models.IntegerField()

    class Meta:
        indexes = [models.Index(fields=["community"], name="omitcell_community")]

    def __str__(self) -> str:
        return f"{self.community} {self.part} {self.grp}: {self.n1}/{self.n2}/{self.m}"
