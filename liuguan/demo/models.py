"""Ground truth of a generated demo province: who really lives where, and which records are wrong on purpose.

The registry tables hold what the offices recorded; these tables hold what is true, so data-quality
measures, linkage and omission estimates can be scored against it. Nothing here is shown to officers.

The truth tables' foreign keys are not enforced by the database (db_constraint=False): only the generator
writes them, in the same transaction as the rows they name, and checking five references for each of a
million people would cost the ingest about a fifth of its time. The demo's tests check every reference.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DemoRun(models.Model):
    """One run of `manage.py demo`: the seed, the size and the options that make it reproducible."""

    seed = models.BigIntegerField(_("seed"))
    persons = models.PositiveIntegerField(_("real persons"))
    # Rates, chunk size and the as-of date; together with seed and persons they fix every row.
    params = models.JSONField(_("parameters"), default=dict)
    # Row counts per kind, defects per kind, and the id range written per table (what --reset deletes).
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("demo run")
        verbose_name_plural = _("demo runs")

    def __str__(self) -> str:
        return f"demo seed={self.seed} persons={self.persons}"


class TruePerson(models.Model):
    """A real person of the synthetic province, registered or not, with their true attributes and home."""

    run = models.ForeignKey(DemoRun, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    # Stable across runs with the same seed and size: P + the person's index in generation order.
    true_key = models.CharField(max_length=16)
    # Whether a registration channel (collector, self, import) registered them; someone only a landlord's or
    # employer's report registered is not, yet has a `person`.
    registered = models.BooleanField(default=True)
    # The person's (first) registry record; duplicates point here through Defect rows instead.
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    doc_type = models.CharField(max_length=16)
    doc_number = models.CharField(max_length=32)
    name = models.CharField(max_length=60)
    sex = models.CharField(max_length=1)
    birth_date = models.DateField()
    ethnicity = models.CharField(max_length=2)
    nationality = models.CharField(max_length=3)
    hukou_code = models.CharField(max_length=6, blank=True)
    hukou_address = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=11, blank=True)
    education = models.CharField(max_length=2, blank=True)
    marital_status = models.CharField(max_length=2, blank=True)
    # Where the person lives now (or last lived, when departed_on is set): what landlord and hotel reports see.
    community = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+", db_constraint=False)
    house = models.ForeignKey(
        "registry.House", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    employer = models.ForeignKey(
        "registry.Employer",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    arrived_on = models.DateField()
    departed_on = models.DateField(null=True, blank=True)
    # Children (0-15) name their parents by true_key; a real Child model comes with the livelihood issue.
    father_key = models.CharField(max_length=16, blank=True)
    mother_key = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name = _("true person")
        verbose_name_plural = _("true persons")
        constraints = [models.UniqueConstraint(fields=["run", "true_key"], name="demo_trueperson_one_key_per_run")]

    def __str__(self) -> str:
        return self.true_key


class DefectKind(models.TextChoices):
    LATE_REGISTRATION = "late_registration", _("Registered more than 7 days after arrival")
    WRONG_FIELD = "wrong_field", _("A field recorded wrongly")
    # No registration channel saw them; a landlord's or employer's report may have registered them since.
    UNREGISTERED = "unregistered", _("Lives here but was never registered")
    DUPLICATE = "duplicate", _("The same person registered twice")


class Defect(models.Model):
    """A deliberate flaw in the registry with what is true; `true_key` names the real person behind it.

    An unregistered person was never registered through a registration channel; when a landlord's or
    employer's report registered them after all, `detail` names the channel (`reported_by`) and the record
    (`person_id`), while `person` and `stay` stay empty, as for everyone else unregistered.
    """

    run = models.ForeignKey(DemoRun, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    kind = models.CharField(max_length=20, choices=DefectKind.choices, db_index=True)
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    stay = models.ForeignKey(
        "registry.Stay", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    true_key = models.CharField(max_length=16, db_index=True)
    detail = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("injected defect")
        verbose_name_plural = _("injected defects")

    def __str__(self) -> str:
        return f"{self.kind} {self.true_key}"


class DutyGapKind(models.TextChoices):
    MISSING_REPORT = "missing_report", _("A landlord or employer never reported this stay")
    LATE_REPORT = "late_report", _("A report made after its deadline")
    EXPIRED_AGREEMENT = "expired_agreement", _("A responsibility agreement expired and was not renewed")


class DutyGap(models.Model):
    """A deliberate gap in the housing and employment duties, which breach detection must find.

    Missing reports name the stay, its person and the house (landlord) or employer whose duty was not met;
    late reports name the report; expired agreements name the agreement and its party.
    """

    run = models.ForeignKey(DemoRun, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    kind = models.CharField(max_length=20, choices=DutyGapKind.choices, db_index=True)
    channel = models.CharField(max_length=12)
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    stay = models.ForeignKey(
        "registry.Stay", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    house = models.ForeignKey(
        "registry.House", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    employer = models.ForeignKey(
        "registry.Employer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    lodging = models.ForeignKey(
        "registry.Lodging", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    report = models.ForeignKey(
        "compliance.DutyReport", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    agreement = models.ForeignKey(
        "compliance.ResponsibilityAgreement",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    detail = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("injected duty gap")
        verbose_name_plural = _("injected duty gaps")

    def __str__(self) -> str:
        return f"{self.kind} {self.channel}"


class OutflowTruth(models.TextChoices):
    # The origin reported them and a stay here confirmed it, whether the reported destination was right or not.
    CONFIRMED = "confirmed", _("Reported by the origin, confirmed by a stay here")
    # The origin reported them; no destination ever confirmed (another province with no peer, or never registered).
    NEVER_CONFIRMED = "never_confirmed", _("Reported by the origin, never confirmed")
    # As NEVER_CONFIRMED, and the origin has not heard of them for longer than the outflow settings allow.
    UNKNOWN = "unknown", _("Reported, never confirmed, whereabouts unknown for too long")
    # A stay here with no record at the origin: the origin's own list missed them.
    MISSED = "missed", _("Inflow with no outflow record at the origin")


class TrueOutflow(models.Model):
    """What is true about one of the province's people living away from their hukou county, and what the origin
    reported: the reconciliation's counts per origin county must come out as these rows say.
    """

    run = models.ForeignKey(DemoRun, on_delete=models.CASCADE, related_name="+", db_constraint=False)
    person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_constraint=False
    )
    # The TruePerson's key, or X + an index for the people living in other provinces whom only this truth knows.
    true_key = models.CharField(max_length=16, blank=True)
    # Where the outflow record belongs: the hukou village the family reported from, or the hukou county.
    origin_code = models.CharField(max_length=12)
    # Where they really live: a community here, or a county of another province.
    true_destination = models.CharField(max_length=12)
    reported = models.BooleanField(default=False)
    reported_destination = models.CharField(max_length=12, blank=True)
    category = models.CharField(max_length=16, choices=OutflowTruth.choices, db_index=True)
    # The report put the person on the register (nobody had registered them anywhere before).
    created_person = models.BooleanField(default=False)
    # Wrong destination, duplicate registration, unregistered at the destination, the day last heard of.
    detail = models.JSONField(default=dict)

    class Meta:
        verbose_name = _("true outflow")
        verbose_name_plural = _("true outflows")

    def __str__(self) -> str:
        return f"{self.category} {self.true_key or self.person_id}"
