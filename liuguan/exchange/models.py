"""Departments that share through the exchange hub (grants, feeds and logs come with the exchange issue)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from liuguan.core.fields import EncryptedField
from liuguan.core.models import CommunityScoped


class Kind(models.TextChoices):
    GOVERNMENT = "government", _("Government department")
    VERTICAL = "vertical", _("Vertically managed body")
    PARTY = "party", _("Party committee body")
    MASS_ORGANISATION = "mass_organisation", _("Mass organisation")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    COORDINATION_OFFICE = "coordination_office", _("Coordination office")
    INTERNAL_OFFICE = "internal_office", _("Office inside another department")


class Department(models.Model):
    """A government department (public security, human resources and social security, ...)."""

    code = models.CharField(_("code"), max_length=32, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    name_en = models.CharField(_("English name"), max_length=120, blank=True)
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices, default="government")

    class Meta:
        ordering = ["code"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


# The hub (X-Road's members and subsystems, GovStack's information mediator): who may see what, and how.


class Way(models.TextChoices):
    """The ways a grant may allow a subsystem to share."""

    VERIFY = "verify", _("Verification (yes or no)")
    QUERY = "query", _("Query by document number")
    FEED = "feed", _("Change feed")
    WEBHOOK = "webhook", _("Webhook deliveries")
    EXTRACT = "extract", _("Bulk extract")
    REPORT = "report", _("Report own records")


class Subsystem(models.Model):
    """An application of a department (X-Road subsystem). It calls the hub as its service account, whose API
    tokens are its keys (issued, rotated and revoked like any token); people of the department use pages.
    """

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="subsystems")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)
    account = models.OneToOneField(
        "accounts.User", verbose_name=_("service account"), on_delete=models.PROTECT, related_name="subsystem"
    )
    rate_per_minute = models.PositiveIntegerField(_("calls per minute"), default=600)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("subsystem")
        constraints = [models.UniqueConstraint(fields=["department", "code"], name="subsystem_code_once")]

    def __str__(self) -> str:
        return f"{self.department_id}/{self.code}"


class Dataset(models.Model):
    """A catalogue entry: a kind of record the hub can share, with its fields (`data/catalogue.json`)."""

    code = models.CharField(_("code"), max_length=32, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    # [{"name": "doc_number", "label": "...", "personal": true}, ...]
    fields = models.JSONField(_("fields"), default=list)
    # Audit object types whose events are this dataset's changes (the change feed reads the audit chain).
    object_types = models.JSONField(_("audit object types"), default=list, blank=True)

    class Meta:
        verbose_name = _("dataset")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    @property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.fields]


class Grant(models.Model):
    """A subsystem may use a dataset's listed fields, in listed ways, for a purpose, inside an area, until a
    day. Nothing is shared without one; fields outside it are never sent.
    """

    subsystem = models.ForeignKey(Subsystem, on_delete=models.PROTECT, related_name="grants")
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="grants")
    fields = models.JSONField(_("fields"), default=list)
    ways = models.JSONField(_("ways"), default=list)
    purpose = models.CharField(_("purpose"), max_length=200)
    area = models.ForeignKey("geo.Division", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    valid_from = models.DateField(_("valid from"))
    expires_on = models.DateField(_("expires on"))
    granted_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("grant")
        indexes = [models.Index(fields=["subsystem", "dataset"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(expires_on__gte=models.F("valid_from")), name="grant_term")
        ]

    def __str__(self) -> str:
        return f"{self.subsystem} {self.dataset_id} {self.area_id}"


class Subscription(models.Model):
    """A webhook: the hub POSTs a subsystem's granted changes of a dataset to its URL, signed with its secret."""

    subsystem = models.ForeignKey(Subsystem, on_delete=models.CASCADE, related_name="subscriptions")
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="+")
    url = models.URLField(_("URL"), max_length=400)
    secret = models.CharField(_("signing secret"), max_length=64)
    active = models.BooleanField(_("active"), default=True)
    # The last change (audit event id) handed to deliveries; deliveries then go out one by one, in order.
    cursor = models.BigIntegerField(_("cursor"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook subscription")

    def __str__(self) -> str:
        return f"{self.subsystem} → {self.url}"


class Delivery(models.Model):
    """One change on its way to one subscriber: attempts with backoff until delivered, then acknowledged."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed, retrying")
        GAVE_UP = "gave_up", _("Gave up")

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.BigIntegerField(_("change"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        constraints = [models.UniqueConstraint(fields=["subscription", "event_id"], name="delivery_once")]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.subscription_id}:{self.event_id} {self.status}"


class FeedPosition(models.Model):
    """How far a subsystem has acknowledged a dataset's pull feed (it may replay from any earlier cursor)."""

    subsystem = models.ForeignKey(Subsystem, on_delete=models.CASCADE, related_name="+")
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="+")
    acknowledged = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subsystem", "dataset"], name="feed_position_once")]

    def __str__(self) -> str:
        return f"{self.subsystem_id}:{self.dataset_id}@{self.acknowledged}"


class RateWindow(models.Model):
    """Calls of a subsystem in one minute, for its rate limit (shared by every server process)."""

    subsystem = models.ForeignKey(Subsystem, on_delete=models.CASCADE, related_name="+")
    minute = models.DateTimeField()
    calls = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subsystem", "minute"], name="rate_window_once")]

    def __str__(self) -> str:
        return f"{self.subsystem_id}@{self.minute:%H:%M} {self.calls}"


class DepartmentFact(CommunityScoped):
    """A department's own record about a person (social-insurance enrolment, school enrolment, hospital admission,
    business licence, job registration, ...), posted through the hub. It is a fact beside the register, never
    an overwrite of collected fields; `community` is where the department places it, when it says.
    """

    class Kind(models.TextChoices):
        SOCIAL_INSURANCE = "social_insurance", _("Social-insurance enrolment")
        SCHOOL_ENROLMENT = "school_enrolment", _("School enrolment")
        HOSPITAL_ADMISSION = "hospital_admission", _("Hospital admission")
        BUSINESS_LICENCE = "business_licence", _("Business licence")
        JOB_REGISTRATION = "job_registration", _("Job registration")
        HOUSING_CONTRACT = "housing_contract", _("Housing contract")
        OTHER = "other", _("Other")

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="department_facts")
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="facts")
    subsystem = models.ForeignKey(Subsystem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    reference = models.CharField(_("department's reference"), max_length=64)
    occurred_on = models.DateField(_("date"))
    community = models.ForeignKey("geo.Division", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("address"), max_length=200, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("department record")
        constraints = [models.UniqueConstraint(fields=["department", "kind", "reference"], name="department_fact_once")]
        indexes = [models.Index(fields=["community", "kind"])]

    def __str__(self) -> str:
        return f"{self.department_id}:{self.kind}:{self.reference}"


class Bulletin(models.Model):
    """An assist-investigation bulletin (协查通报): identifiers of a wanted person, valid for a period, matched
    against current stays at once and against every new or changed registration while it is valid.
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        CLOSED = "closed", _("Closed")

    number = models.CharField(_("bulletin number"), max_length=32, unique=True)
    issued_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    # The issuing unit's area: its police see the hits.
    unit = models.ForeignKey("geo.Division", verbose_name=_("issuing unit"), on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("grounds"), max_length=300)
    doc_type = models.CharField(_("document type"), max_length=16, blank=True)
    # Encrypted at rest (liuguan.core.fields); bulletins are matched against the register, never looked up by these.
    doc_number = EncryptedField(_("document number"), max_length=32, blank=True)
    name = models.CharField(_("name"), max_length=60, blank=True)
    name_pinyin = models.CharField(max_length=200, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = EncryptedField(_("phone"), max_length=11, blank=True)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("assist-investigation bulletin")
        indexes = [models.Index(fields=["status", "valid_until"]), models.Index(fields=["name_pinyin", "birth_date"])]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def scope_filter(cls, user):
        from liuguan.core.scoping import NOTHING, jurisdiction

        code = jurisdiction(user)
        return NOTHING if code is None else models.Q(unit__code__startswith=code)


class BulletinHit(CommunityScoped):
    """A registration that matches a bulletin: where and since when; the issuing unit works it to a conclusion."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONFIRMED = "confirmed", _("Confirmed: the wanted person")
        DISMISSED = "dismissed", _("Dismissed: someone else")
        CONCLUDED = "concluded", _("Concluded")

    bulletin = models.ForeignKey(Bulletin, on_delete=models.CASCADE, related_name="hits")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    stay = models.ForeignKey("registry.Stay", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    community = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+")
    matched_on = models.JSONField(_("matched on"), default=list)
    found_at = models.DateTimeField(_("found at"), auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    conclusion = models.CharField(_("conclusion"), max_length=300, blank=True)
    worked_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    worked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("bulletin hit")
        constraints = [models.UniqueConstraint(fields=["bulletin", "person", "stay"], name="bulletin_hit_once")]

    def __str__(self) -> str:
        return f"{self.bulletin_id}:{self.person_id}"


class OffenceNotice(models.Model):
    """An offence notice (违法犯罪信息通报) about a person, sent to the police of their hukou county."""

    class Status(models.TextChoices):
        SENT = "sent", _("Sent")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")

    number = models.CharField(_("notice number"), max_length=32, unique=True)
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    issuing_unit = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+")
    hukou_area = models.ForeignKey(
        "geo.Division", verbose_name=_("hukou area"), on_delete=models.PROTECT, related_name="+"
    )
    offence = models.CharField(_("offence"), max_length=300)
    occurred_on = models.DateField(_("date of the offence"))
    status = models.CharField(_("status"), max_length=14, choices=Status.choices, default=Status.SENT)
    sent_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("offence notice")

    def __str__(self) -> str:
        return self.number

    @classmethod
    def scope_filter(cls, user):
        """The issuing unit sees what it sent; the hukou area's police see what they received."""
        from liuguan.core.scoping import NOTHING, jurisdiction

        code = jurisdiction(user)
        if code is None:
            return NOTHING
        return models.Q(issuing_unit__code__startswith=code) | models.Q(hukou_area__code__startswith=code)
