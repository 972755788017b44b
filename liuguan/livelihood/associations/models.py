"""Migrants' own associations (自组织): hometown associations, workers' clubs, volunteer teams; their leaders,
members, activities, the tasks officers give them, and volunteers' hours.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from liuguan.core.scoping import NOTHING, jurisdiction


def _in_scope(user, field: str):
    code = jurisdiction(user)
    return NOTHING if code is None else models.Q(**{f"{field}__startswith": code})


class AssociationKind(models.TextChoices):
    HOMETOWN = "hometown", _("Hometown association")
    WORKERS_CLUB = "workers_club", _("Workers' club")
    VOLUNTEERS = "volunteers", _("Volunteer team")


class Association(models.Model):
    """An association registered at a division of any level (where it is based)."""

    kind = models.CharField(_("kind"), max_length=14, choices=AssociationKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=120)
    origin = models.ForeignKey(
        "geo.Division",
        verbose_name=_("origin area"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("For a hometown association: the prefecture or county its members come from."),
    )
    division = models.ForeignKey(
        "geo.Division", verbose_name=_("division"), on_delete=models.PROTECT, related_name="associations"
    )
    registered_on = models.DateField(_("registered on"))
    address = models.CharField(_("address"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["division_id", "kind", "name"]
        verbose_name = _("association")
        verbose_name_plural = _("associations")
        constraints = [models.UniqueConstraint(fields=["division", "name"], name="association_unique_name")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_filter(cls, user):
        return _in_scope(user, "division__code")


class Leader(models.Model):
    """A leader: a registered person, or a name and phone when they are not in the registry."""

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="leaders")
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    title = models.CharField(pgettext_lazy("position", "title"), max_length=50, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("leader")
        verbose_name_plural = _("leaders")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.person.name if self.person_id else self.name

    @classmethod
    def scope_filter(cls, user):
        return _in_scope(user, "association__division__code")


class Membership(models.Model):
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="association_memberships")
    joined_on = models.DateField(_("joined on"))

    class Meta:
        ordering = ["joined_on", "pk"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["association", "person"], name="membership_once")]

    def __str__(self) -> str:
        return f"{self.association_id}:{self.person_id}"

    @classmethod
    def scope_filter(cls, user):
        return _in_scope(user, "association__division__code")


class Activity(models.Model):
    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="activities")
    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    participants = models.PositiveIntegerField(_("participants"), default=0)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return self.title

    @classmethod
    def scope_filter(cls, user):
        return _in_scope(user, "association__division__code")


class TaskKind(models.TextChoices):
    SWEEP = "sweep", _("Help with a sweep")
    NOTICE = "notice", _("Spread a notice")
    OTHER = "other", _("Other")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")


class AssociationTask(models.Model):
    """A task an officer gives an association; done with a report of what was done."""

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="tasks")
    kind = models.CharField(_("kind"), max_length=10, choices=TaskKind.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    due_on = models.DateField(pgettext_lazy("task", "due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=6, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    report = models.TextField(_("report"), blank=True)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    given_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["status", "due_on", "pk"]
        verbose_name = _("association task")
        verbose_name_plural = _("association tasks")

    def __str__(self) -> str:
        return self.title

    @classmethod
    def scope_filter(cls, user):
        return _in_scope(user, "association__division__code")


class VolunteerService(models.Model):
    """Hours a volunteer served, recorded with the association they served with."""

    association = models.ForeignKey(Association, on_delete=models.CASCADE, related_name="volunteer_services")
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50, blank=True)
    date = models.DateField(_("date"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    what = models.CharField(_("what"), max_length=200, blank=True)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("volunteer service")
        verbose_name_plural = _("volunteer services")

    def __str__(self) -> str:
        return f"{self.date} {self.hours}"

    @classmethod
    def scope_filter(cls, user):
        return _in_scope(user, "association__division__code")
