"""Health, family planning, work and training records on a person (issue 10 parts 2 and 3).

Every record about a person is scoped through the person's stays: an officer sees it where the person has (or
had) a stay inside the jurisdiction, as the person's page is. Job seekers, courses and enrolments carry the
community where they were registered, for the figures per area.
"""

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from liuguan.core.models import CommunityScoped
from liuguan.core.scoping import NOTHING, jurisdiction, within
from liuguan.registry.codes import Industry


def _through_stays(code: str) -> Q:
    from liuguan.registry.models import Stay

    return Q(Exists(Stay.objects.filter(within("community_id", code), person=OuterRef("person_id"))))


class PersonRecord(models.Model):
    """A record about a person, visible where the person has (or had) a stay inside the jurisdiction."""

    person = models.ForeignKey("registry.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Not placed in a community of its own: the hub places it by the person's stays (selectors_feeds).
    community_id = None

    class Meta:
        abstract = True

    @classmethod
    def scope_filter(cls, user):
        code = jurisdiction(user)
        return NOTHING if code is None else _through_stays(code)


class Scheme(models.TextChoices):
    EMPLOYEE = "employee", _("Urban employee basic medical insurance")
    RESIDENT = "resident", _("Urban and rural resident medical insurance")
    NEW_RURAL = "new_rural", _("New rural cooperative medical scheme (historic)")
    COMMERCIAL = "commercial", _("Commercial health insurance")
    NONE = "none", _("No medical cover")


class CoverSource(models.TextChoices):
    DECLARED = "declared", _("Declared by the person")
    DEPARTMENT = "department", _("Reported by a department")


class MedicalCover(PersonRecord):
    """Which medical scheme covers the person and where they are insured (any division in China)."""

    scheme = models.CharField(_("scheme"), max_length=12, choices=Scheme.choices)
    # A division code anywhere in China (the insured place is usually the hukou area, not a division here).
    insured_place = models.CharField(_("insured place"), max_length=12, blank=True)
    valid_from = models.DateField(pgettext_lazy("period", "from"))
    valid_to = models.DateField(pgettext_lazy("period", "to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=CoverSource.choices, default=CoverSource.DECLARED)
    department = models.ForeignKey(
        "exchange.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(_("department's reference"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("medical cover")
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["department", "reference"], condition=~Q(reference=""), name="medical_cover_reference_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.scheme}"


class RemoteTreatmentFiling(PersonRecord):
    """A filing for treatment away from the insured place (异地就医备案), here in one of our divisions."""

    class Reason(models.TextChoices):
        RESIDENCE = "residence", _("Long-term residence in the other place")
        WORK = "work", _("Temporary work in the other place")
        REFERRAL = "referral", _("Referral")

    class Status(models.TextChoices):
        FILED = "filed", pgettext_lazy("remote treatment", "Filed")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")
        EXPIRED = "expired", _("Expired")

    insured_place = models.CharField(_("insured place"), max_length=12)
    treatment_place = models.ForeignKey(
        "geo.Division", verbose_name=_("treatment place"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(pgettext_lazy("remote treatment", "reason"), max_length=12, choices=Reason.choices)
    filed_on = models.DateField(_("filed on"))
    valid_until = models.DateField(_("valid until"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.FILED)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("remote treatment filing")
        ordering = ["-filed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.treatment_place_id}:{self.status}"


class FamilyPlanningService(PersonRecord):
    """A family-planning or maternal and child health service given to the person."""

    class Kind(models.TextChoices):
        CONTRACEPTION = "contraception", _("Contraception")
        PRENATAL_CHECK = "prenatal_check", _("Prenatal check")
        CHILD_HEALTH = "child_health", _("Child health check")
        VACCINATION = "vaccination", _("Vaccination referral")
        PRE_PREGNANCY = "pre_pregnancy", _("Free pre-pregnancy check")
        COUNSELLING = "counselling", _("Counselling")

    kind = models.CharField(_("service"), max_length=16, choices=Kind.choices)
    on = models.DateField(_("date"))
    office = models.ForeignKey(
        "geo.Office", verbose_name=_("office"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    department = models.ForeignKey(
        "exchange.Department",
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("family planning service")
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.kind}:{self.on}"

    @property
    def provider(self):
        return self.office or self.department


class JobSeeker(CommunityScoped):
    """A job-seeker registration (求职登记) at a station; placed with an employer, or withdrawn."""

    class Status(models.TextChoices):
        SEEKING = "seeking", _("Seeking work")
        EMPLOYED = "employed", _("Employed")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    person = models.ForeignKey("registry.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    community = models.ForeignKey(
        "geo.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    registered_on = models.DateField(_("registered on"))
    industry = models.CharField(_("wanted industry"), max_length=1, choices=Industry.choices, blank=True)
    occupation = models.CharField(_("wanted occupation"), max_length=60, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SEEKING)
    employer = models.ForeignKey(
        "registry.Employer",
        verbose_name=_("employer"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    placed_on = models.DateField(_("placed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("job seeker")
        ordering = ["-registered_on", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(status="seeking"), name="job_seeker_one_open")
        ]
        indexes = [models.Index(fields=["community", "status"])]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.status}"


class Training(CommunityScoped):
    """A training course: vocational skills, safety or entrepreneurship; a subsidised one is a permit right."""

    class Kind(models.TextChoices):
        VOCATIONAL = "vocational", _("Vocational skills")
        SAFETY = "safety", _("Work safety")
        ENTREPRENEURSHIP = "entrepreneurship", _("Entrepreneurship")

    name = models.CharField(_("course"), max_length=120)
    provider = models.CharField(_("provider"), max_length=120)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    subsidised = models.BooleanField(_("subsidised"), default=False)
    community = models.ForeignKey(
        "geo.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    places = models.PositiveIntegerField(_("places"), default=30)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("training course")
        ordering = ["-starts_on", "name"]

    def __str__(self) -> str:
        return self.name


class TrainingEnrolment(CommunityScoped):
    """A person on a course: enrolled, then completed (with the certificate number) or dropped."""

    class Status(models.TextChoices):
        ENROLLED = "enrolled", _("Enrolled")
        COMPLETED = "completed", _("Completed")
        DROPPED = "dropped", _("Dropped")

    person = models.ForeignKey("registry.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="+")
    training = models.ForeignKey(
        Training, verbose_name=_("course"), on_delete=models.PROTECT, related_name="enrolments"
    )
    # The course's community, copied: enrolments are counted and scoped where the course is held.
    community = models.ForeignKey("geo.Division", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ENROLLED)
    enrolled_on = models.DateField(_("enrolled on"))
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    certificate_number = models.CharField(pgettext_lazy("training", "certificate number"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("training enrolment")
        ordering = ["-enrolled_on", "-id"]
        constraints = [models.UniqueConstraint(fields=["person", "training"], name="enrolment_once")]

    def __str__(self) -> str:
        return f"{self.person_id}:{self.training_id}:{self.status}"
