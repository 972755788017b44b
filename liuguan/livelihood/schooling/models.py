"""Children's schooling (随迁子女): who is whose child, the schools, applications for places, and school records.

A school record (学籍) is one child's enrolment at one school from a day to a day; a transfer (学籍变动) ends one
record with the reason "transfer" and starts the next, so the yearly transfer rate per area is a count of rows.
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from liuguan.core.models import CommunityScoped

USER = settings.AUTH_USER_MODEL


class Relation(models.TextChoices):
    FATHER = "father", _("Father")
    MOTHER = "mother", _("Mother")
    OTHER = "other", _("Other guardian")


class Level(models.TextChoices):
    KINDERGARTEN = "kindergarten", _("Kindergarten")
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior secondary school")
    SENIOR = "senior", _("Senior secondary school")


# Compulsory education (义务教育): the levels a migrant child has a right to a place at where the family lives.
COMPULSORY = (Level.PRIMARY, Level.JUNIOR)


class SchoolKind(models.TextChoices):
    PUBLIC = "public", _("Public")
    PRIVATE = "private", _("Private")


def _child_stays_within(code: str, field: str = "child"):
    from liuguan.core.scoping import within
    from liuguan.registry.models import Stay

    return Exists(Stay.objects.filter(within("community_id", code), person=OuterRef(field)))


def _code(user):
    from liuguan.core.scoping import jurisdiction

    return jurisdiction(user)


class Guardianship(models.Model):
    """A child's link to a parent or other guardian (监护人); the child is a Person like any other."""

    child = models.ForeignKey(
        "registry.Person", verbose_name=_("child"), on_delete=models.PROTECT, related_name="guardianships"
    )
    guardian = models.ForeignKey(
        "registry.Person", verbose_name=_("guardian"), on_delete=models.PROTECT, related_name="wards"
    )
    relation = models.CharField(_("relation"), max_length=8, choices=Relation.choices)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("guardianship")
        verbose_name_plural = _("guardianships")
        constraints = [models.UniqueConstraint(fields=["child", "guardian"], name="schooling_guardianship_once")]

    def __str__(self) -> str:
        return f"{self.guardian_id}→{self.child_id}"

    @classmethod
    def scope_filter(cls, user):
        """Inside when the child or the guardian has a stay inside the jurisdiction."""
        from liuguan.core.scoping import NOTHING

        code = _code(user)
        if code is None:
            return NOTHING
        return Q(_child_stays_within(code, "child")) | Q(_child_stays_within(code, "guardian"))


class EligibilityRules(models.Model):
    """A city's eligibility rules for a compulsory-education place, one row per version (data/rules.json).

    An application records the row it was checked against, so a decision is explained by that row alone.
    """

    code = models.CharField(_("rule set"), max_length=20)
    version = models.CharField(_("version"), max_length=20)
    title = models.CharField(_("title"), max_length=200)
    # Division code prefix the rules apply under (the city); "" is the national default.
    prefix = models.CharField(_("division code prefix"), max_length=12, blank=True)
    effective_from = models.DateField(_("in force from"))
    source = models.TextField(_("source"), blank=True)
    content = models.JSONField(_("content"))
    loaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("schooling eligibility rules")
        verbose_name_plural = _("schooling eligibility rules")
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="schooling_rules_version_once")]

    def __str__(self) -> str:
        return f"{self.code}@{self.version}"

    @classmethod
    def scope_filter(cls, user):
        """Rules are public law: every signed-in user may read them."""
        return Q() if getattr(user, "is_authenticated", False) else Q(pk__in=[])


class School(CommunityScoped):
    """A school in the registry: public or private, the levels it teaches, where it is and whom it serves."""

    # The school's national identifier (学校标识码) when known; the demo's schools carry "DEMO-" codes.
    code = models.CharField(_("school code"), max_length=16, blank=True, db_index=True)
    name = models.CharField(_("name"), max_length=150)
    kind = models.CharField(_("kind"), max_length=8, choices=SchoolKind.choices)
    levels = models.JSONField(_("levels taught"), default=list)
    community = models.ForeignKey(
        "geo.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    # Division codes (communities or a township) whose children the school serves first (学区).
    catchment = models.JSONField(_("catchment"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("school")
        verbose_name_plural = _("schools")
        indexes = [models.Index(fields=["community", "kind"])]

    def __str__(self) -> str:
        return self.name

    def serves(self, community_code: str) -> bool:
        """True when the community lies inside the school's catchment."""
        return any(community_code.startswith(code) for code in self.catchment or ())


class SchoolPlaces(models.Model):
    """Places a school offers at one level for one school year (the year it starts, 2026 for 2026-27)."""

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="places")
    level = models.CharField(pgettext_lazy("school", "level"), max_length=12, choices=Level.choices)
    year = models.PositiveSmallIntegerField(_("school year"))
    places = models.PositiveIntegerField(_("places"))

    class Meta:
        verbose_name = _("school places")
        verbose_name_plural = _("school places")
        constraints = [
            models.UniqueConstraint(fields=["school", "level", "year"], name="schooling_places_once"),
        ]

    def __str__(self) -> str:
        return f"{self.school_id}:{self.level}:{self.year}={self.places}"

    @classmethod
    def scope_filter(cls, user):
        from liuguan.core.scoping import NOTHING, within

        code = _code(user)
        return NOTHING if code is None else within("school__community_id", code)


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    CHECKED = "checked", _("Eligibility checked")
    PLACED = "placed", _("Placed")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = (Status.SUBMITTED, Status.CHECKED)


class Channel(models.TextChoices):
    STATION = "station", _("At the service station")
    PORTAL = "portal", _("Through the portal")


class SchoolApplication(models.Model):
    """A guardian's application for a child's school place, with the eligibility found and the decision."""

    number = models.CharField(_("number"), max_length=24, unique=True)
    child = models.ForeignKey(
        "registry.Person", verbose_name=_("child"), on_delete=models.PROTECT, related_name="school_applications"
    )
    guardian = models.ForeignKey(
        "registry.Person", verbose_name=_("guardian who applied"), on_delete=models.PROTECT, related_name="+"
    )
    level = models.CharField(pgettext_lazy("school", "level"), max_length=12, choices=Level.choices)
    school_year = models.PositiveSmallIntegerField(_("school year"))
    preferred_school = models.ForeignKey(
        School, verbose_name=_("preferred school"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Where the family lives (the child's open stay, else the guardian's): who handles the application.
    community = models.ForeignKey(
        "geo.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED)
    rules = models.ForeignKey(
        EligibilityRules, verbose_name=_("rules"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    eligibility = models.JSONField(_("eligibility"), default=dict, blank=True)
    eligible = models.BooleanField(_("eligible"), null=True, blank=True)
    documents = models.JSONField(_("documents provided"), default=list, blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices, default=Channel.STATION)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    submitted_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    checked_at = models.DateTimeField(pgettext_lazy("school application", "checked"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    placed_school = models.ForeignKey(
        School, verbose_name=_("placed at"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(pgettext_lazy("school application", "reason"), max_length=300, blank=True)
    fee_waiver_requested = models.BooleanField(_("fee waiver requested"), default=False)
    fee_waiver_granted = models.BooleanField(_("fee waiver granted"), null=True, blank=True)
    boarding_requested = models.BooleanField(_("boarding subsidy requested"), default=False)
    boarding_granted = models.BooleanField(_("boarding subsidy granted"), null=True, blank=True)
    hardship_reason = models.CharField(_("hardship"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("school application")
        verbose_name_plural = _("school applications")
        indexes = [models.Index(fields=["community", "status"]), models.Index(fields=["school_year", "level"])]

    def __str__(self) -> str:
        return self.number

    @classmethod
    def scope_filter(cls, user):
        """Inside by where the family lives, or by the school asked for or given."""
        from liuguan.core.scoping import NOTHING, within

        code = _code(user)
        if code is None:
            return NOTHING
        return (
            within("community_id", code)
            | within("preferred_school__community_id", code)
            | within("placed_school__community_id", code)
        )


class EndReason(models.TextChoices):
    TRANSFER = "transfer", _("Transferred to another school")
    COMPLETED = "completed", _("Completed the level")
    LEFT = "left", _("Left (moved away, dropped out)")


class SchoolRecord(models.Model):
    """A child's school record (学籍) at one school from `started_on` to `ended_on` (open while empty)."""

    child = models.ForeignKey(
        "registry.Person", verbose_name=_("child"), on_delete=models.PROTECT, related_name="school_records"
    )
    school = models.ForeignKey(School, verbose_name=_("school"), on_delete=models.PROTECT, related_name="records")
    level = models.CharField(pgettext_lazy("school", "level"), max_length=12, choices=Level.choices)
    started_on = models.DateField(pgettext_lazy("period", "from"))
    ended_on = models.DateField(pgettext_lazy("period", "to"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=10, choices=EndReason.choices, blank=True)
    application = models.ForeignKey(
        SchoolApplication, null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("school record")
        verbose_name_plural = _("school records")
        indexes = [models.Index(fields=["school", "started_on"]), models.Index(fields=["ended_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["child"], condition=Q(ended_on__isnull=True), name="schooling_one_open_record"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.child_id}@{self.school_id}"

    @classmethod
    def scope_filter(cls, user):
        """Inside by the school's community or the child's stay community."""
        from liuguan.core.scoping import NOTHING, within

        code = _code(user)
        if code is None:
            return NOTHING
        return within("school__community_id", code) | Q(_child_stays_within(code, "child"))
