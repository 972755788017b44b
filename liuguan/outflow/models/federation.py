"""Federation between Liuguan instances (X-Road's trust model, kept small).

Each instance has an identity (settings.LIUGUAN_FEDERATION["instance"], such as `CN-51`) and an Ed25519 key
pair. A peer is another instance configured here with its identity, its address, its public key and the
division-code prefixes it serves (where messages about people of those areas go). Messages are signed JSON
envelopes: sent through an outbox with retries, received into an inbox that applies each message id once.
Whatever is refused (unknown peer, bad signature, a replayed or stale envelope) is logged as a refusal.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Peer(models.Model):
    """Another instance this one trusts: messages from it must verify with its key."""

    code = models.CharField(_("instance identity"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("address"), max_length=300)
    # Base64 of the raw 32-byte Ed25519 public key, or `sm2:` and base64 of the 65-byte SM2 point.
    public_key = models.CharField(_("public key"), max_length=128)
    # Comma-separated division-code prefixes this peer serves ("50" for Chongqing; "4401,4403" for two cities).
    areas = models.CharField(_("areas served"), max_length=300)
    # What this instance lets the peer receive beyond notices, such as "person.basic".
    grants = models.JSONField(_("grants"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("peer instance")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code

    @property
    def area_prefixes(self) -> list[str]:
        return [a.strip() for a in self.areas.split(",") if a.strip()]

    def serves(self, code: str) -> bool:
        return bool(code) and any(code.startswith(prefix) for prefix in self.area_prefixes)


class OutboxMessage(models.Model):
    """A message to a peer, kept until the peer's signed receipt says it arrived."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        DELIVERED = "delivered", _("Delivered")
        REJECTED = "rejected", _("Rejected by the peer")
        DEAD = "dead", _("Given up")

    message_id = models.UUIDField(_("message id"), default=uuid.uuid4, unique=True)
    peer = models.ForeignKey(Peer, verbose_name=_("peer"), on_delete=models.PROTECT, related_name="outbox")
    kind = models.CharField(_("kind"), max_length=40)
    payload = models.JSONField(_("payload"))
    # What the message is about, for lists and for finding a person's messages ("person:123").
    subject = models.CharField(_("subject"), max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    # The peer's answer: applied or duplicate, and the hash of our request it signed.
    receipt = models.JSONField(_("receipt"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbox message")
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.peer_id}"


class InboxMessage(models.Model):
    """A message a peer sent and this instance accepted; applied once, whatever the number of deliveries."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("Applied")
        REJECTED = "rejected", pgettext_lazy("inbox", "Rejected")

    peer = models.ForeignKey(Peer, verbose_name=_("peer"), on_delete=models.PROTECT, related_name="inbox")
    message_id = models.UUIDField(_("message id"))
    kind = models.CharField(_("kind"), max_length=40)
    payload = models.JSONField(_("payload"))
    sent_at = models.DateTimeField(_("sent"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    result = models.JSONField(_("result"), default=dict, blank=True)
    # Deliveries of this message after the first (a retry whose receipt was lost).
    duplicates = models.PositiveIntegerField(_("repeated deliveries"), default=0)

    class Meta:
        verbose_name = _("inbox message")
        constraints = [models.UniqueConstraint(fields=["peer", "message_id"], name="inbox_once_per_message")]
        indexes = [models.Index(fields=["received_at"])]

    def __str__(self) -> str:
        return f"{self.kind} ← {self.peer_id}"


class SeenEnvelope(models.Model):
    """The hash of every signature accepted: an envelope seen before is a replay, refused."""

    digest = models.CharField(max_length=64, unique=True)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return self.digest


class Refusal(models.Model):
    """A message refused at the door, with what it claimed to be: for the administrator and the audit."""

    class Reason(models.TextChoices):
        MALFORMED = "malformed", _("Not a valid envelope")
        UNKNOWN_PEER = "unknown_peer", _("Sender is not a configured peer")
        INACTIVE_PEER = "inactive_peer", _("Sender is switched off")
        NOT_FOR_US = "not_for_us", _("Addressed to another instance")
        BAD_SIGNATURE = "bad_signature", _("Signature does not verify")
        STALE = "stale", _("Sent too long ago or in the future")
        REPLAY = "replay", _("Replay of an envelope already received")
        UNKNOWN_KIND = "unknown_kind", _("Unknown message kind")

    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    claimed_peer = models.CharField(_("claimed sender"), max_length=40, blank=True)
    message_id = models.CharField(_("message id"), max_length=64, blank=True)
    kind = models.CharField(_("kind"), max_length=40, blank=True)
    remote_addr = models.CharField(_("remote address"), max_length=64, blank=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("refused message")

    def __str__(self) -> str:
        return f"{self.reason}: {self.claimed_peer}"
