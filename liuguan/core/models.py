"""The audit chain: every service write and every read of unmasked personal data leaves an event here.

Events are hash-chained (each event's hash covers the previous event's hash and its own canonical
content), so a changed, removed or reordered event is detected by `manage.py verify_audit`.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CommunityScoped(models.Model):
    """A record located by its `community` foreign key: inside a jurisdiction when its code is."""

    class Meta:
        abstract = True

    @classmethod
    def scope_filter(cls, user):
        from .scoping import NOTHING, jurisdiction, within

        code = jurisdiction(user)
        return NOTHING if code is None else within("community_id", code)


class AuditEvent(models.Model):
    """One audited action. Rows are only ever appended."""

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(_("time"), db_index=True)
    # No foreign key: an audit row must outlive the account it names.
    actor_id = models.BigIntegerField(_("actor id"), null=True, blank=True)
    actor_username = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64, blank=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    division_code = models.CharField(_("division"), max_length=12, blank=True, db_index=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    source = models.CharField(_("source"), max_length=64, blank=True)
    purpose = models.CharField(_("purpose"), max_length=200, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Which hash made `hash` (liuguan.core.crypto.HASHES): the chain may switch algorithm (LIUGUAN_HASH) midway.
    hash_algorithm = models.CharField(max_length=16, default="sha256", db_default="sha256")

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        # (object_type, id): the exchange's change feeds read one dataset's events in chain order.
        indexes = [models.Index(fields=["object_type", "object_id"]), models.Index(fields=["object_type", "id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"

    @classmethod
    def scope_filter(cls, user):
        """Auditors see events inside their jurisdiction; events tied to no area only at province level."""
        from .scoping import NOTHING, jurisdiction

        code = jurisdiction(user)
        if code is None:
            return NOTHING
        q = models.Q(division_code__startswith=code)
        if len(code) <= 2:
            q |= models.Q(division_code="")
        return q


class AuditChainHead(models.Model):
    """A single row locked by every audit append, so concurrent writers chain one after another."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_event_id = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"audit head #{self.last_event_id}"
