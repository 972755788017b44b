"""Batch runs, the review queue of likely duplicates, merges (with undo) and the tasks the results raise."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.core.models import CommunityScoped
from liuguan.core.scoping import NOTHING, jurisdiction

USER = settings.AUTH_USER_MODEL


class LinkageRun(models.Model):
    """One batch run of entity resolution over every source of person records in this instance."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Trigger(models.TextChoices):
        PAGE = "page", _("Started on the page")
        API = "api", _("Started through the API")
        SCHEDULE = "schedule", _("Schedule")
        COMMAND = "command", _("Command")

    requested_by = models.ForeignKey(
        USER, verbose_name=_("started by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices, default=Trigger.PAGE)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    model_version = models.ForeignKey(
        "linkage.ModelVersion",
        verbose_name=_("model"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="runs",
    )
    review_threshold = models.FloatField(_("review threshold"), default=0.5)
    auto_threshold = models.FloatField(_("near-certain threshold"), default=0.99)
    # {"registry.person": 20412, "outflow.expectedarrival": 310, ...}
    sources = models.JSONField(_("sources"), default=dict, blank=True)
    records = models.PositiveIntegerField(_("records"), default=0)
    pairs = models.PositiveIntegerField(_("pairs"), default=0)
    clusters = models.PositiveIntegerField(_("clusters"), default=0)
    queued = models.PositiveIntegerField(_("pairs for review"), default=0)
    tasks = models.PositiveIntegerField(_("tasks opened"), default=0)
    seconds = models.FloatField(_("seconds"), null=True, blank=True)
    stats = models.JSONField(_("figures"), default=dict, blank=True)  # per-step seconds, evaluation, ...
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("linkage run")
        verbose_name_plural = _("linkage runs")
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return f"run {self.pk} ({self.status})"


def _person_visible(user, field: str) -> Q:
    from liuguan.registry.models import Person

    return Q(Exists(Person.objects.filter(Person.scope_filter(user), pk=OuterRef(field))))


class CandidatePair(models.Model):
    """Two registered people a run found likely to be one: an officer merges them or keeps them apart.

    One row per pair of people, ever (`person_low` has the smaller id): a later run updates an open pair's
    figures and leaves a decided one alone, so a pair kept apart is not proposed again.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting for review")
        MERGED = "merged", _("Merged")
        KEPT_APART = "kept_apart", _("Kept apart")
        GONE = "gone", _("No longer applies")

    person_low = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    person_high = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(LinkageRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="candidates")
    match_probability = models.FloatField(_("match probability"))
    match_weight = models.FloatField(_("match weight"), default=0.0)
    # L1's explain(): [{"comparison", "level", "match_weight"}, ...], the "why" shown side by side.
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    gammas = models.JSONField(default=dict, blank=True)
    near_certain = models.BooleanField(_("near certain"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("likely duplicate")
        verbose_name_plural = _("likely duplicates")
        ordering = ["-match_probability", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person_low", "person_high"], name="linkage_pair_once"),
            models.CheckConstraint(condition=Q(person_low__lt=models.F("person_high")), name="linkage_pair_ordered"),
        ]
        indexes = [models.Index(fields=["status", "match_probability"])]

    def __str__(self) -> str:
        return f"{self.person_low_id}~{self.person_high_id} {self.match_probability:.3f}"

    @classmethod
    def scope_filter(cls, user):
        """Visible when both people are: an officer never sees someone outside their area beside a pair."""
        if jurisdiction(user) is None:
            return NOTHING
        return _person_visible(user, "person_low") & _person_visible(user, "person_high")


class Merge(models.Model):
    """One person record merged into another, with everything needed to undo it exactly.

    `moved` lists the rows repointed from the merged-away person to the survivor ({model, field, ids});
    `kept` the rows a uniqueness rule kept with the merged-away person (reachable through `merged_into`).
    """

    survivor = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    merged = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    pair = models.ForeignKey(CandidatePair, null=True, blank=True, on_delete=models.SET_NULL, related_name="merges")
    actor = models.ForeignKey(USER, verbose_name=_("merged by"), null=True, on_delete=models.SET_NULL, related_name="+")
    merged_at = models.DateTimeField(_("merged"), default=timezone.now)
    survivor_before = models.JSONField(default=dict)
    survivor_after = models.JSONField(default=dict)
    merged_before = models.JSONField(default=dict)
    # {field: "rule that chose the value"} for every field the survivor took from the merged-away record.
    rules = models.JSONField(default=dict, blank=True)
    moved = models.JSONField(default=list, blank=True)
    kept = models.JSONField(default=list, blank=True)
    undone_at = models.DateTimeField(_("undone"), null=True, blank=True)
    undone_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("merge")
        verbose_name_plural = _("merges")
        ordering = ["-merged_at", "-id"]

    def __str__(self) -> str:
        return f"{self.merged_id}→{self.survivor_id}"

    @classmethod
    def scope_filter(cls, user):
        if jurisdiction(user) is None:
            return NOTHING
        return _person_visible(user, "survivor")


class LinkageTask(CommunityScoped):
    """Work a run found for the office of an area: a record nobody registered, or a record that is wrong.

    The same shape as oversight's feedback tasks (a numbered task on a record, in a community, assigned to the
    station officer, due by a date), without their per-field fix/dispute cycle: the officer registers the
    person or corrects the record through the usual pages, then closes the task.
    """

    class Kind(models.TextChoices):
        OMISSION = "omission", _("Candidate omission: reported but not registered")
        WRONG_RECORD = "wrong_record", _("Candidate wrong record")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        DISMISSED = "dismissed", _("Dismissed")

    number = models.CharField(_("number"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    community = models.ForeignKey(
        "geo.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    run = models.ForeignKey(LinkageRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="found_tasks")
    # The source record: "<app>.<model>:<id>" as in the run's record ids.
    record = models.CharField(_("record"), max_length=80)
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(_("summary"), max_length=300)
    detail = models.JSONField(default=dict, blank=True)
    assignee = models.ForeignKey(
        USER, verbose_name=_("assigned to"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    resolved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("linkage task")
        verbose_name_plural = _("linkage tasks")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "record"], condition=Q(status="open"), name="linkage_task_one_open_per_record"
            )
        ]
        indexes = [models.Index(fields=["community", "status"])]

    def __str__(self) -> str:
        return self.number
