"""Housing and employment duties: tenancy filings, reports by landlords, employers and hotels, disagreements with
the register, responsibility agreements and their breaches, classified management, foreigners' documents.

Every located record carries its community, so the one scoping rule (a range test on the community code) serves
officers; landlord, employer and hotel accounts have no jurisdiction and reach only their own houses, staff and
guests through `selectors.own_*`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.core.models import CommunityScoped

from .codes import (
    AgreementKind,
    BreachKind,
    DisagreementStatus,
    DutyChannel,
    ForeignDocKind,
    ReportKind,
    ReportOutcome,
    TenancyStatus,
    Tier,
)

USER = settings.AUTH_USER_MODEL


class ReportingPolicy(models.Model):
    """How many days after an arrival (or a departure) a landlord, employer or hotel must report it, per area.

    The longest matching division-code prefix wins; the empty prefix is the province's default.
    """

    prefix = models.CharField(_("division code prefix"), max_length=12, blank=True)
    channel = models.CharField(_("reporting party"), max_length=12, choices=DutyChannel.choices)
    deadline_days = models.PositiveSmallIntegerField(_("deadline (days)"))
    label = models.CharField(_("label"), max_length=60, blank=True)
    source_note = models.TextField(_("legal source"), blank=True)

    class Meta:
        verbose_name = _("reporting deadline")
        constraints = [models.UniqueConstraint(fields=["prefix", "channel"], name="reporting_policy_unique")]

    def __str__(self) -> str:
        return f"{self.prefix or '*'} {self.channel} {self.deadline_days}"


class TenancyFiling(CommunityScoped):
    """A filed rental contract (租赁合同登记备案): house, landlord, term, rooms and tenants; it has a number."""

    number = models.CharField(_("filing number"), max_length=32, unique=True)
    house = models.ForeignKey(
        "registry.House", verbose_name=_("house"), on_delete=models.PROTECT, related_name="filings"
    )
    community = models.ForeignKey(
        "geo.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    landlord_name = models.CharField(_("landlord"), max_length=150)
    rooms = models.CharField(_("rooms let"), max_length=100, blank=True)
    monthly_rent = models.DecimalField(_("monthly rent (yuan)"), max_digits=10, decimal_places=2, null=True, blank=True)
    starts_on = models.DateField(_("start of the lease"))
    ends_on = models.DateField(_("end of the lease"))
    status = models.CharField(_("status"), max_length=8, choices=TenancyStatus.choices, default=TenancyStatus.ACTIVE)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("reason for ending"), max_length=200, blank=True)
    channel = models.CharField(_("filed through"), max_length=12, default="station")
    filed_by = models.ForeignKey(
        USER, verbose_name=_("filed by"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_at = models.DateTimeField(_("filed at"), default=timezone.now)

    class Meta:
        verbose_name = _("tenancy filing")
        verbose_name_plural = _("tenancy filings")
        indexes = [models.Index(fields=["community", "status"]), models.Index(fields=["house", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="tenancy_term_order"),
        ]

    def __str__(self) -> str:
        return self.number


class TenancyTenant(models.Model):
    """A tenant named in a filing, and the stay at the house the filing stands behind."""

    filing = models.ForeignKey(TenancyFiling, on_delete=models.CASCADE, related_name="tenants")
    person = models.ForeignKey("registry.Person", verbose_name=_("tenant"), on_delete=models.PROTECT, related_name="+")
    stay = models.ForeignKey("registry.Stay", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("tenant")
        constraints = [models.UniqueConstraint(fields=["filing", "person"], name="tenancy_tenant_once")]

    def __str__(self) -> str:
        return f"{self.filing_id}:{self.person_id}"


class DutyReport(CommunityScoped):
    """One report by a landlord (tenant), employer (employee) or hotel (guest): an arrival or a departure.

    A report creates a stay, agrees with the open one, or disagrees with it (the register is never overwritten
    silently: see Disagreement); its lateness is measured against the area's deadline.
    """

    channel = models.CharField(_("reported by"), max_length=12, choices=DutyChannel.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices, default=ReportKind.ARRIVAL)
    reporter = models.ForeignKey(
        USER, verbose_name=_("reporter"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    community = models.ForeignKey(
        "geo.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    house = models.ForeignKey("registry.House", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    employer = models.ForeignKey("registry.Employer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lodging = models.ForeignKey("registry.Lodging", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("registry.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    stay = models.ForeignKey("registry.Stay", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    room = models.CharField(_("room"), max_length=40, blank=True)
    occurred_on = models.DateField(_("date of the event"))
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    deadline_days = models.PositiveSmallIntegerField(_("deadline (days)"))
    lag_days = models.IntegerField(_("days after the event"))
    late = models.BooleanField(_("late"), default=False)
    outcome = models.CharField(_("outcome"), max_length=14, choices=ReportOutcome.choices)
    source_ref = models.CharField(_("source reference"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("duty report")
        verbose_name_plural = _("duty reports")
        indexes = [
            models.Index(fields=["community", "channel"]),
            models.Index(fields=["person", "channel"]),
            models.Index(fields=["house"]),
            models.Index(fields=["employer"]),
            models.Index(fields=["lodging"]),
        ]


class Disagreement(CommunityScoped):
    """A reported value that differs from the register's: shown to the station officer, who decides."""

    stay = models.ForeignKey("registry.Stay", verbose_name=_("stay"), on_delete=models.CASCADE, related_name="+")
    report = models.ForeignKey(DutyReport, on_delete=models.CASCADE, related_name="disagreements")
    community = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+")
    field = models.CharField(_("field"), max_length=40)
    registered_value = models.JSONField(_("on the register"), null=True, blank=True)
    reported_value = models.JSONField(_("reported"), null=True, blank=True)
    registered_channel = models.CharField(_("register's source"), max_length=12, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DisagreementStatus.choices, default=DisagreementStatus.OPEN
    )
    resolved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("disagreement")
        indexes = [models.Index(fields=["community", "status"])]


class AgreementTemplate(models.Model):
    """The text of a responsibility agreement for one kind of party; a new version never rewrites signed ones."""

    kind = models.CharField(_("kind"), max_length=10, choices=AgreementKind.choices)
    version = models.PositiveSmallIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(_("text"))
    term_months = models.PositiveSmallIntegerField(_("term (months)"), default=12)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("agreement template")
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="agreement_template_version")]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class ResponsibilityAgreement(CommunityScoped):
    """A public-security responsibility agreement (治安管理责任书) with a landlord (per rental house), a hotel or
    an employer: signed on a date by a signatory, for a term; a renewal is a new agreement naming the old one.
    """

    number = models.CharField(_("agreement number"), max_length=32, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=AgreementKind.choices)
    template = models.ForeignKey(AgreementTemplate, verbose_name=_("template"), on_delete=models.PROTECT)
    community = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+")
    house = models.ForeignKey("registry.House", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lodging = models.ForeignKey("registry.Lodging", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    employer = models.ForeignKey("registry.Employer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    party_name = models.CharField(_("party"), max_length=150)
    signatory = models.CharField(_("signatory"), max_length=60)
    signed_on = models.DateField(_("signed on"))
    starts_on = models.DateField(_("in force from"))
    ends_on = models.DateField(_("in force until"))
    officer = models.ForeignKey(USER, verbose_name=_("officer"), null=True, on_delete=models.SET_NULL, related_name="+")
    renews = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewals")
    terminated_on = models.DateField(_("terminated on"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("responsibility agreement")
        verbose_name_plural = _("responsibility agreements")
        indexes = [models.Index(fields=["community", "kind"]), models.Index(fields=["ends_on"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="agreement_term_order"),
            models.CheckConstraint(
                condition=(
                    Q(kind="landlord", house__isnull=False, lodging__isnull=True, employer__isnull=True)
                    | Q(kind="hotel", lodging__isnull=False, house__isnull=True, employer__isnull=True)
                    | Q(kind="employer", employer__isnull=False, house__isnull=True, lodging__isnull=True)
                ),
                name="agreement_one_party",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class AgreementReminder(models.Model):
    """A renewal reminder raised before an agreement's end (once per agreement), until it is renewed or ends."""

    agreement = models.OneToOneField(ResponsibilityAgreement, on_delete=models.CASCADE, related_name="reminder")
    due_on = models.DateField(_("agreement ends on"))
    raised_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.agreement_id} {self.due_on}"


class Breach(CommunityScoped):
    """A breach of a reporting duty or an incident, recorded against the agreement in force (if any).

    Detected breaches carry a `key` (one per duty and person), so detection can run every day without
    recording the same breach twice.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=BreachKind.choices)
    key = models.CharField(max_length=80, unique=True, null=True, blank=True)
    community = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("duty of"), max_length=12, choices=DutyChannel.choices)
    agreement = models.ForeignKey(
        ResponsibilityAgreement, null=True, blank=True, on_delete=models.SET_NULL, related_name="breaches"
    )
    house = models.ForeignKey("registry.House", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    lodging = models.ForeignKey("registry.Lodging", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    employer = models.ForeignKey("registry.Employer", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    stay = models.ForeignKey("registry.Stay", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    report = models.ForeignKey(DutyReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    due_on = models.DateField(_("report was due"), null=True, blank=True)
    occurred_on = models.DateField(_("date"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("breach")
        verbose_name_plural = _("breaches")
        indexes = [models.Index(fields=["community", "kind"])]


class ClassificationRule(models.Model):
    """One rule of a city's classified management, as data: the first matching rule (by `position`) sets the tier.

    `conditions` is a JSON object of facts to require, e.g. {"min_stay_days": 365, "filed_tenancy": true,
    "stable_employer": true, "max_breaches": 0}; an empty object matches everyone (the fall-back rule).
    """

    prefix = models.CharField(_("division code prefix"), max_length=12, blank=True)
    position = models.PositiveSmallIntegerField(_("order"))
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    label = models.CharField(_("rule"), max_length=120)
    conditions = models.JSONField(_("conditions"), default=dict, blank=True)
    reverify_days = models.PositiveSmallIntegerField(_("re-verify every (days)"))

    class Meta:
        verbose_name = _("classification rule")
        ordering = ["prefix", "position"]
        constraints = [models.UniqueConstraint(fields=["prefix", "position"], name="classification_rule_order")]

    def __str__(self) -> str:
        return f"{self.prefix or '*'}#{self.position} {self.tier}"


class PersonTier(models.Model):
    """A person's current tier, the rule that put them there and the facts it saw; recomputed when facts change."""

    person = models.OneToOneField("registry.Person", on_delete=models.CASCADE, related_name="tier")
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    rule = models.ForeignKey(ClassificationRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule_label = models.CharField(_("rule"), max_length=120)
    facts = models.JSONField(_("facts"), default=dict)
    reverify_days = models.PositiveSmallIntegerField(_("re-verify every (days)"))
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("tier")
        indexes = [models.Index(fields=["tier"])]

    def __str__(self) -> str:
        return f"{self.person_id} {self.tier}"


class ForeignDocument(models.Model):
    """A foreigner's visa or residence document as a hotel, landlord or officer reported it, with its expiry."""

    person = models.ForeignKey("registry.Person", on_delete=models.CASCADE, related_name="foreign_documents")
    kind = models.CharField(_("document"), max_length=20, choices=ForeignDocKind.choices)
    number = models.CharField(_("document number"), max_length=40, blank=True)
    expires_on = models.DateField(_("valid until"))
    channel = models.CharField(_("reported by"), max_length=12)
    recorded_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("foreigner's document")
        indexes = [models.Index(fields=["expires_on"])]
        constraints = [
            models.UniqueConstraint(fields=["person", "kind", "number"], name="foreign_document_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.expires_on}"
