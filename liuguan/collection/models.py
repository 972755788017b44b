"""Batch imports of stays: one ImportBatch per uploaded file (or API list), and the rows that need a second look."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liuguan.core.scoping import NOTHING, jurisdiction


class ImportBatch(models.Model):
    """An import of stays from one file; the same file in the same jurisdiction is one batch, however often sent."""

    class Mode(models.TextChoices):
        ALL = "all", _("All or nothing")
        VALID = "valid", _("Accept the valid rows")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    class Phase(models.TextChoices):
        NONE = "", _("Waiting")
        VALIDATING = "validating", _("Validating every row")
        WRITING = "writing", _("Writing")

    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True, db_index=True)
    file_size = models.BigIntegerField(_("size (bytes)"), default=0)
    file_format = models.CharField(_("format"), max_length=8)
    # Where the upload is kept (under VAR_DIR/imports) until the batch is done; then it is deleted.
    stored_name = models.CharField(max_length=120, blank=True)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode.choices)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(_("phase"), max_length=12, choices=Phase.choices, blank=True, default="")
    source = models.CharField(_("source"), max_length=8, default="web")
    # The uploader's division when the file came in: the batch belongs to that jurisdiction.
    division_code = models.CharField(_("division"), max_length=12, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("uploaded by")
    )
    language = models.CharField(max_length=10, default="zh-hans")
    encoding = models.CharField(_("encoding"), max_length=16, blank=True)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    header_row = models.PositiveIntegerField(default=1)
    # The file's own header cells, in order, and what each was read as (a field name or "" when ignored).
    headers = models.JSONField(default=list, blank=True)
    fields = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    total_rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    rows_done = models.PositiveIntegerField(_("rows done"), default=0)
    # Sheet row number of the last row whose outcome is committed; a resumed run starts after it.
    last_row = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(_("accepted"), default=0)
    already_registered = models.PositiveIntegerField(_("already registered"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    warnings = models.PositiveIntegerField(_("warnings"), default=0)
    people_created = models.PositiveIntegerField(_("people created"), default=0)
    error = models.TextField(_("error"), blank=True)
    # Which process runs the batch now; a chunk commits only for its runner, so two runs never both write.
    runner = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = _("import batch")
        verbose_name_plural = _("import batches")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["division_code", "file_sha256", "mode"],
                condition=~Q(file_sha256=""),
                name="import_one_batch_per_file",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.file_name}"

    @classmethod
    def scope_filter(cls, user):
        """A batch belongs to the uploader's division; officers above it see it, others do not."""
        code = jurisdiction(user)
        return NOTHING if code is None else Q(division_code__startswith=code)

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(99, int(100 * self.rows_done / self.total_rows))


class ImportRow(models.Model):
    """A row that was rejected or drew warnings: its original cells and what is wrong, for the result workbook."""

    class Outcome(models.TextChoices):
        REJECTED = "rejected", _("Rejected")
        WARNING = "warning", _("Accepted with warnings")

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="problem_rows")
    row_number = models.PositiveIntegerField(_("row"))
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    # The cells as the file had them; problems as [{"column": index or null, "field", "rule", "message", "level"}].
    values = models.JSONField(default=list)
    problems = models.JSONField(default=list)

    class Meta:
        verbose_name = _("import row")
        verbose_name_plural = _("import rows")
        ordering = ["batch", "row_number"]
        constraints = [models.UniqueConstraint(fields=["batch", "row_number"], name="import_row_once")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.row_number}"

    @classmethod
    def scope_filter(cls, user):
        code = jurisdiction(user)
        return NOTHING if code is None else Q(batch__division_code__startswith=code)
