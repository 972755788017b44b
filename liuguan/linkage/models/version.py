from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ModelVersion(models.Model):
    """A trained linkage model: Splink's settings with the estimated m and u values, versioned and explainable.

    Exactly one version is active; batch runs, `link_records` and the entry-time warning use it unless told
    otherwise. A version is never changed after training: retraining makes the next version.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    created_at = models.DateTimeField(_("trained"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    trained_on = models.CharField(_("trained on"), max_length=200)  # what data: "registry, 20,412 records"
    records = models.PositiveIntegerField(_("records"), default=0)
    settings = models.JSONField(_("model"), default=dict)  # Splink's model JSON (comparisons, m, u, lambda)
    stats = models.JSONField(_("training figures"), default=dict, blank=True)  # seconds, pairs, accuracy, ...
    active = models.BooleanField(_("active"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("linkage model")
        verbose_name_plural = _("linkage models")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["active"], condition=models.Q(active=True), name="linkage_one_active"),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"
