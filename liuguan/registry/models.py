"""People, houses, employers, lodgings, and stays (居住登记) that tie a person to a place over time."""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.core.fields import BlindIndexField, EncryptedField, EncryptedModelMixin
from liuguan.core.identity import mask_document_number, mask_phone
from liuguan.core.models import CommunityScoped
from liuguan.core.scoping import NOTHING, jurisdiction, within

from .codes import ETHNICITIES, DocType, Education, HouseKind, Industry, Marital, Reason, Sex, SourceChannel


class Person(EncryptedModelMixin, models.Model):
    """Someone identified by one document; one document number is one person.

    The document number and the phone are encrypted at rest (liuguan.core.fields); lookups by either go through
    their keyed blind index (`doc_number=...`, `doc_number__in=...`), and one document is one person on the index.
    """

    doc_type = models.CharField(_("document type"), max_length=16, choices=DocType.choices)
    doc_number = EncryptedField(_("document number"), max_length=32, index_field="doc_number_index")
    doc_number_index = BlindIndexField(source="doc_number", db_index=True)
    name = models.CharField(_("name"), max_length=60)
    name_pinyin = models.CharField(_("pinyin"), max_length=200, db_index=True)
    name_initials = models.CharField(_("initials"), max_length=30, db_index=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"), db_index=True)
    ethnicity = models.CharField(_("ethnicity"), max_length=2, choices=ETHNICITIES, default="01")
    nationality = models.CharField(_("nationality"), max_length=3, default="CHN")
    # The area code of the household registration; historical codes stay valid, so no foreign key.
    hukou_code = models.CharField(_("hukou area code"), max_length=6, blank=True, db_index=True)
    hukou_address = models.CharField(_("hukou address"), max_length=200, blank=True)
    phone = EncryptedField(_("phone"), max_length=11, blank=True, index_field="phone_index")
    phone_index = BlindIndexField(source="phone", db_index=True)
    education = models.CharField(_("education level"), max_length=2, choices=Education.choices, blank=True)
    marital_status = models.CharField(_("marital status"), max_length=2, choices=Marital.choices, blank=True)
    party_member = models.BooleanField(_("Party member"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_channel = models.CharField(
        _("source"), max_length=12, choices=SourceChannel.choices, default="collector", db_default="collector"
    )
    # Entity resolution merged this record into another (the survivor): it leaves lists, search and counts, and
    # its records moved to the survivor; the row itself stays, with its own document, for history and undo.
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_people",
    )
    merged_at = models.DateTimeField(_("merged"), null=True, blank=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints = [models.UniqueConstraint(fields=["doc_type", "doc_number_index"], name="person_one_per_document")]

    def __str__(self) -> str:
        return self.name

    @property
    def doc_number_masked(self) -> str:
        return mask_document_number(self.doc_number)

    @property
    def survivor(self) -> "Person":
        """The record this one lives on in: itself, or (after entity resolution merged it) the surviving record.

        Code that finds a person by document number should attach new records to `found.survivor`.
        """
        person, seen = self, set()
        while person.merged_into_id and person.pk not in seen:
            seen.add(person.pk)
            person = person.merged_into
        return person

    @property
    def phone_masked(self) -> str:
        return mask_phone(self.phone) if self.phone else ""

    @classmethod
    def scope_filter(cls, user):
        """Visible where the person has (or had) a stay inside the jurisdiction, or their hukou lies in it."""
        code = jurisdiction(user)
        if code is None:
            return NOTHING
        q = Q(Exists(Stay.objects.filter(within("community_id", code), person=OuterRef("pk"))))
        if len(code) <= 6:
            q |= Q(hukou_code__startswith=code)
        return q


class House(CommunityScoped):
    """A dwelling in a community; rental houses carry their landlord."""

    address = models.CharField(_("address"), max_length=200)
    community = models.ForeignKey(
        "geo.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey("geo.Grid", verbose_name=_("grid"), null=True, blank=True, on_delete=models.SET_NULL)
    kind = models.CharField(_("kind"), max_length=12, choices=HouseKind.choices, default=HouseKind.RENTAL)
    is_rented = models.BooleanField(_("rented out"), default=False)
    owner_name = models.CharField(_("owner"), max_length=100, blank=True)
    landlord = models.ForeignKey(
        Person, verbose_name=_("landlord"), null=True, blank=True, on_delete=models.SET_NULL, related_name="houses"
    )
    # An organisation that lets the house (a property company, a village collective), registered as an employer.
    landlord_org = models.ForeignKey(
        "Employer",
        verbose_name=_("landlord organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="houses",
    )
    rooms = models.PositiveSmallIntegerField(_("rooms to let"), default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("house")
        verbose_name_plural = _("houses")
        indexes = [models.Index(fields=["community"])]

    def __str__(self) -> str:
        return self.address

    @property
    def landlord_label(self) -> str:
        return self.owner_name or (self.landlord.name if self.landlord_id else "")


class Employer(CommunityScoped):
    """An employer identified by its unified social credit code."""

    name = models.CharField(_("name"), max_length=150)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True, null=True, blank=True)
    industry = models.CharField(_("industry"), max_length=1, choices=Industry.choices)
    staff_size = models.PositiveIntegerField(_("staff"), default=0)
    address = models.CharField(_("address"), max_length=200, blank=True)
    community = models.ForeignKey(
        "geo.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey("geo.Grid", verbose_name=_("grid"), null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("employer")
        verbose_name_plural = _("employers")

    def __str__(self) -> str:
        return self.name


class Lodging(CommunityScoped):
    """A hotel or guest house that must report its guests."""

    name = models.CharField(_("name"), max_length=150)
    credit_code = models.CharField(_("unified social credit code"), max_length=18, unique=True, null=True, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    community = models.ForeignKey(
        "geo.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    rooms = models.PositiveIntegerField(_("rooms"), default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("lodging")
        verbose_name_plural = _("lodgings")

    def __str__(self) -> str:
        return self.name


class Stay(CommunityScoped):
    """A residence registration: a person at a community from arrival until departure."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="stays")
    community = models.ForeignKey(
        "geo.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    grid = models.ForeignKey("geo.Grid", verbose_name=_("grid"), null=True, blank=True, on_delete=models.SET_NULL)
    house = models.ForeignKey(House, verbose_name=_("house"), null=True, blank=True, on_delete=models.SET_NULL)
    employer = models.ForeignKey(Employer, verbose_name=_("employer"), null=True, blank=True, on_delete=models.SET_NULL)
    lodging = models.ForeignKey(Lodging, verbose_name=_("hotel"), null=True, blank=True, on_delete=models.SET_NULL)
    address = models.CharField(_("residence address"), max_length=200, blank=True)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    arrived_on = models.DateField(_("arrival date"))
    registered_at = models.DateTimeField(_("registration time"), default=timezone.now)
    departed_on = models.DateField(_("departure date"), null=True, blank=True)
    destination = models.CharField(_("destination"), max_length=200, blank=True)
    source_channel = models.CharField(_("source"), max_length=12, choices=SourceChannel.choices)
    collector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("collector"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    collection_point = models.ForeignKey(
        "geo.Office",
        verbose_name=_("collection point"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    device_time = models.DateTimeField(_("device time"), null=True, blank=True)
    # Days from arrival to registration, and whether that broke the area's deadline when it was registered.
    lag_days = models.IntegerField(_("registration lag (days)"), null=True, blank=True)
    late = models.BooleanField(_("registered late"), default=False, db_default=False)
    # The last day someone confirmed in the field that the person still lives here (a sweep, a spot check).
    verified_on = models.DateField(_("last verified"), null=True, blank=True)
    # Where the record came from beyond the channel: "import:<batch>:<row>", a report number, a message id.
    source_ref = models.CharField(_("source reference"), max_length=64, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("stay")
        verbose_name_plural = _("stays")
        ordering = ["-arrived_on", "-id"]
        indexes = [models.Index(fields=["community", "departed_on"]), models.Index(fields=["arrived_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "community"], condition=Q(departed_on__isnull=True), name="stay_one_open_per_place"
            ),
            models.CheckConstraint(
                condition=Q(departed_on__isnull=True) | Q(departed_on__gte=models.F("arrived_on")),
                name="stay_departure_after_arrival",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id}@{self.community_id}"

    @property
    def is_open(self) -> bool:
        return self.departed_on is None


class RegistrationPolicy(models.Model):
    """How many days after arrival a stay must be registered, for the divisions under a code prefix."""

    prefix = models.CharField(_("division code prefix"), max_length=12, unique=True, blank=True)
    name = models.CharField(_("profile"), max_length=40)
    label = models.CharField(_("label"), max_length=60, blank=True)
    deadline_days = models.PositiveSmallIntegerField(_("deadline (days after arrival)"))
    source_note = models.TextField(_("legal source"), blank=True)

    class Meta:
        verbose_name = _("registration policy")
        verbose_name_plural = _("registration policies")

    def __str__(self) -> str:
        return f"{self.label or self.name}: {self.deadline_days}"


class FieldChange(models.Model):
    """Who set which field of which record to what, when and through which channel (倒查 starts here).

    A record's creation is its first provenance (the Stay's channel, collector, point and times); every later
    change of a field adds a row here, so the history of any field can be read back.
    """

    object_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    field = models.CharField(max_length=40)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    channel = models.CharField(_("source"), max_length=12, choices=SourceChannel.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    collection_point = models.ForeignKey(
        "geo.Office", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    device_time = models.DateTimeField(null=True, blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    audit_event_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        indexes = [models.Index(fields=["object_type", "object_id", "field"])]

    def __str__(self) -> str:
        return f"{self.object_type}:{self.object_id}.{self.field}"


class DuplicateReview(models.Model):
    """A collector's answer to a likely-duplicate warning at entry: the same person, or a different one."""

    class Decision(models.TextChoices):
        SAME = "same", _("Same person")
        DIFFERENT = "different", _("Different person")

    candidate = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    registered = models.ForeignKey(Person, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    reasons = models.JSONField(default=list)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.candidate_id} {self.decision}"
