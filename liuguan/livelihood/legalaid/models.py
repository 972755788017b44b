"""The legal aid network (法律援助中心, 工作站, 联络员) and migrants' requests for legal aid with their steps."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from liuguan.core.identity import china_today
from liuguan.core.scoping import NOTHING, jurisdiction, within


class UnitKind(models.TextChoices):
    CENTRE = "centre", _("Legal aid centre")
    WORKSTATION = "workstation", _("Legal aid workstation")
    LIAISON = "liaison", _("Legal aid liaison")


class LegalAidUnit(models.Model):
    """A centre, workstation or liaison of the legal aid network, placed at a division of any level."""

    kind = models.CharField(_("kind"), max_length=12, choices=UnitKind.choices, db_index=True)
    name = models.CharField(_("name"), max_length=120)
    division = models.ForeignKey(
        "geo.Division", verbose_name=_("division"), on_delete=models.PROTECT, related_name="legal_aid_units"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    hours = models.CharField(_("opening hours"), max_length=100, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["division_id", "kind", "name"]
        verbose_name = _("legal aid unit")
        verbose_name_plural = _("legal aid units")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_filter(cls, user):
        code = jurisdiction(user)
        return NOTHING if code is None else models.Q(division__code__startswith=code)


class RequestKind(models.TextChoices):
    WAGE_ARREARS = "wage_arrears", _("Wage arrears")
    WORK_INJURY = "work_injury", _("Work injury")
    TENANCY = "tenancy", _("Tenancy")
    LABOUR_CONTRACT = "labour_contract", _("Labour contract")
    FAMILY = "family", pgettext_lazy("legal aid", "Family")
    OTHER = "other", _("Other")


class Channel(models.TextChoices):
    STATION = "station", _("Service station")
    PORTAL = "portal", _("Migrant portal")
    GRID = "grid", _("Grid worker")


class Status(models.TextChoices):
    OPENED = "opened", pgettext_lazy("legal aid", "Opened")
    REFERRED = "referred", _("Referred")
    ACCEPTED = "accepted", _("Accepted")
    HANDLED = "handled", _("Handled")
    CLOSED = "closed", _("Closed")
    DECLINED = "declined", _("Declined by the unit")


class LegalAidRequest(models.Model):
    """A person's request for legal aid, located by the community it concerns."""

    person = models.ForeignKey(
        "registry.Person", verbose_name=_("person"), on_delete=models.PROTECT, related_name="legal_aid_requests"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=RequestKind.choices)
    description = models.TextField(_("description"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    community = models.ForeignKey(
        "geo.Division", verbose_name=_("community"), on_delete=models.PROTECT, related_name="+"
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPENED, db_index=True)
    unit = models.ForeignKey(
        LegalAidUnit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="requests",
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    accept_due = models.DateField(_("accept by"), null=True, blank=True)
    handle_due = models.DateField(_("handle by"), null=True, blank=True)
    accept_overdue = models.BooleanField(_("acceptance overdue"), default=False)
    handle_overdue = models.BooleanField(_("handling overdue"), default=False)
    outcome = models.TextField(_("outcome"), blank=True)
    created_at = models.DateTimeField(_("opened at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("legal aid request")
        verbose_name_plural = _("legal aid requests")
        indexes = [models.Index(fields=["unit", "status"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()}"

    @classmethod
    def scope_filter(cls, user):
        code = jurisdiction(user)
        return NOTHING if code is None else within("community_id", code)

    @property
    def overdue(self) -> bool:
        """Marked by the deadline job, or past due right now (the job may not have run yet today)."""
        today = china_today()
        if self.status == Status.REFERRED:
            return self.accept_overdue or (self.accept_due is not None and self.accept_due < today)
        if self.status == Status.ACCEPTED:
            return self.handle_overdue or (self.handle_due is not None and self.handle_due < today)
        return False

    @property
    def due(self):
        return {Status.REFERRED: self.accept_due, Status.ACCEPTED: self.handle_due}.get(self.status)


class LegalAidStep(models.Model):
    """One step of a request: who took it, when, from which status to which, and to which unit it went."""

    request = models.ForeignKey(
        LegalAidRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="steps"
    )
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(_("from"), max_length=10, blank=True)
    to_status = models.CharField(_("to"), max_length=10)
    unit = models.ForeignKey(
        LegalAidUnit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField(_("by"), max_length=150, blank=True)
    at = models.DateTimeField(_("time"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("legal aid step")
        verbose_name_plural = _("legal aid steps")

    def __str__(self) -> str:
        return f"{self.action} {self.from_status}->{self.to_status}"

    @classmethod
    def scope_filter(cls, user):
        code = jurisdiction(user)
        return NOTHING if code is None else within("request__community_id", code)
