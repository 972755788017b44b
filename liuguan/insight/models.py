"""Macro decision (宏观决策): the rollup cells every dashboard, report and open-data table reads, and what is
made from them (forecasts, monthly reports, the open-data thresholds).

A cell is a count for one area of any level (province 2 digits ... community 12), one measure and up to two
keys (a month, a sex and birth year, a hukou prefecture, ...). Community cells are counted from the live
tables; every other level is the sum of its children, so a province panel reads a few hundred rows however
many stays there are. `rollup.py` keeps them current from the audit chain; `measures.py` defines them.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Cell(models.Model):
    area = models.CharField(max_length=12)
    level = models.PositiveSmallIntegerField()  # len(area): 2, 4, 6, 9 or 12
    parent = models.CharField(max_length=12)  # the area one level up; '' for the province
    measure = models.CharField(max_length=16)
    k1 = models.CharField(max_length=16, default="", blank=True)
    k2 = models.CharField(max_length=16, default="", blank=True)
    n = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["area", "measure"], name="insight_cell_area"),
            models.Index(fields=["parent", "measure"], name="insight_cell_parent"),
            models.Index(fields=["level", "area"], name="insight_cell_level"),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.measure} {self.k1} {self.k2} = {self.n}"


class RollupState(models.Model):
    """The one row saying how far the cells have read the audit chain, and when."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    audit_event_id = models.BigIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True)
    rebuilt_at = models.DateTimeField(null=True)
    last_seconds = models.FloatField(null=True)
    last_prefixes = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"cells up to audit event {self.audit_event_id}, refreshed {self.refreshed_at}"


class Forecast(models.Model):
    """A fitted forecast of one monthly series of one area, kept until the series gains a month."""

    area = models.CharField(_("area"), max_length=12)
    series = models.CharField(_("series"), max_length=16)
    last_month = models.CharField(max_length=6)  # yyyymm of the last observed month the fit used
    method = models.CharField(_("method"), max_length=120)
    result = models.JSONField(default=dict)  # observed, fitted, forecast with bands, back-test errors
    fitted_at = models.DateTimeField(default=timezone.now)
    seconds = models.FloatField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["area", "series", "last_month"], name="insight_forecast_once"),
        ]

    def __str__(self) -> str:
        return f"{self.area} {self.series} to {self.last_month}: {self.method}"


class Report(models.Model):
    """A monthly report of one area: a workbook and a PDF, made on demand or on the schedule."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being made")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    area = models.ForeignKey("geo.Division", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    month = models.DateField(_("month"))  # the first day of the month reported on
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    scheduled = models.BooleanField(_("scheduled"), default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    xlsx_path = models.CharField(max_length=300, blank=True)
    pdf_path = models.CharField(max_length=300, blank=True)
    cells_as_of = models.DateTimeField(_("figures as of"), null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        ordering = ["-month", "area_id", "-requested_at"]
        indexes = [models.Index(fields=["area", "month"])]
        constraints = [
            # The schedule makes one report per area and month, however often it runs.
            models.UniqueConstraint(
                fields=["area", "month"], condition=models.Q(scheduled=True), name="insight_report_scheduled_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area_id} {self.month:%Y-%m}"

    @classmethod
    def scope_filter(cls, user):
        from liuguan.core.scoping import NOTHING, jurisdiction

        code = jurisdiction(user)
        if code is None:
            return NOTHING
        return models.Q(area__code__startswith=code)  # a relation takes no startswith on its id


class OpenDataThreshold(models.Model):
    """The smallest count published in open aggregates for an area (k-anonymity); the longest prefix wins."""

    prefix = models.CharField(_("division code prefix"), max_length=12, unique=True)
    k = models.PositiveSmallIntegerField(_("smallest count shown"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("open-data threshold")
        verbose_name_plural = _("open-data thresholds")
        ordering = ["prefix"]

    def __str__(self) -> str:
        return f"{self.prefix}: k={self.k}"
